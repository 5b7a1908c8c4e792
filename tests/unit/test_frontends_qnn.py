"""QNN frontend: the lowered AIG equals the integer layers' PyTorch forward bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from gatecomp.aig import simulate
from gatecomp.errors import GatecompError, UnknownFormatError
from gatecomp.frontends.qnn import (
    dataset_vectors,
    describe_qnn,
    load_qnn,
    lower_qnn,
    reference_outputs,
)
from gatecomp.frontends.qnn import formats as qnn_formats
from gatecomp.frontends.qnn.lower import QNNLowerParams
from gatecomp.frontends.registry import load_model
from gatecomp.nn import (
    DIGITS_SPLIT,
    IntLinear,
    IntScores,
    LogicLayer,
    ThermometerEncoding,
    UniformEncoding,
    digits_encoding,
)
from gatecomp.passes.cleanup import cleanup
from tests.unit.qnn_nets import all_inputs, random_qnn

EXAMPLES = Path(__file__).resolve().parents[2] / "gatecomp" / "examples"


def _torch_forward(layers, x_bits: np.ndarray) -> np.ndarray:
    """The reference: the integer layers' own forward on the codes the input bits spell."""
    in_bits = layers[0].in_bits
    codes = x_bits.astype(np.int64).reshape(len(x_bits), -1, in_bits) @ (1 << np.arange(in_bits))
    t = torch.from_numpy(codes)
    with torch.no_grad():
        for m in layers:
            t = m(t)
    return t.numpy()


def _check(model, x, params=None):
    """Simulate the lowered net on ``x``; compare every port with the torch forward."""
    net = lower_qnn(model, params)
    got = net.output_words(simulate(net.aig, x))
    acc = _torch_forward(model.layers, x)
    off = net.meta["score_offset"]
    for c in range(model.num_classes):
        assert np.array_equal(got[f"score{c}"] + off, acc[:, c]), f"score{c}"
    assert np.array_equal(got["pred"], torch.argmax(torch.from_numpy(acc), dim=1).numpy())
    return net, got


CONFIGS = [  # (widths, in_dim, k, in_bits, levels, fan_in)
    ([], 6, 3, 2, (1,), None),
    ([5], 4, 3, 2, (3,), None),
    ([6, 4], 5, 4, 2, (2, 3), None),          # levels 2 in 2 bits: code 3 is a don't-care
    ([8], 12, 3, 1, (1,), None),
    ([7, 5], 4, 3, 3, (5, 2), None),
    ([9, 6], 13, 5, 1, (3, 1), 4),
]


@pytest.mark.parametrize("route", ["arith", "table", "auto"])
@pytest.mark.parametrize(("widths", "in_dim", "k", "in_bits", "levels", "fan_in"), CONFIGS)
def test_lowering_exhaustive(widths, in_dim, k, in_bits, levels, fan_in, route):
    for seed in range(2):
        layers = random_qnn(widths, in_dim, k, in_bits=in_bits, levels=levels, fan_in=fan_in,
                            seed=seed)
        model = load_qnn(layers)
        net, got = _check(model, all_inputs(model.input_width), QNNLowerParams(route=route))
        assert [p.name for p in net.outputs] == [*(f"score{c}" for c in range(k)), "pred"]
        assert all(got[f"score{c}"].min() >= 0 for c in range(k))
        stats = net.meta["layers"]
        if route == "arith":
            assert all(s["table"] == 0 for s in stats)
        if route == "table" and in_dim * in_bits <= 12:  # within the default table limit
            assert stats[0]["arith"] == 0


@pytest.mark.parametrize("route", ["arith", "auto"])
def test_lowering_random_vectors_deeper_sparse_net(route):
    layers = random_qnn([40, 30, 20], 48, 10, in_bits=3, levels=(7, 3, 1), fan_in=4, seed=5)
    model = load_qnn(layers)
    x = np.random.default_rng(1).integers(0, 2, (3000, model.input_width)).astype(bool)
    net, got = _check(model, x, QNNLowerParams(route=route))
    assert len(np.unique(got["pred"])) > 1
    if route == "auto":  # fan-in 4 of 3-bit codes: 12 bits, all within the table limit
        assert net.meta["layers"][0]["table"] > 0


