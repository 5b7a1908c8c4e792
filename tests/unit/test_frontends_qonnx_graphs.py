"""Hand-built QONNX graphs (MultiThreshold, Sign, rounding modes, scales) vs qonnx's executor."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("qonnx")

import onnx  # noqa: E402
import torch  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from gatecomp.errors import GatecompError, UnknownFormatError  # noqa: E402
from gatecomp.frontends.qonnx.execute import run_graph  # noqa: E402
from gatecomp.frontends.qonnx.graph import load_onnx, parse_graph  # noqa: E402
from gatecomp.frontends.qonnx.reader import read_qonnx  # noqa: E402
from gatecomp.nn import IntLinear, IntScores, ThermometerEncoding, UniformEncoding  # noqa: E402
from tests.unit.qonnx_nets import is_affine_image, qonnx_execute  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore")
QDOMAIN = "qonnx.custom_op.general"


def make_model(nodes, inits: dict, in_dim: int, out_dim: int,
               metadata: dict | None = None) -> onnx.ModelProto:
    """A single-input/-output model with a symbolic batch dimension ("x" -> "y")."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", in_dim])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", out_dim])
    tensors = [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in inits.items()]
    graph = helper.make_graph(nodes, "test", [x], [y], tensors)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid(QDOMAIN, 1)])
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    return model


def quant(inp: str, out: str, prefix: str, *, signed: int, mode: str = "ROUND", narrow: int = 0):
    return helper.make_node("Quant", [inp, f"{prefix}_s", f"{prefix}_z", f"{prefix}_b"], [out],
                            domain=QDOMAIN, signed=signed, narrow=narrow, rounding_mode=mode)


def quant_inits(prefix: str, scale, zero, bits) -> dict:
    return {f"{prefix}_s": np.asarray(scale), f"{prefix}_z": np.asarray(zero),
            f"{prefix}_b": np.asarray(bits)}


def assert_matches_oracle(model: onnx.ModelProto, imp, x: np.ndarray, exact: bool = True
                          ) -> None:
    """Integer scores are an exact affine image of qonnx's float outputs and the argmax is
    equal: everywhere where the float arithmetic is exact (small integers and halves), else
    off the float outputs' own top-2 ties."""
    ref = qonnx_execute(model, x)
    scores = imp.scores(x)
    assert is_affine_image(scores, ref)
    srt = np.sort(ref, 1)
    off = np.ones(len(x), bool) if exact else srt[:, -1] - srt[:, -2] > 1e-5 * np.abs(ref).max()
    assert np.array_equal(scores.argmax(1)[off], ref.argmax(1)[off])


@pytest.mark.parametrize("mode", ["ROUND", "HALF_EVEN", "HALF_UP", "HALF_DOWN", "FLOOR", "CEIL",
                                  "UP", "DOWN"])
def test_rounding_modes_on_exact_boundaries(mode):
    """Pre-activations land exactly on x.5 / integers (exact in float32): every qonnx rounding
    mode must fold to the same codes as qonnx computes, ties included."""
    rng = np.random.default_rng(1)
    w1 = rng.integers(-2, 3, (4, 6))
    c1 = np.array([0.5, -0.5, 0.0, 1.5, -2.5, 0.25])
    w2 = rng.integers(-2, 3, (6, 3))
    nodes = [quant("x", "q", "qi", signed=0),
             helper.make_node("MatMul", ["q", "w1"], ["h"]),
             helper.make_node("Add", ["h", "c1"], ["hb"]),
             quant("hb", "a", "qa", signed=1, mode=mode),
             helper.make_node("MatMul", ["a", "w2"], ["y"])]
    inits = {"w1": w1, "c1": c1, "w2": w2, **quant_inits("qi", 1.0, 0.0, 3),
             **quant_inits("qa", 1.0, 0.0, 3)}
    model = make_model(nodes, inits, 4, 3)
    x = rng.integers(0, 8, (400, 4)).astype(np.float32)
    imp = read_qonnx(model, calibration=x)
    assert isinstance(imp.encoding, UniformEncoding) and imp.encoding.bits == 3
    assert [type(m) for m in imp.layers] == [IntLinear, IntScores]
    assert imp.folding["tie_samples"] == 0
    if mode in ("ROUND", "HALF_EVEN", "HALF_UP", "HALF_DOWN"):
        assert imp.folding["boundary_samples"] > 0  # the half-way cases were exercised
    assert_matches_oracle(model, imp, x)
    # the layer's codes themselves, against qonnx's rounding of the same (exact) values
    h = x @ w1 + c1.astype(np.float32)
    from qonnx.custom_op.general.intquant import int_quant

    want = int_quant(h, np.float32(1), np.float32(0), np.float32(3), 1, 0, mode) + 4  # offset
    got = imp.layers[0](torch.from_numpy(imp.codes(x))).numpy()
    assert np.array_equal(got, want.astype(np.int64))


