"""``--conv streaming`` end to end: a torchlogix conv net on 8x8 digits compiled to streaming
RTL, whole images streamed through it in cocotb (Icarus), back to back and under random
back-pressure; every class count equals torchlogix's own eval forward computed here by running
the module (not through gatecomp), including the border positions that read the padding."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from torch import nn

from gatecomp.flow import CompileOptions, compile_model
from gatecomp.verify.image_rtl import run_image_verify
from tests.unit.torchlogix_nets import forward_bits, torchlogix

pytestmark = [pytest.mark.sim, pytest.mark.slow,
              pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")]


def _model() -> nn.Module:
    tlx = torchlogix()
    torch.manual_seed(0)
    model = nn.Sequential(
        tlx.layers.LogicConv2d(in_dim=8, channels=1, num_kernels=8, tree_depth=2,
                               receptive_field_size=3, padding=1),
        tlx.layers.OrPooling2d(kernel_size=2, stride=2),
        tlx.layers.LogicConv2d(in_dim=4, channels=8, num_kernels=16, tree_depth=2,
                               receptive_field_size=3, padding=1),
        tlx.layers.OrPooling2d(kernel_size=2, stride=2),
        nn.Flatten(), tlx.layers.LogicDense(64, 200), tlx.layers.GroupSum(10, tau=2.0))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p))
    return model.eval()


def test_streaming_digits_rtl_equals_torchlogix(tmp_path):
    model = _model()
    path = tmp_path / "conv.pt"
    torch.save(model, path)
    digits = (load_digits().data[-120:] > 4).astype(bool)
    inputs = tmp_path / "digits.npy"
    np.save(inputs, digits)
    build = tmp_path / "net"
    compile_model(path, build, CompileOptions(conv="streaming", inputs=inputs,
                                              pipeline_stages=2))
    report = json.loads((build / "report.json").read_text())
    st = report["streaming"]
    assert [r["type"] for r in st["layers"]] == ["LogicConv2d", "OrPooling2d"] * 2
    assert st["clocks_per_image"] == 100  # the first layer's padded 10x10 walk
    with np.load(build / "sim" / "images.npz") as npz:
        counts = np.stack([npz[f"count{c}"] for c in range(10)], axis=1)
    scores = forward_bits(model, digits.reshape(-1, 1, 8, 8)).numpy()
    assert np.allclose(counts / 2.0, scores)  # the model's own forward, GroupSum tau 2
    for backpressure in (False, True):
        res = run_image_verify(build, backpressure=backpressure)
        assert res.passed, res.summary()
        assert res.vectors == len(digits)
        if not backpressure:
            assert res.latency == st["latency_clocks"]
            assert res.interval == st["clocks_per_image"]