def test_auto_route_is_no_larger_than_either_forced_route():
    layers = random_qnn([24, 16], 20, 4, in_bits=2, levels=(3, 3), fan_in=5, seed=3)
    model = load_qnn(layers)
    size = {r: cleanup(lower_qnn(model, QNNLowerParams(route=r)).aig)[0].num_ands
            for r in ("arith", "table", "auto")}
    assert size["auto"] <= min(size["arith"], size["table"]), size
    auto = lower_qnn(model).meta["layers"]
    assert auto[0]["table"] + auto[0]["arith"] == 24 and auto[0]["table"] > 0


def test_dense_wide_neurons_take_the_arithmetic_route():
    layers = random_qnn([6], 20, 3, in_bits=2, levels=(3,), seed=4)  # 40 input bits
    net = lower_qnn(load_qnn(layers))
    assert net.meta["layers"][0]["table"] == 0 and net.meta["layers"][0]["arith"] == 6


def test_table_limit_zero_disables_tables_except_constant_neurons():
    layers = random_qnn([6], 5, 3, in_bits=2, levels=(3,), seed=2)
    net, _ = _check(load_qnn(layers), all_inputs(10), QNNLowerParams(route="table",
                                                                    table_limit=0))
    assert net.meta["layers"][0]["arith"] == 6


def test_constant_hidden_layer_folds_the_whole_network():
    w = torch.tensor([[1, -2, 3], [2, 2, -1]])
    always = IntLinear(w, torch.zeros(2), torch.tensor([[-100, -50, -9], [-30, -20, -10]]),
                       in_bits=2)  # every threshold below the least accumulator: code 3
    scores = IntScores(torch.tensor([[1, -1], [2, 0], [-3, 1]]), torch.tensor([0, 1, 2]),
                       in_bits=2)
    model = load_qnn([always, scores])
    for route in ("arith", "table", "auto"):
        net, got = _check(model, all_inputs(6), QNNLowerParams(route=route))
        assert cleanup(net.aig)[0].num_ands == 0
        assert set(got["pred"].tolist()) == {1}  # scores (0, 7, -4) for codes (3, 3)


def test_thresholds_on_ties_and_repeated():
    w = torch.tensor([[1, 1, 1, 1]])
    lay = IntLinear(w, torch.tensor([0]), torch.tensor([[2, 2, 4]]), in_bits=1)
    model = load_qnn([lay, IntScores(torch.tensor([[1], [-1]]), in_bits=2)])
    x = all_inputs(4)
    for route in ("arith", "table"):
        _check(model, x, QNNLowerParams(route=route))
    codes = lay(torch.from_numpy(x.astype(np.int64))).numpy()[:, 0]
    assert set(codes.tolist()) == {0, 2, 3}  # popcount 2 passes both equal thresholds


def test_checkpoint_round_trip_and_describe(tmp_path):
    layers = random_qnn([10, 7], 9, 4, in_bits=2, levels=(3, 2), fan_in=3, seed=9)
    enc = UniformEncoding(2, 4.0, 9)
    path = qnn_formats.save_qnn(tmp_path / "q.pt", layers, encoding=enc,
                                metrics={"test_accuracy": 0.5}, folding={"note": "test"})
    assert torch.load(path, weights_only=True)["format"] == "gatecomp.qnn"
    model = load_qnn(path)
    assert model.format == "gatecomp.qnn" and model.encoding == enc
    assert model.layer_sizes == [9, 10, 7, 4] and model.input_width == 18
    x = np.random.default_rng(0).integers(0, 2, (400, 18)).astype(bool)
    a, b = reference_outputs(model, x), reference_outputs(load_qnn(layers), x)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    acc = _torch_forward(layers, x)
    assert np.array_equal(a["pred"], acc.argmax(axis=1))
    assert np.array_equal(a["score2"] + model.score_offset, acc[:, 2])
    d = describe_qnn(model)
    assert d["layers"][0]["fan_in_max"] == 3 and d["layers"][1]["levels"] == 2
    assert d["metrics"] == {"test_accuracy": 0.5} and d["folding"] == {"note": "test"}
    assert d["encoding"]["type"] == "uniform"


