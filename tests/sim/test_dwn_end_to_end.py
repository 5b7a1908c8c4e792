"""A torch_dwn network on scikit-learn digits to RTL with its thermometer folded in: the
simulated hardware, fed the raw integer pixels, predicts what torch_dwn's encoder + model
predict, bit for bit."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from gatecomp.flow import CompileOptions, compile_model
from gatecomp.verify.rtl_sim import run_rtl_verify
from tests.unit.test_frontends_dwn import dwn, dwn_classes
from tests.unit.test_frontends_dwn_encoder import DIGITS, FEATURES, digits_model, feature_bits

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")]


def test_dwn_with_encoder_rtl_equals_torch_dwn_on_digits(tmp_path):
    encoder = dwn.DistributiveThermometer(3).fit(torch.from_numpy(DIGITS.data[:1200]))
    model = digits_model(encoder, seed=1, hidden=True)
    torch.save(model, tmp_path / "dwn.pt")
    torch.save(encoder, tmp_path / "enc.pt")
    test = FEATURES[1200:1500]
    bits = 5  # DistributiveThermometer's thresholds are pixel values (<= 16)
    np.save(tmp_path / "x.npy", feature_bits(np.minimum(test, 31), bits))
    build = tmp_path / "net"
    result = compile_model(tmp_path / "dwn.pt", build, CompileOptions(
        encoder=tmp_path / "enc.pt", inputs=tmp_path / "x.npy", pipeline_stages=2))
    rep = result.report
    assert rep["checks"]["reference"]["name"].startswith("torch_dwn 1.1.1 LUT forward")
    assert rep["network"]["encoder"]["input_bits"] == bits
    res = run_rtl_verify(build)
    assert res.passed and res.vectors == len(test)
    _, pred = dwn_classes(model, encoder.binarize(torch.from_numpy(test)).flatten(1))
    assert np.array_equal(res.outputs["pred"], pred)
    assert (pred == DIGITS.target[1200:1500]).mean() > 0.8
