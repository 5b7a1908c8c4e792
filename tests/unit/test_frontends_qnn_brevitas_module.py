"""In-memory k-bit Brevitas modules reach the QNN frontend (through QONNX); binary ones the BNN."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("brevitas")
pytest.importorskip("onnx")

from gatecomp.aig import simulate  # noqa: E402
from gatecomp.frontends.qnn import dataset_vectors, load_qnn, reference_outputs  # noqa: E402
from gatecomp.frontends.registry import load_model  # noqa: E402
from gatecomp.nn import DIGITS_SPLIT, load_split  # noqa: E402
from tests.unit.brevitas_nets import random_brevitas_bnn  # noqa: E402
from tests.unit.qonnx_nets import brevitas_forward, random_brevitas_qnn  # noqa: E402


@pytest.fixture(scope="module")
def module():
    raw = load_split(DIGITS_SPLIT)["x_train"][:300]
    return random_brevitas_qnn(64, [16], 10, seed=5, in_signed=False, calibrate=raw / 16)


def test_registry_sends_k_bit_brevitas_to_qnn_and_binary_to_bnn(module):
    fe, model = load_model(module)
    assert fe.name == "qnn" and model.format == "brevitas.module"
    fe, _ = load_model(random_brevitas_bnn([6], 8, 3, seed=1))
    assert fe.name == "bnn"


def test_brevitas_module_lowers_bit_exactly_and_agrees_off_ties(module):
    model = load_qnn(module, input_map="prescale:0.0625", dataset=DIGITS_SPLIT)
    bits, _ = dataset_vectors(model, "test")
    want = reference_outputs(model, bits)
    net = load_model(model)[0].lower(model)
    got = net.output_words(simulate(net.aig, bits))
    for port, values in want.items():
        assert np.array_equal(got[port], values), port
    # the integer model and the float Brevitas forward disagree only on reported ties
    raw = load_split(DIGITS_SPLIT)["x_test"]
    float_pred = brevitas_forward(module, (raw / 16).astype(np.float32)).argmax(1)
    differ = np.flatnonzero(float_pred != want["pred"])
    assert set(differ.tolist()) <= set(model.folding["tie_sample_indices"])
    assert model.folding["calibration_samples"] == len(raw)