def test_multithreshold_graph_with_thermometer_input():
    """FINN-style graph: MultiThreshold on the input (shared thresholds -> thermometer code),
    integer MatMul, per-channel MultiThreshold with out_bias, integer scores; inputs sit on the
    thresholds (MultiThreshold compares >=)."""
    rng = np.random.default_rng(2)
    w1 = rng.integers(-2, 3, (6, 5))
    b1 = np.array([0.0, 1.0, -1.0, 0.5, 0.3])  # integer biases: values hit thresholds exactly
    thr2 = np.sort(rng.integers(-6, 7, (5, 3)), axis=1).astype(np.float64)
    w2 = rng.integers(-3, 4, (5, 4))
    nodes = [helper.make_node("MultiThreshold", ["x", "t1"], ["c"], domain=QDOMAIN,
                              out_dtype="UINT2"),
             helper.make_node("MatMul", ["c", "w1"], ["h"]),
             helper.make_node("Add", ["h", "b1"], ["hb"]),
             helper.make_node("MultiThreshold", ["hb", "t2"], ["a"], domain=QDOMAIN,
                              out_dtype="INT2", out_bias=-1.0),
             helper.make_node("MatMul", ["a", "w2"], ["y"])]
    model = make_model(nodes, {"t1": [[1.0, 2.0, 3.0]], "w1": w1, "b1": b1, "t2": thr2,
                               "w2": w2}, 6, 4)
    x = (rng.integers(0, 8, (500, 6)) / 2).astype(np.float32)  # 0, 0.5, ..., 3.5
    imp = read_qonnx(model, calibration=x)
    enc = imp.encoding
    assert isinstance(enc, ThermometerEncoding) and enc.width == 18
    bits = enc.encode(x).reshape(500, 6, 3)
    assert np.array_equal(bits, x[:, :, None] >= np.array([1.0, 2.0, 3.0]))  # x >= t exactly
    assert imp.layers[0].in_bits == 1 and imp.layers[0].levels == 3
    pre = (x[:, :, None] >= [1.0, 2.0, 3.0]).sum(-1) @ w1 + b1
    assert (pre[:, :, None] == thr2[None]).any()  # hidden values sit on thresholds, too
    assert imp.folding["tie_samples"] == 0
    assert_matches_oracle(model, imp, x)


def test_sign_activation_on_exact_zeros():
    """``Sign`` (sign(0) = 0) is a 3-level activation: codes -1/0/+1 with zeros exercised."""
    rng = np.random.default_rng(3)
    w1 = rng.integers(-1, 2, (5, 7))
    w2 = rng.integers(-2, 3, (7, 3))
    nodes = [quant("x", "q", "qi", signed=1),
             helper.make_node("MatMul", ["q", "w1"], ["h"]),
             helper.make_node("Sign", ["h"], ["a"]),
             helper.make_node("MatMul", ["a", "w2"], ["y"])]
    model = make_model(nodes, {"w1": w1, "w2": w2, **quant_inits("qi", 1.0, 0.0, 2)}, 5, 3)
    x = rng.integers(-2, 2, (300, 5)).astype(np.float32)
    imp = read_qonnx(model, calibration=x)
    h = x @ w1
    assert (h == 0).any()
    got = imp.layers[0](torch.from_numpy(imp.codes(x))).numpy()
    assert np.array_equal(got, np.sign(h).astype(np.int64) + 1)
    assert_matches_oracle(model, imp, x)


def _scaled_scores_model(scales) -> onnx.ModelProto:
    rng = np.random.default_rng(4)
    nodes = [quant("x", "q", "qi", signed=1),
             helper.make_node("MatMul", ["q", "w"], ["h"]),
             helper.make_node("Mul", ["h", "s"], ["y"])]
    return make_model(nodes, {"w": rng.integers(-3, 4, (6, 3)), "s": scales,
                              **quant_inits("qi", 0.5, 0.0, 3)}, 6, 3)


def test_per_class_scales_with_exact_ratios_fold():
    model = _scaled_scores_model([0.5, 0.75, 0.25])
    x = np.random.default_rng(5).normal(size=(300, 6)).astype(np.float32)
    imp = read_qonnx(model, calibration=x)
    assert imp.folding["tie_samples"] == 0
    assert_matches_oracle(model, imp, x)


def test_per_class_scales_without_a_common_unit_are_refused():
    with pytest.raises(GatecompError, match="per-class scales"):
        read_qonnx(_scaled_scores_model([0.5, 0.7071, 0.25]))


