"""The torchlogix frontend on models built with torchlogix 0.2.2's own classes: the lowered
circuit, simulated, equals gatecomp's reading AND torchlogix's own eval forward (run here, not
through gatecomp); refusals are one-line GatecompErrors naming the problem."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from gatecomp.errors import GatecompError
from gatecomp.frontends.registry import load_model
from gatecomp.frontends.torchlogix import (
    load_torchlogix,
    lower_network,
    own_forward,
    reference_outputs,
)
from tests.torchlogix_models import (
    CASES,
    GroupSum,
    LogicDense,
    bits_of,
    build,
    circuit_bits,
    counts_of,
    randomize,
    simulate_net,
    torchlogix_classes,
)

SAMPLES = 500
ZOO_KWARGS = {"thresholds": [0.5], "binarization": "dummy", "binarization_kwargs": {}}


def _load(model: nn.Module, source: str, tmp_path):
    if source == "memory":
        return load_torchlogix(model)
    path = tmp_path / "m.pt"
    torch.save(model, path)
    return load_torchlogix(path)


def _assert_matches(net, model: nn.Module, x: torch.Tensor) -> np.ndarray:
    """Circuit == gatecomp's reading == torchlogix's forward (here and via own_forward)."""
    counts, pred = torchlogix_classes(model, x)
    bits = circuit_bits(model, x)
    assert bits.shape[1] == net.input_width
    sim = simulate_net(lower_network(net), bits)
    ref = reference_outputs(net, bits)
    own = own_forward(net, bits)
    assert own.outputs is not None, own.name
    k = net.num_classes
    for name, words in (("circuit", sim), ("reference", ref), ("own_forward", own.outputs)):
        np.testing.assert_array_equal(counts_of(words, k), counts, err_msg=f"{name} counts")
        np.testing.assert_array_equal(words["pred"], pred, err_msg=f"{name} pred")
    return pred


@pytest.mark.parametrize("source", ["pickle", "memory"])
@pytest.mark.parametrize("name", list(CASES))
def test_circuit_equals_torchlogix_forward(name, source, tmp_path):
    model, features = build(name, seed=3)
    x = features(np.random.default_rng(7), SAMPLES)
    net = _load(model, source, tmp_path)
    assert net.format == ("module" if source == "memory" else "torchlogix.pickle")
    pred = _assert_matches(net, model, x)
    assert len(np.unique(pred)) > 1  # the check is not vacuous
    first = next(iter(model.children()))
    if type(first).__name__ in ("FixedBinarization", "LearnableBinarization"):
        assert net.binarization is not None and net.binarization.kind == type(first).__name__
        want = first.get_thresholds().detach().numpy()
        np.testing.assert_array_equal(net.binarization.thresholds, want.reshape(-1, want.shape[-1]))
        with torch.no_grad():
            assert net.input_shape == tuple(first(x[:1]).shape[1:])
    else:  # no binarization, or the zoo's DummyBinarization (x.float(): the bits themselves)
        assert net.binarization is None
        assert net.input_shape == tuple(x.shape[1:])


def test_state_dict_forms_give_the_pickles_circuit(tmp_path):
    model, features = build("zoo_ClgnMnistTiny", seed=5)
    torch.save(model, tmp_path / "whole.pt")
    torch.save(model.state_dict(), tmp_path / "bare.pt")
    torch.save({"state_dict": model.state_dict(), "model": "ClgnMnistTiny",
                "model_kwargs": ZOO_KWARGS}, tmp_path / "wrapped.pt")
    bits = circuit_bits(model, features(np.random.default_rng(1), 300))
    whole = load_torchlogix(tmp_path / "whole.pt")
    bare = load_torchlogix(tmp_path / "bare.pt", arch="ClgnMnistTiny", arch_kwargs=ZOO_KWARGS)
    wrapped = load_torchlogix(tmp_path / "wrapped.pt")
    assert bare.format == wrapped.format == "torchlogix.state_dict"
    assert wrapped.arch["model"] == bare.arch["model"] == "ClgnMnistTiny"
    want = simulate_net(lower_network(whole), bits)
    for net in (bare, wrapped):
        got = simulate_net(lower_network(net), bits)
        assert got.keys() == want.keys()
        for port in want:
            np.testing.assert_array_equal(got[port], want[port], err_msg=port)
        np.testing.assert_array_equal(own_forward(net, bits).outputs["pred"], want["pred"])
    # the registry picks the torchlogix frontend for the bare state_dict given --arch
    fe, net = load_model(tmp_path / "bare.pt", arch="ClgnMnistTiny", arch_kwargs=ZOO_KWARGS)
    assert fe.name == "torchlogix" and net.format == "torchlogix.state_dict"


def _exact_warp_net(rank: int, seed: int) -> nn.Sequential:
    """One warp layer over ``rank`` inputs, each neuron its own class: counts are the neurons'
    outputs, so every neuron is checked on every input pattern. Weights are multiples of 0.1
    (small integers times 0.1, random signs), so many Walsh sums are 0 in exact arithmetic and
    round to 0 or to a tiny +-residue in float32 depending on the order of the additions."""
    torch.manual_seed(seed)
    out = 48
    model = nn.Sequential(LogicDense(rank, out, lut_rank=rank, parametrization="warp"),
                          GroupSum(out))
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        w = model[0].weight
        w.copy_(torch.randint(-3, 4, w.shape, generator=gen).float() * 0.1)
    return model.eval()


def _float_sums_at_exact_zeros(model: nn.Sequential, rank: int) -> np.ndarray:
    """torchlogix's own float32 Walsh sums (its ``weighted_walsh_basis_sum``) at every
    (neuron, input pattern) whose sum is exactly 0 over the rationals."""
    from torchlogix.functional import weighted_walsh_basis_sum

    w = model[0].weight.detach()
    k = np.rint(w.numpy() * 10).astype(np.int64)  # (neurons, 2**rank) integers
    e = np.arange(1 << rank)
    found = []
    for m in range(1 << rank):
        x = [(m >> i) & 1 for i in range(rank)]
        sign = np.ones(len(e), dtype=np.int64)  # basis entry e: bit rank-1-i selects input i
        for i in range(rank):
            sign *= np.where((e >> (rank - 1 - i)) & 1, 1 - 2 * x[i], 1)
        exact_zero = (k * sign).sum(1) == 0
        signs = torch.tensor(x, dtype=w.dtype)[None, :, None].expand(1, rank, w.shape[0])
        sums = weighted_walsh_basis_sum(1 - 2 * signs, w, "n,bn->bn", rank)[0].numpy()
        found.append(sums[exact_zero])
    return np.concatenate(found)


@pytest.mark.parametrize("rank", [2, 4, 6])
def test_warp_walsh_sums_rounding_at_zero(rank):
    model = _exact_warp_net(rank, seed=rank)
    at_zero = _float_sums_at_exact_zeros(model, rank)
    assert np.abs(at_zero).max() < 1e-6  # these are the exact zeros, up to float rounding
    # torchlogix's float32 sums land on 0 and on both sides of it: reading the table from the
    # exact sums (or summing in another order) would get some of these neurons wrong
    assert (at_zero == 0).any() and (at_zero < 0).any() and (at_zero > 0).any()
    every = np.array([[(m >> i) & 1 for i in range(rank)] for m in range(1 << rank)] * 4,
                     dtype=np.float32)
    x = torch.from_numpy(np.concatenate([every, bits_of((rank,))(np.random.default_rng(0),
                                                                  100).numpy()]))
    _assert_matches(load_torchlogix(model), model, x)


# -- refusals --------------------------------------------------------------------------------
def _small(**kw) -> nn.Sequential:
    torch.manual_seed(0)
    return randomize(nn.Sequential(nn.Flatten(), LogicDense(16, 24, **kw), LogicDense(24, 12, **kw),
                                   GroupSum(3)), seed=1)


def _refused(match: str | None, source, loader=load_torchlogix, **kw) -> str:
    with pytest.raises(GatecompError, match=match) as info:
        loader(source, **kw)
    msg = str(info.value)
    assert "\n" not in msg and len(msg) < 600, msg
    return msg


@pytest.mark.parametrize("hook", ["register_forward_hook", "register_forward_pre_hook"])
def test_refuses_a_hook(hook):
    model = _small()
    getattr(model[1], hook)(lambda *args: None)
    msg = _refused("hooks registered", model)
    assert "'1' (LogicDense)" in msg


def test_refuses_export_mode_attribute(tmp_path):
    model = _small()
    model[2].export_mode = True
    _refused(r"'2' \(LogicDense\).*export_mode=True is not supported", model)
    model = _small()
    model[3].export_mode = True
    _refused(r"GroupSum.*export_mode=True is not supported", model)


@pytest.mark.parametrize("source", ["memory", "pickle"])
def test_refuses_a_model_in_export_mode(source, tmp_path):
    model = _small()
    for m in model.modules():
        if hasattr(m, "set_export_mode"):
            m.set_export_mode(True)
    if source == "pickle":
        torch.save(model, tmp_path / "m.pt")
        model = tmp_path / "m.pt"
    # torchlogix's set_export_mode caches _export_lut_ids: refused, saying how to save it
    _refused(r"LogicDense.*export mode.*_export_lut_ids.*set_export_mode\(False\)", model)


@pytest.mark.parametrize("source", ["memory", "pickle"])
def test_refuses_unknown_attribute(source, tmp_path):
    model = _small()
    model[1].sneaky = 3
    if source == "pickle":
        torch.save(model, tmp_path / "m.pt")
        model = tmp_path / "m.pt"
    _refused(r"'1' \(LogicDense\): unknown attribute 'sneaky'", model)


def test_refuses_warp_with_materialized_basis():
    model = _small(parametrization="warp", parametrization_kwargs={"materialize_basis": True})
    _refused("materialize_basis=True", model)


def test_refuses_a_model_without_group_sum():
    model = _small()[:-1]
    _refused("does not end in a GroupSum", model)


@pytest.mark.parametrize("tau,beta", [(1e39, 0.0), (1.0, 1e9)])
def test_refuses_group_sum_that_ties_distinct_counts(tau, beta):
    # float32: /1e39 is /inf (every score 0); +1e9 has a spacing of 64 (counts 0..4 tie)
    model = _small()
    model[3].tau, model[3].beta = tau, beta
    _refused("maps different counts to the same float score", model)


def test_huge_tau_that_keeps_counts_apart_is_read():
    """tau=1e30: scores c * 1e-30 stay distinct in float32, so the class is the counts'."""
    model = _small()
    model[3].tau = 1e30
    x = bits_of((16,))(np.random.default_rng(2), 200)
    _assert_matches(load_torchlogix(model), model, x)


