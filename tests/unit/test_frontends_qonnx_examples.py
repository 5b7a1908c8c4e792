"""The bundled Brevitas QONNX digits examples fold to integer layers matching qonnx's executor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("qonnx")

import onnx  # noqa: E402

import gatecomp  # noqa: E402
from gatecomp.frontends.qonnx.reader import read_qonnx  # noqa: E402
from gatecomp.nn import (  # noqa: E402
    DIGITS_SPLIT,
    IntLinear,
    IntScores,
    ThermometerEncoding,
    UniformEncoding,
    digits_encoding,
    load_split,
)
from tests.unit.qonnx_nets import is_affine_image, qonnx_execute  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore")
EXAMPLES = Path(gatecomp.__file__).parent / "examples"


@pytest.fixture(scope="module")
def digits():
    return load_split(DIGITS_SPLIT)


def _check_against_qonnx(path: Path, imp, raw: np.ndarray) -> None:
    ref = qonnx_execute(onnx.load(str(path)), imp.graph_input(raw))
    scores = imp.scores(raw)
    assert is_affine_image(scores, ref)
    srt = np.sort(ref, 1)
    off = srt[:, -1] - srt[:, -2] > 1e-5 * np.abs(ref).max()
    assert np.array_equal(scores.argmax(1)[off], ref.argmax(1)[off])


def test_sparse_2bit_digits_example(digits):
    path = EXAMPLES / "digits_brevitas_q2.onnx"
    assert path.stat().st_size < 1 << 20
    imp = read_qonnx(path)  # calibrates on the recorded dataset's test split
    assert imp.dataset == DIGITS_SPLIT
    assert imp.folding["calibration_samples"] == len(digits["x_test"])
    assert imp.folding["prediction_agreement"] >= 0.99
    assert isinstance(imp.encoding, UniformEncoding) and imp.encoding.bits == 2
    assert imp.encoding.prescale == 1 / 16
    assert [type(m) for m in imp.layers] == [IntLinear, IntLinear, IntScores]
    hidden_fan_in = [int(m.fan_in().max()) for m in imp.layers[:-1]]
    assert max(hidden_fan_in) <= imp.metrics["fan_in"]
    assert all(m.levels == 3 and m.in_bits == 2 for m in imp.layers[:-1])
    acc = float(np.mean(imp.predict(digits["x_test"]) == digits["y_test"]))
    assert acc == imp.metrics["test_accuracy"] and acc > 0.9
    _check_against_qonnx(path, imp, digits["x_test"])


def test_brevitas_bnn_digits_example(digits):
    path = EXAMPLES / "digits_brevitas_bnn.onnx"
    assert path.stat().st_size < 1 << 20
    imp = read_qonnx(path)
    assert imp.input_map == "bipolar"
    assert isinstance(imp.encoding, ThermometerEncoding) and imp.encoding == digits_encoding()
    assert [type(m) for m in imp.layers] == [IntLinear, IntScores]
    assert imp.layers[0].in_bits == 1 and imp.layers[0].levels == 1
    assert imp.folding["prediction_agreement"] >= 0.99
    acc = float(np.mean(imp.predict(digits["x_test"]) == digits["y_test"]))
    assert acc == imp.metrics["test_accuracy"] and acc > 0.9
    _check_against_qonnx(path, imp, digits["x_test"])


def test_brevitas_bnn_example_lowers_bit_exactly_on_the_test_set():
    """The dense binary QONNX model through the QNN frontend: the gates equal the integer
    reference on all 360 test digits (its RTL run is the same netlist; see the README)."""
    from gatecomp.aig import simulate
    from gatecomp.frontends.registry import load_model

    fe, model = load_model(EXAMPLES / "digits_brevitas_bnn.onnx")
    bits, labels = fe.dataset_vectors(model, "test")
    want = fe.reference(model, bits)
    net = fe.lower(model)
    got = net.output_words(simulate(net.aig, bits))
    assert len(bits) == 360
    for port, values in want.items():
        assert np.array_equal(got[port], values), port
    assert float(np.mean(got["pred"] == labels)) == model.metrics["test_accuracy"]