def test_unsupported_ops_listed_with_counts():
    nodes = [helper.make_node("Conv", ["x", "w"], ["c1"]),
             helper.make_node("Conv", ["c1", "w"], ["c2"]),
             helper.make_node("MaxPool", ["c2"], ["p"]),
             helper.make_node("Relu", ["p"], ["y"])]
    with pytest.raises(GatecompError, match=r"unsupported ONNX ops: Conv \(2\), MaxPool \(1\)"):
        read_qonnx(make_model(nodes, {"w": np.ones((1, 1, 1, 1))}, 4, 4))


def _prescaled_model(metadata: dict | None = None) -> onnx.ModelProto:
    nodes = [helper.make_node("Div", ["x", "d"], ["xs"]),
             quant("xs", "q", "qi", signed=0),
             helper.make_node("MatMul", ["q", "w"], ["y"])]
    w = np.random.default_rng(6).integers(-2, 3, (4, 3))
    return make_model(nodes, {"d": 16.0, "w": w, **quant_inits("qi", 0.25, 0.0, 2)}, 4, 3,
                      metadata)


def test_missing_metadata_falls_back_to_the_input_quantizer():
    imp = read_qonnx(_prescaled_model())
    assert imp.encoding == UniformEncoding(2, 0.25, 4, 0, 1 / 16)
    assert imp.dataset is None and imp.folding["input_map"] == "identity"
    assert "calibration_samples" not in imp.folding  # no data, no check
    raw = np.array([[0.0, 2.0, 6.0, 16.0]])
    assert np.array_equal(imp.codes(raw), [[0, 0, 2, 3]])  # round(x/16/0.25), 2 = half-to-even
    assert np.array_equal(imp.graph_input(raw), raw.astype(np.float32))


def test_metadata_input_map_dataset_and_metrics():
    meta = {"gatecomp.input_map": "prescale:2.0", "gatecomp.metrics": json.dumps({"acc": 0.5}),
            "gatecomp.dataset": json.dumps({"name": "somewhere/else"})}
    imp = read_qonnx(_prescaled_model(meta))
    assert imp.encoding.prescale == pytest.approx(2 / 16)
    assert imp.metrics["acc"] == 0.5 and imp.metrics["layer_sizes"] == [4, 3]
    assert imp.dataset == {"name": "somewhere/else"}
    assert imp.folding["calibration"].startswith("skipped")  # unknown dataset: no data
    raw = np.array([[1.0, 2.0, 3.0, 4.0]])
    assert np.array_equal(imp.graph_input(raw), 2 * raw.astype(np.float32))
    x = np.random.default_rng(7).uniform(0, 10, (200, 4))
    imp = read_qonnx(_prescaled_model(meta), calibration=x)
    assert imp.folding["calibration_samples"] == 200 and imp.folding["tie_samples"] == 0


@pytest.mark.parametrize(("meta", "match"), [
    ({"gatecomp.input_map": "scale:3"}, "input_map"),
    ({"gatecomp.encoding": "{not json"}, "not JSON"),
    ({"gatecomp.encoding": json.dumps(ThermometerEncoding((0.5,), 4).to_dict())}, "thermometer"),
    ({"gatecomp.encoding": json.dumps(UniformEncoding(3, 0.25, 4).to_dict())}, "does not match"),
])
def test_bad_metadata_is_refused(meta, match):
    with pytest.raises(GatecompError, match=match):
        read_qonnx(_prescaled_model(meta))


def test_bits_input_map_reads_the_graph_input_as_encoding_bits():
    """input_map "bipolar": a BipolarQuant on +-1 inputs folds into the first layer (no layer)."""
    rng = np.random.default_rng(8)
    w = rng.choice([-1.0, 1.0], (3, 6))
    nodes = [helper.make_node("BipolarQuant", ["x", "s"], ["b"], domain=QDOMAIN),
             helper.make_node("BipolarQuant", ["w", "s"], ["wq"], domain=QDOMAIN),
             helper.make_node("Gemm", ["b", "wq"], ["y"], transB=1)]
    enc = ThermometerEncoding((0.5, 1.5), 3)
    meta = {"gatecomp.input_map": "bipolar", "gatecomp.encoding": json.dumps(enc.to_dict())}
    model = make_model(nodes, {"s": 1.0, "w": w}, 6, 3, meta)
    raw = rng.integers(0, 3, (100, 3)).astype(np.float64)
    imp = read_qonnx(model, calibration=raw)
    assert imp.encoding == enc and [type(m) for m in imp.layers] == [IntScores]
    assert np.array_equal(imp.graph_input(raw), 2 * enc.encode(raw) - 1.0)
    ref = qonnx_execute(model, imp.graph_input(raw))
    assert is_affine_image(imp.scores(raw), ref)


