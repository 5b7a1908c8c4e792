"""QNN end to end: gatecomp.qnn checkpoint -> compile_model -> cocotb (Icarus) vs. PyTorch."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from gatecomp.flow import CompileOptions, compile_model
from gatecomp.frontends.qnn.formats import save_qnn
from gatecomp.nn import DIGITS_SPLIT, load_split
from gatecomp.verify.rtl_sim import run_rtl_verify
from tests.unit.qnn_nets import digits_qnn

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(not shutil.which("iverilog"), reason="iverilog not installed")]


def test_digits_qnn_pipelined_rtl_matches_pytorch(tmp_path):
    layers, enc = digits_qnn(hidden=32, fan_in=4, seed=0)
    ckpt = save_qnn(tmp_path / "q.pt", layers, encoding=enc, dataset=DIGITS_SPLIT)
    out = tmp_path / "q"
    result = compile_model(ckpt, out, CompileOptions(pipeline_stages=2))
    rep = result.report
    assert rep["format"] == "gatecomp.qnn" and rep["network"]["frontend"] == "qnn"
    assert rep["network"]["layers"][0]["table"] > 0  # both neuron routes are exercised
    assert rep["network"]["layers"][0]["arith"] > 0
    res = run_rtl_verify(out)
    assert res.vectors == 360 and res.mismatches == 0 and res.timing_errors == 0
    # the RTL's accuracy is the integer layers' accuracy, computed here from the raw data
    data = load_split(DIGITS_SPLIT)
    t = torch.from_numpy(enc.codes(data["x_test"]))
    with torch.no_grad():
        for m in layers:
            t = m(t)
    ref_acc = float(np.mean(t.argmax(dim=1).numpy() == data["y_test"]))
    assert res.accuracy == pytest.approx(ref_acc) and ref_acc > 0.6
    assert rep["accuracy"]["reference"] == pytest.approx(ref_acc)