class Foreign(nn.Module):
    """Not a torchlogix or torch class: a weights_only pickle cannot name it."""

    def forward(self, x):
        return x


def _foreign_model() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), LogicDense(16, 24), Foreign(), LogicDense(24, 12),
                         GroupSum(3))


def test_refuses_foreign_class_in_memory():
    _refused(r"'2' \(Foreign\).*Foreign is not a layer gatecomp reads", _foreign_model())


def test_refuses_foreign_class_in_pickle(tmp_path):
    path = tmp_path / "m.pt"
    torch.save(_foreign_model(), path)
    _refused(None, path)  # refused, one line, nothing of the file run
    _refused(None, path, loader=load_model)


def test_foreign_class_in_pickle_is_named(tmp_path):
    path = tmp_path / "m.pt"
    torch.save(_foreign_model(), path)
    msg = _refused(None, path, loader=load_model)
    assert "Foreign" in msg and "unsupported layer or object type torchlogix" not in msg


@pytest.mark.parametrize("loader", [load_torchlogix, load_model])
def test_refuses_missing_file(loader, tmp_path):
    _refused("model file not found", tmp_path / "nope.pt", loader=loader)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("content", ["garbage", "truncated"])
def test_refuses_corrupt_file(content, tmp_path):
    path = tmp_path / "m.pt"
    if content == "garbage":
        path.write_bytes(b"\x80\x04 not a checkpoint " * 8)
    else:
        torch.save(_small(), tmp_path / "ok.pt")
        data = (tmp_path / "ok.pt").read_bytes()
        path.write_bytes(data[: len(data) // 2])
    _refused(str(path), path)  # the frontend declines the file by name
    _refused("not a readable PyTorch checkpoint", path, loader=load_model)