@pytest.mark.parametrize(("nodes", "match"), [
    ([helper.make_node("MatMul", ["x", "wf"], ["y"])], "first quantizer"),
    ([quant("x", "q", "qi", signed=1), helper.make_node("MatMul", ["q", "wf"], ["y"])],
     "neither quantized"),
    ([quant("x", "q", "qi", signed=1), helper.make_node("MatMul", ["q", "w"], ["h"]),
      helper.make_node("Add", ["h", "h"], ["y"])], "two data tensors"),
    ([quant("x", "q", "qi", signed=1), helper.make_node("MatMul", ["q", "w"], ["h"]),
      helper.make_node("Relu", ["h"], ["y"])], "Relu on the class scores"),
])
def test_graphs_that_do_not_fold_are_refused(nodes, match):
    inits = {"wf": np.full((4, 4), 0.3), "w": np.eye(4), **quant_inits("qi", 0.5, 0.0, 2)}
    read = {i for n in nodes for i in n.input}  # an unread initializer is refused first
    with pytest.raises(GatecompError, match=match):
        read_qonnx(make_model(nodes, {k: v for k, v in inits.items() if k in read}, 4, 4))


def test_not_an_onnx_file(tmp_path):
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"\x00\x01 definitely not protobuf \xff" * 10)
    with pytest.raises(UnknownFormatError):
        read_qonnx(path)


def test_own_executor_matches_qonnx():
    model = _scaled_scores_model([0.5, 0.75, 0.25])
    graph = parse_graph(*load_onnx(model))
    x = np.random.default_rng(9).normal(size=(50, 6)).astype(np.float32)
    ours = run_graph(graph, x)[graph.output]
    assert np.array_equal(ours, qonnx_execute(model, x).astype(np.float32))


def test_constant_subgraphs_slice_and_transpose():
    """Weights built by constant ops (Slice of an initializer, Quant, Transpose) as exporters
    emit them: the quantized integers survive the shape ops."""
    rng = np.random.default_rng(10)
    nodes = [helper.make_node("Slice", ["big", "start", "end", "axes"], ["w0"]),
             quant("w0", "wq", "qw", signed=1, narrow=1),
             helper.make_node("Transpose", ["wq"], ["wt"], perm=[1, 0]),
             quant("x", "q", "qi", signed=1),
             helper.make_node("MatMul", ["q", "wt"], ["h"]),
             quant("h", "a", "qa", signed=0),
             helper.make_node("MatMul", ["a", "w2"], ["y"])]
    inits = {"big": rng.normal(size=(7, 5)), "w2": rng.integers(-2, 3, (4, 3)),
             **quant_inits("qw", [[0.31], [0.23], [0.27], [0.43]], 0.0, 3),  # no exact ties
             **quant_inits("qi", 0.5, 0.0, 3), **quant_inits("qa", 0.37, 0.0, 2)}
    model = make_model(nodes, inits, 5, 3)
    model.graph.initializer.extend(numpy_helper.from_array(np.array([v], np.int64), k)
                                   for k, v in (("start", 1), ("end", 5), ("axes", 0)))
    x = rng.normal(size=(300, 5)).astype(np.float32)
    imp = read_qonnx(model, calibration=x)
    assert tuple(imp.layers[0].weight.shape) == (4, 5)
    assert imp.folding["boundary_samples"] == 0
    assert_matches_oracle(model, imp, x, exact=False)


@pytest.mark.parametrize("data_first", [True, False])
def test_sub_and_div_by_constants(data_first):
    """``h - c`` / ``c - h`` (a negative scale: rows negated) and a per-channel Div."""
    rng = np.random.default_rng(11)
    sub = ["h", "c"] if data_first else ["c", "h"]
    nodes = [quant("x", "q", "qi", signed=1),
             helper.make_node("MatMul", ["q", "w1"], ["h"]),
             helper.make_node("Sub", sub, ["hs"]),
             helper.make_node("Div", ["hs", "d"], ["hd"]),
             quant("hd", "a", "qa", signed=1),
             helper.make_node("MatMul", ["a", "w2"], ["y"])]
    inits = {"w1": rng.integers(-3, 4, (5, 6)), "c": rng.normal(size=6),
             "d": rng.uniform(0.5, 2.0, 6), "w2": rng.integers(-2, 3, (6, 3)),
             **quant_inits("qi", 0.5, 0.0, 3), **quant_inits("qa", 0.7, 0.0, 3)}
    model = make_model(nodes, inits, 5, 3)
    x = rng.normal(size=(300, 5)).astype(np.float32)
    imp = read_qonnx(model, calibration=x)
    assert imp.folding["boundary_samples"] == 0
    negated = (imp.layers[0].weight.numpy() == -inits["w1"].T).all()
    assert negated == (not data_first)
    assert_matches_oracle(model, imp, x, exact=False)