class _Folds(nn.Module):
    """A user layer that is not ours but folds into an integer layer."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def fold(self):
        return self.layer


def test_in_memory_sources():
    layers = random_qnn([5], 4, 3, in_bits=2, seed=1)
    x = all_inputs(8)
    want = _torch_forward(layers, x)
    for src in (layers, nn.Sequential(*layers), nn.Sequential(nn.Flatten(), *layers),
                [_Folds(layers[0]), _Folds(layers[1])]):
        fe, model = load_model(src)
        assert fe.name == "qnn" and model.format == "qnn.module"
        got = reference_outputs(model, x)
        assert np.array_equal(got["pred"], want.argmax(axis=1))


def test_quant_layers_fold_and_lower():
    quant = pytest.importorskip("gatecomp.nn.quant")
    torch.manual_seed(0)
    net = nn.Sequential(quant.QuantLinear(6, 8, weight_bits=3, act_bits=2, in_bits=2, fan_in=3,
                                          seed=1),
                        quant.QuantScores(8, 3, weight_bits=2, in_bits=2, seed=2))
    with torch.no_grad():
        bn = net[0].bn
        bn.running_mean.uniform_(-2, 2)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(-2, 2)
    net.eval()
    model = load_qnn(net)
    x = all_inputs(12)
    _, got = _check(model, x)
    codes = torch.from_numpy(x.astype(np.int64).reshape(-1, 6, 2) @ np.array([1, 2]))
    with torch.no_grad():
        logits = net(codes).numpy()  # the trainable layers' own eval forward
    assert np.array_equal(got["pred"], logits.argmax(axis=1))


def test_registry_routes_each_format_to_its_frontend(tmp_path):
    path = qnn_formats.save_qnn(tmp_path / "q.pt", random_qnn([4], 3, 2, seed=0))
    fe, model = load_model(path)
    assert fe.name == "qnn" and model.num_classes == 2
    assert load_model(EXAMPLES / "digits_bnn.pt")[0].name == "bnn"
    assert load_model(EXAMPLES / "digits_dlgn.pt")[0].name == "dlgn"
    with pytest.raises(UnknownFormatError):
        load_qnn(EXAMPLES / "digits_bnn.pt")
    with pytest.raises(UnknownFormatError):
        load_qnn(nn.Sequential(LogicLayer(4, 4)))


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_defective_networks_give_one_line_errors(tmp_path):
    layers = random_qnn([4], 3, 2, seed=0)
    ckpt = qnn_formats.qnn_checkpoint(layers)
    cases = {
        "version": ({**ckpt, "version": 7}, "unsupported gatecomp.qnn version"),
        "missing": ({**ckpt, "state_dict": {k: v for k, v in ckpt["state_dict"].items()
                                            if k != "0.thresholds"}}, "lacks '0.thresholds'"),
        "kind": ({**ckpt, "layers": [{"type": "conv"}, *ckpt["layers"][1:]]},
                 "unsupported layer type 'conv'"),
        "bits": ({**ckpt, "layers": [ckpt["layers"][0], {**ckpt["layers"][1], "in_bits": 3}]},
                 "reads 3-bit codes"),
        "encoding": ({**ckpt, "encoding": UniformEncoding(2, 1.0, 5).to_dict()},
                     "the input encoding has 10 bits"),
        "enc_bits": ({**ckpt, "encoding": UniformEncoding(1, 1.0, 6).to_dict()},
                     "makes 1-bit codes"),
        "enc_type": ({**ckpt, "encoding": {"type": "magic"}}, "bad input encoding"),
        "therm": ({**ckpt, "encoding": ThermometerEncoding((1.0, 2.0, 3.0), 2).to_dict()},
                  "a thermometer encoding makes 1-bit codes"),
    }
    for name, (obj, needle) in cases.items():
        path = tmp_path / f"{name}.pt"
        torch.save(obj, path)
        with pytest.raises(GatecompError) as exc:
            load_model(path)
        assert needle in _one_line(exc), (name, str(exc.value))
    with pytest.raises(GatecompError) as exc:
        load_qnn([layers[0], layers[0], layers[1]])
    assert "layer 1 reads 3 codes but layer 0 produces 4" in _one_line(exc)
    with pytest.raises(GatecompError) as exc:
        load_qnn([layers[0]])
    assert "must end with an IntScores layer" in _one_line(exc)
    with pytest.raises(GatecompError) as exc:
        load_qnn(tmp_path / "absent.onnx")
    _one_line(exc)
    (tmp_path / "garbage.onnx").write_text("not protobuf")
    with pytest.raises(GatecompError) as exc:
        load_qnn(tmp_path / "garbage.onnx")
    assert "garbage.onnx: not an ONNX model" in _one_line(exc)
    assert type(exc.value) is GatecompError  # not passed on: no other frontend reads .onnx
    model = load_qnn(layers)
    with pytest.raises(GatecompError) as exc:
        reference_outputs(model, np.zeros((3, 5)))
    assert "expected (samples, 6)" in _one_line(exc)
    with pytest.raises(GatecompError):
        reference_outputs(model, np.full((3, 6), 2))


def test_dataset_vectors_with_a_uniform_encoding():
    enc = UniformEncoding(2, 5.0, 64)
    layers = random_qnn([8], 64, 10, in_bits=2, fan_in=3, seed=0)
    model = load_qnn(layers, encoding=enc, dataset=DIGITS_SPLIT)
    bits, labels = dataset_vectors(model, "test")
    assert bits.shape == (360, 128) and labels.shape == (360,)
    codes = bits.reshape(360, 64, 2).astype(np.int64) @ np.array([1, 2])
    assert codes.max() == 3 and codes.min() == 0  # digits pixels 0..16 / 5 -> codes 0..3
    _check(model, bits[:200])
    assert dataset_vectors(load_qnn(layers), "test") is None
    therm = load_qnn(random_qnn([6], 192, 10, in_bits=1, levels=(1,), fan_in=5, seed=1),
                     encoding=digits_encoding(), dataset=DIGITS_SPLIT)
    bits, _ = dataset_vectors(therm, "test")
    _check(therm, bits[:100])
    with pytest.raises(GatecompError):
        dataset_vectors(model, "valid")


def test_meta_records_the_lowering():
    layers = random_qnn([6, 5], 4, 3, in_bits=2, levels=(3, 1), fan_in=2, seed=6)
    model = load_qnn(layers)
    net = lower_qnn(model)
    meta = net.meta
    assert meta["frontend"] == "qnn" and meta["layer_sizes"] == [4, 6, 5, 3]
    assert meta["levels"] == [3, 1] and meta["fan_in_max"][:2] == [2, 2]
    assert meta["score_offset"] == model.score_offset and meta["route"] == "auto"
    assert net.outputs[0].width == model.score_width
    assert net.outputs[-1].width == 2


def test_qonnx_file_goes_through_the_registry():
    path = EXAMPLES / "digits_brevitas_q2.onnx"
    if not path.is_file():
        pytest.skip("no bundled QONNX example")
    pytest.importorskip("onnx")
    fe, model = load_model(path)
    assert fe.name == "qnn" and model.format == "qonnx" and model.encoding is not None
    bits, labels = dataset_vectors(model, "test")
    _, got = _check(model, bits[:120])
    assert np.mean(got["pred"] == labels[:120]) > 0.8
