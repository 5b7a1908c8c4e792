"""The BNN and QNN frontends read everything or refuse: one test per class of mistake.

Each refusal is a one-line GatecompError naming the first thing not understood; a compile
refused so writes nothing. The own forwards run the library's code, independently of
gatecomp's reading.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import gatecomp
from gatecomp.errors import GatecompError
from gatecomp.flow import compile_model
from gatecomp.frontends import bnn, qnn
from gatecomp.frontends.bnn.formats import bnn_checkpoint
from gatecomp.frontends.qnn.formats import qnn_checkpoint
from gatecomp.nn import IntScores
from tests.unit.bnn_nets import random_bnn
from tests.unit.qnn_nets import all_inputs, random_qnn

pytestmark = pytest.mark.filterwarnings("ignore")
EXAMPLES = Path(gatecomp.__file__).parent / "examples"


def _refused(tmp_path: Path, obj, suffix: str, match: str) -> None:
    """Compiling ``obj`` (a checkpoint dict or an ONNX model) raises ``match``; no out_dir."""
    path = tmp_path / f"model{suffix}"
    if suffix == ".onnx":
        import onnx

        onnx.save(obj, str(path))
    else:
        torch.save(obj, path)
    out = tmp_path / "out"
    with pytest.raises(GatecompError, match=match) as info:
        compile_model(path, out)
    assert "\n" not in str(info.value) and str(info.value).startswith(str(path))
    assert not out.exists()


# -- gatecomp.bnn / gatecomp.qnn checkpoints ------------------------------------------------
@pytest.fixture
def bnn_ckpt() -> dict:
    return bnn_checkpoint(random_bnn([5], in_dim=6, k=3, seed=1))


@pytest.fixture
def qnn_ckpt() -> dict:
    return qnn_checkpoint(random_qnn([4], 3, 2, seed=0))


@pytest.mark.parametrize(("fixture", "key", "value", "match"), [
    ("bnn_ckpt", "temperature", 2.0, r"gatecomp.bnn checkpoint field 'temperature' is not "
                                     r"understood \(gatecomp reads format, version"),
    ("qnn_ckpt", "calibration", [1, 2], r"gatecomp.qnn checkpoint field 'calibration' is not "
                                        r"understood"),
])
def test_unknown_checkpoint_field(tmp_path, request, fixture, key, value, match):
    ckpt = request.getfixturevalue(fixture)
    ckpt[key] = value
    _refused(tmp_path, ckpt, ".pt", match)


def test_bnn_unknown_layer_spec_key(tmp_path, bnn_ckpt):
    bnn_ckpt["layers"][0]["bias"] = True
    _refused(tmp_path, bnn_ckpt, ".pt",
             r"layer 0 \(threshold\): layer spec field 'bias' is not understood")


def test_bnn_unread_state_dict_entry(tmp_path, bnn_ckpt):
    bnn_ckpt["state_dict"]["0.running_mean"] = torch.zeros(5)
    _refused(tmp_path, bnn_ckpt, ".pt", r"state_dict entry '0.running_mean' was not understood "
                                        r"\(it seems to belong to layer 0 \(threshold\), which "
                                        r"has no 'running_mean'")


def test_bnn_spec_size_and_float_thresholds(tmp_path, bnn_ckpt):
    bnn_ckpt["layers"][0]["out_dim"] = 7
    _refused(tmp_path, bnn_ckpt, ".pt", r"the spec says out_dim=7 but the tensors have 5")
    bnn_ckpt["layers"][0]["out_dim"] = 5
    bnn_ckpt["state_dict"]["0.threshold"] = bnn_ckpt["state_dict"]["0.threshold"] + 0.5
    _refused(tmp_path, bnn_ckpt, ".pt", r"'0.threshold' holds non-integer values")


def test_qnn_unknown_spec_key_and_missing_in_bits(tmp_path, qnn_ckpt):
    qnn_ckpt["layers"][1]["signed"] = True
    _refused(tmp_path, qnn_ckpt, ".pt",
             r"layer 1 \(scores\): layer spec field 'signed' is not understood")
    del qnn_ckpt["layers"][1]["signed"], qnn_ckpt["layers"][0]["in_bits"]
    _refused(tmp_path, qnn_ckpt, ".pt", r"layer 0 \(linear\): the spec lacks 'in_bits'")


def test_qnn_state_dict_entry_of_an_undescribed_layer(tmp_path, qnn_ckpt):
    qnn_ckpt["state_dict"]["2.weight"] = torch.ones(2, 2, dtype=torch.int64)
    _refused(tmp_path, qnn_ckpt, ".pt", r"state_dict entry '2.weight' was not understood \(it "
                                        r"seems to belong to a layer the 'layers' list does not")


# -- QONNX graphs ----------------------------------------------------------------------------
def _graph(extra_nodes=(), extra_inits=None, **quant_attrs):
    """Quant input -> MatMul -> scores, plus whatever a test adds."""
    from onnx import helper

    from tests.unit.test_frontends_qonnx_graphs import QDOMAIN, make_model, quant_inits

    attrs = {"signed": 1, "narrow": 0, "rounding_mode": "ROUND", **quant_attrs}
    attrs = {k: v for k, v in attrs.items() if v is not None}
    nodes = [helper.make_node("Quant", ["x", "qi_s", "qi_z", "qi_b"], ["q"], domain=QDOMAIN,
                              **attrs),
             helper.make_node("MatMul", ["q", "w"], ["y"]), *extra_nodes]
    inits = {"w": np.eye(4)[:, :3], **quant_inits("qi", 0.5, 0.0, 2), **(extra_inits or {})}
    return make_model(nodes, inits, 4, 3)


def test_unknown_onnx_op(tmp_path):
    from onnx import helper

    model = _graph()
    model.graph.node[1].output[0] = "h"
    model.graph.node.append(helper.make_node("Erf", ["h"], ["y"]))
    _refused(tmp_path, model, ".onnx", r"unsupported ONNX ops: Erf \(1\)")


@pytest.mark.parametrize(("change", "match"), [
    (lambda n: n[1].attribute.append(_attr("transA", 1)), r"MatMul .*: attribute 'transA' is "
                                                          r"not understood \(gatecomp reads "
                                                          r"MatMul: no attributes\)"),
    (lambda n: n[0].attribute.append(_attr("axis", 0)), r"attribute 'axis' is not understood"),
    (lambda n: setattr(n[1], "domain", "com.example"), r"domain 'com.example' does not define "
                                                       r"the MatMul gatecomp folds"),
])
def test_unknown_onnx_attribute_or_domain(tmp_path, change, match):
    model = _graph()
    change(model.graph.node)
    _refused(tmp_path, model, ".onnx", match)


def _attr(name, value):
    from onnx import helper

    return helper.make_attribute(name, value)


@pytest.mark.parametrize(("attrs", "match"), [
    ({"narrow": None}, r"Quant .*: lacks the attribute 'narrow', which has no default"),
    ({"rounding_mode": "STOCHASTIC"}, r"rounding_mode='STOCHASTIC' is not supported"),
    ({"signed": 2}, r"signed=2 is not supported \(gatecomp's lowering assumes 0 or 1\)"),
])
def test_unsupported_onnx_attribute_value(tmp_path, attrs, match):
    _refused(tmp_path, _graph(**attrs), ".onnx", match)


def test_gemm_value_the_lowering_does_not_assume(tmp_path):
    model = _graph()
    gemm = model.graph.node[1]
    gemm.op_type = "Gemm"
    gemm.attribute.append(_attr("transA", 1))
    _refused(tmp_path, model, ".onnx", r"Gemm .*: transA=1 is not supported \(gatecomp's "
                                       r"lowering assumes 0\)")


def test_unused_onnx_initializer(tmp_path):
    _refused(tmp_path, _graph(extra_inits={"spare": np.ones(3)}), ".onnx",
             r"initializer 'spare' is not read by any node")


def test_unknown_gatecomp_metadata_and_live_dropout(tmp_path):
    from onnx import TensorProto, helper, numpy_helper

    model = _graph()
    entry = model.metadata_props.add()
    entry.key, entry.value = "gatecomp.input_mpa", "bits"
    _refused(tmp_path, model, ".onnx", r"metadata 'gatecomp.input_mpa' is not understood")
    model = _graph()
    model.graph.node[1].output[0] = "h"
    model.graph.node.append(helper.make_node("Dropout", ["h", "ratio", "train"], ["y"]))
    model.graph.initializer.extend([
        numpy_helper.from_array(np.array(0.5, np.float32), "ratio"),
        helper.make_tensor("train", TensorProto.BOOL, [], [True])])
    _refused(tmp_path, model, ".onnx", r"Dropout .*: training_mode is not a constant false")


# -- in-memory modules -----------------------------------------------------------------------
def test_binary_module_settings_that_are_not_read():
    net = random_bnn([5], in_dim=6, k=3, seed=1)
    net[1].temperature = 3.0
    with pytest.raises(GatecompError, match=r"module '1' \(BinaryScores\): unknown attribute "
                                            r"'temperature'"):
        bnn.load_bnn(net)
    net = random_bnn([5], in_dim=6, k=3, seed=1)
    net[0].bn.track_running_stats = False
    with pytest.raises(GatecompError, match=r"module '0.bn' \(BatchNorm1d\): "
                                            r"track_running_stats=False is not supported"):
        bnn.load_bnn(net)
    net = random_bnn([5], in_dim=6, k=3, seed=1)
    net[0].register_forward_hook(lambda _m, _i, out: 1 - out)
    with pytest.raises(GatecompError, match=r"module '0' \(BinaryLinear\): has forward_hooks "
                                            r"registered"):
        bnn.load_bnn(net)


def test_integer_module_buffer_and_subclass_refused():
    layers = random_qnn([4], 3, 2, seed=0)
    layers[0].register_buffer("scale", torch.ones(4))
    with pytest.raises(GatecompError, match=r"module '0' \(IntLinear\): unknown buffer 'scale'"):
        qnn.load_qnn(layers)

    class Shifted(IntScores):
        def forward(self, x):
            return super().forward(x) + 1

    layers = random_qnn([4], 3, 2, seed=0)
    layers[1] = Shifted(layers[1].weight, layers[1].bias, in_bits=layers[1].in_bits)
    with pytest.raises(GatecompError, match=r"a subclass of IntScores, whose forward may differ"):
        qnn.load_qnn(layers)


brevitas = pytest.importorskip("brevitas")


def test_brevitas_settings_the_bnn_frontend_does_not_read():
    import brevitas.nn as bnn_layers
    from brevitas.quant import Int32Bias
    from brevitas.quant.binary import SignedBinaryWeightPerTensorConst

    from tests.unit.brevitas_nets import random_brevitas_bnn

    net = random_brevitas_bnn([5], 6, 2, seed=0)
    net[0] = bnn_layers.QuantIdentity(bit_width=1)  # an integer 1-bit quantizer: {0, 1}
    with pytest.raises(GatecompError, match=r"the activation quantizer is RescalingIntQuant, "
                                            r"not a binary sign quantizer"):
        bnn.load_bnn(net)
    net = random_brevitas_bnn([5], 6, 2, seed=0)
    net[1] = bnn_layers.QuantLinear(6, 5, bias=True, bias_quant=Int32Bias,
                                    weight_quant=SignedBinaryWeightPerTensorConst)
    with pytest.raises(GatecompError, match=r"a quantized bias \(bias_quant\) is not read"):
        bnn.load_bnn(net)
    net = random_brevitas_bnn([5], 6, 2, seed=0)
    net[2].register_forward_pre_hook(lambda _m, inp: (inp[0] * 2,))
    with pytest.raises(GatecompError, match=r"module '2' \(BatchNorm1d\): has "
                                            r"forward_pre_hooks registered"):
        bnn.load_bnn(net)


# -- own forwards ----------------------------------------------------------------------------
def test_own_forward_of_an_onnx_graph_is_qonnx_and_independent():
    pytest.importorskip("qonnx")
    model = qnn.load_qnn(EXAMPLES / "digits_brevitas_q2.onnx")
    bits, _ = qnn.dataset_vectors(model, "test")
    own = qnn.own_forward(model, bits)
    assert own.independent and own.name.startswith("qonnx ") and set(own.outputs) == {"pred"}
    assert np.array_equal(own.outputs["pred"], qnn.reference_outputs(model, bits)["pred"])
    # a misread of the weights changes gatecomp's reading, not qonnx's forward
    last = model.layers[-1]
    model.layers[-1] = IntScores(last.weight.flip(0), last.bias, in_bits=last.in_bits)
    again = qnn.own_forward(model, bits)
    misread = qnn.reference_outputs(model, bits)["pred"]
    assert (again.outputs["pred"] != misread).mean() > 0.5


def test_own_forward_of_a_brevitas_bnn_runs_brevitas():
    from tests.unit.brevitas_nets import random_brevitas_bnn

    x = all_inputs(8)
    model = bnn.load_bnn(random_brevitas_bnn([7], 8, 3, seed=2))
    own = bnn.own_forward(model, x)
    assert own.name.startswith(f"brevitas {brevitas.__version__} forward of the <in-memory")
    assert np.array_equal(own.outputs["pred"], bnn.reference_outputs(model, x)["pred"])
    model.module[0].threshold.add_(3)  # misread thresholds: only gatecomp's reading moves
    assert not np.array_equal(bnn.own_forward(model, x).outputs["pred"],
                              bnn.reference_outputs(model, x)["pred"])


def test_own_forward_of_a_k_bit_brevitas_module_and_of_checkpoints(tmp_path):
    pytest.importorskip("qonnx")
    from tests.unit.qonnx_nets import random_brevitas_qnn

    calib = np.random.default_rng(10).normal(size=(64, 6))
    model = qnn.load_qnn(random_brevitas_qnn(6, [5], 3, seed=3, calibrate=calib))
    bits = np.random.default_rng(1).integers(0, 2, (400, model.input_width)).astype(bool)
    own = qnn.own_forward(model, bits)
    assert own.name.startswith("brevitas ")
    assert np.array_equal(own.outputs["pred"], qnn.reference_outputs(model, bits)["pred"])
    ckpt = qnn.load_qnn(EXAMPLES / "digits_qnn.pt")
    own = qnn.own_forward(ckpt, np.zeros((3, ckpt.input_width), bool))
    assert own.name == "gatecomp.nn eval forward of the checkpoint's layers"
    assert set(own.outputs) == {*(f"score{c}" for c in range(10)), "pred"}
