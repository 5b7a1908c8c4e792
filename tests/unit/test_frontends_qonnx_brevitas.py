"""Brevitas k-bit models exported to QONNX, folded, and checked against two independent oracles:
qonnx's executor on the exported graph and the Brevitas float forward."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("brevitas")
pytest.importorskip("qonnx")

import torch  # noqa: E402

from gatecomp.errors import GatecompError  # noqa: E402
from gatecomp.frontends.bnn import load_bnn, reference_outputs  # noqa: E402
from gatecomp.frontends.qonnx.brevitas_export import (  # noqa: E402
    export_qonnx_model,
    fold_brevitas_quant,
    qonnx_metadata,
)
from gatecomp.frontends.qonnx.reader import read_qonnx  # noqa: E402
from gatecomp.nn import (  # noqa: E402
    DIGITS_SPLIT,
    IntLinear,
    IntScores,
    ThermometerEncoding,
    UniformEncoding,
    load_split,
)
from tests.unit.brevitas_nets import random_brevitas_bnn  # noqa: E402
from tests.unit.qonnx_nets import (  # noqa: E402
    brevitas_forward,
    is_affine_image,
    qonnx_execute,
    random_brevitas_qnn,
)

pytestmark = pytest.mark.filterwarnings("ignore")

CONFIGS = {
    "relu2": {},
    "per_channel_hardtanh3_no_bn": {"per_channel": True, "act": "hardtanh", "act_bits": 3,
                                    "bn": False, "hidden_bias": False},
    "unsigned_in3_relu4_w3_int32_bias": {"in_signed": False, "in_bits": 3, "act_bits": 4,
                                         "weight_bits": 3, "last_bias": "int32"},
    "float_bias_quantized_scores": {"act": "identity", "act_bits": 4, "last_bias": "float",
                                    "last_quant": 3},
    "binary_acts": {"binary_act": True},
}


def _off_top2_ties(floats: np.ndarray, rtol: float = 1e-5) -> np.ndarray:
    srt = np.sort(floats, 1)
    return srt[:, -1] - srt[:, -2] > rtol * (np.abs(floats).max() + 1e-12)


@pytest.fixture(scope="module", params=list(CONFIGS))
def exported(request):
    """(config name, Brevitas module, exported ModelProto); one export per configuration."""
    calib = np.random.default_rng(10).normal(size=(64, 10))
    module = random_brevitas_qnn(10, [12, 8], 4, seed=3, calibrate=calib,
                                 **CONFIGS[request.param])
    return request.param, module, export_qonnx_model(module, torch.zeros(1, 10))


def test_fold_matches_qonnx_executor_and_brevitas(exported):
    name, module, model = exported
    x = np.random.default_rng(0).normal(size=(300, 10)).astype(np.float32)
    imp = read_qonnx(model, calibration=x)
    scores = imp.scores(x)
    for ref in (qonnx_execute(model, x), brevitas_forward(module, x)):
        # integer scores are an exact affine image of the float outputs: no code flipped
        assert is_affine_image(scores, ref), name
        off = _off_top2_ties(ref)
        assert np.array_equal(scores.argmax(1)[off], ref.argmax(1)[off]), name
        # the reported disagreements are at most the float outputs' own top-2 ties
        assert imp.folding["tie_samples"] <= int((~off).sum()), name


def test_folded_layers_follow_the_contract(exported):
    name, _module, model = exported
    imp = read_qonnx(model)
    cfg = CONFIGS[name]
    kinds = [type(m) for m in imp.layers]
    extra = [IntLinear] if cfg.get("last_quant") else []
    assert kinds == [IntLinear, IntLinear, *extra, IntScores]
    assert [m.out_dim for m in imp.layers] == [12, 8, *([4] if extra else []), 4]
    enc = imp.encoding
    if cfg.get("binary_act"):  # BipolarQuant on the input: one bit per feature, x >= 0
        assert isinstance(enc, ThermometerEncoding) and enc.width == 10
        assert np.array_equal(enc.encode(np.array([[0.0, -1e-30, 2.0] * 3 + [-3.0]])),
                              [[True, False, True] * 3 + [False]])
    else:
        assert isinstance(enc, UniformEncoding)
        assert enc.bits == cfg.get("in_bits", 2)
        signed = cfg.get("in_signed", True)
        assert enc.zero_point == (1 << (enc.bits - 1) if signed else 0)
    if not cfg.get("binary_act"):
        bits = cfg.get("act_bits", 2)
        levels = (1 << bits) - 1
        assert imp.layers[0].levels == levels and imp.layers[1].in_bits == bits
    else:
        assert imp.layers[0].levels == 1 and imp.layers[1].in_bits == 1


def test_digits_inputs_with_prescale_metadata():
    """A 64-input model fed pixels/16 (metadata prescale), checked on the digits test split
    (the default calibration set of the recorded dataset)."""
    train = load_split(DIGITS_SPLIT)["x_train"][:200] / 16
    # range 1.1: scale 0.3667 puts no pixel on a rounding boundary (range 1.0 puts pixel 8 there)
    module = random_brevitas_qnn(64, [16], 10, seed=5, in_signed=False, calibrate=train,
                                 in_range=1.1)
    meta = qonnx_metadata(input_map="prescale:0.0625", dataset=DIGITS_SPLIT)
    model = export_qonnx_model(module, torch.zeros(1, 64), metadata=meta)
    imp = read_qonnx(model)
    raw = load_split(DIGITS_SPLIT)["x_test"]
    assert imp.folding["calibration_samples"] == len(raw)
    assert imp.folding["boundary_samples"] == 0
    assert imp.encoding.prescale == 0.0625 and imp.dataset == DIGITS_SPLIT
    gx = imp.graph_input(raw)
    assert np.array_equal(gx, (raw / 16).astype(np.float32))
    scores = imp.scores(raw)
    for ref in (qonnx_execute(model, gx), brevitas_forward(module, gx)):
        assert is_affine_image(scores, ref)
        off = _off_top2_ties(ref)
        assert np.array_equal(scores.argmax(1)[off], ref.argmax(1)[off])


def test_input_rounding_ties_are_reported():
    """Scale 1/3 on pixels/16 puts pixel 8 exactly on a rounding boundary (1.5): the report
    counts exactly the samples with an 8. Brevitas' prediction differs from the integer one
    only on ties: a sample with an 8 (float rounding may resolve the input differently), or
    integer scores whose maximum several classes reach, Brevitas' class among them (float32
    rounding of exactly equal scores picks it); the report counts those as score ties."""
    module = random_brevitas_qnn(64, [16], 10, seed=5, in_signed=False)  # scale 1/3
    imp = fold_brevitas_quant(module, torch.zeros(1, 64), input_map="prescale:0.0625",
                              dataset=DIGITS_SPLIT)
    raw = load_split(DIGITS_SPLIT)["x_test"]
    has8 = (raw == 8).any(1)
    assert imp.encoding.scale == pytest.approx(1 / 3)
    assert imp.folding["boundary_samples"] == int(has8.sum()) > 0
    scores = imp.scores(raw)
    top = scores.max(1)
    score_tie = (scores == top[:, None]).sum(1) > 1
    assert imp.folding["score_tie_samples"] == int(score_tie.sum()) > 0
    picked = brevitas_forward(module, imp.graph_input(raw)).argmax(1)
    differ = picked != imp.predict(raw)
    brevitas_on_top = scores[np.arange(len(raw)), picked] == top
    assert not (differ & ~has8 & ~brevitas_on_top).any()


def test_bnn_through_qonnx_equals_the_bnn_frontend():
    """The binary Brevitas path (bnn_brevitas) and the QONNX path fold one BNN to the same
    predictions and (affinely) the same scores on every input."""
    m = random_brevitas_bnn([12], 10, 3, seed=4, weight_scale=1.0)
    with torch.no_grad():
        m[2].bias.add_(0.25)  # off the reachable grid: no ties
    x = ((np.arange(1 << 10)[:, None] >> np.arange(10)) & 1).astype(np.float64)
    bnn = load_bnn(m, calibration=x.astype(bool))
    want = reference_outputs(bnn, x.astype(bool))
    imp = fold_brevitas_quant(m, torch.zeros(1, 10), x, input_map="bipolar",
                              encoding=ThermometerEncoding((0.5,), 10))
    assert imp.folding["tie_samples"] == 0
    assert imp.folding["brevitas_prediction_agreement"] == 1.0
    assert np.array_equal(imp.predict(x), want["pred"])
    counts = np.stack([want[f"count{c}"] for c in range(3)], 1)
    assert is_affine_image(imp.scores(x), counts.astype(np.float64))


def test_one_bit_integer_quantizer_is_refused():
    import brevitas.nn as qnn
    from torch import nn

    m = nn.Sequential(qnn.QuantIdentity(bit_width=1), qnn.QuantLinear(4, 2, bias=False))
    with pytest.raises(GatecompError, match="1-bit integer quantizer"):
        fold_brevitas_quant(m, torch.zeros(1, 4))


def test_float_bias_on_the_scores_is_refused():
    module = random_brevitas_qnn(6, [5], 3, seed=1, last_bias="float")
    with pytest.raises(GatecompError, match="Int32Bias"):
        fold_brevitas_quant(module, torch.zeros(1, 6))
