"""A torchlogix 0.2.2 warp network to RTL: the simulated hardware's predictions equal
torchlogix's own eval forward on real digits, bit for bit (not only gatecomp's reading)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from torch import nn

from gatecomp.flow import CompileOptions, compile_model
from gatecomp.verify.rtl_sim import run_rtl_verify
from tests.unit.torchlogix_nets import forward_bits, torchlogix

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")]


def test_warp_network_rtl_equals_torchlogix_on_digits(tmp_path):
    tlx = torchlogix()
    torch.manual_seed(11)
    kwargs = {"parametrization": "warp", "parametrization_kwargs": {"weight_init": "random"}}
    model = nn.Sequential(nn.Flatten(), tlx.layers.LogicDense(64, 120, **kwargs),
                          tlx.layers.LogicDense(120, 80, **kwargs),
                          tlx.layers.GroupSum(10, tau=4.0)).eval()
    bits = (load_digits().data[:300] > 7).astype(np.uint8)  # real images, one bit per pixel
    np.save(tmp_path / "digits.npy", bits)
    path = tmp_path / "tlx.pt"
    torch.save({"state_dict": model.state_dict(), "num_classes": 10, "tau": 4.0,
                "parametrization": "warp"}, path)
    build = tmp_path / "net"
    result = compile_model(path, build, CompileOptions(inputs=tmp_path / "digits.npy",
                                                       pipeline_stages=2, prove=False))
    assert result.report["checks"]["reference"]["name"].startswith("torchlogix 0.2.2")
    res = run_rtl_verify(build)
    assert res.passed and res.vectors == len(bits)
    assert np.array_equal(res.outputs["pred"], forward_bits(model, bits).argmax(1).numpy())
