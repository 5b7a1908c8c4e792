"""torchlogix's ClgnCifar10Small (about 0.9 M gates, random weights: no CIFAR data offline)
compiled end to end: circuit, report, and the check against torchlogix's own forward.

The compile checks the optimized circuit against torchlogix's eval forward on 100 random
images (in the IR); the RTL regression then simulates the emitted Verilog on some of them.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from gatecomp.flow import CompileOptions, compile_model
from gatecomp.frontends.dlgn.torchlogix_import import import_torchlogix
from gatecomp.verify.rtl_sim import run_rtl_verify

pytestmark = [pytest.mark.slow, pytest.mark.sim]


def test_clgn_cifar10_small_compiles_and_matches_torchlogix(tmp_path):
    tlx = import_torchlogix()
    if tlx is None:
        pytest.skip("torchlogix is not installed")
    from tests.torchlogix_models import cifar10_small

    model = cifar10_small()
    path = tmp_path / "cifar_small.pt"
    torch.save(model, path)
    build = tmp_path / "net"
    result = compile_model(path, build, CompileOptions(max_vectors=100, prove=False))
    report = json.loads((build / "report.json").read_text())
    checks = report["checks"]
    assert checks["reference"]["name"].startswith("torchlogix 0.2.2 eval forward")
    assert result.report["checks"] == checks
    assert checks["ir_vs_reference_mismatches"] == 0 and report["vectors"]["count"] == 100
    assert report["network"]["logic_gates"] > 850_000  # LogicTreeNet-S size
    res = run_rtl_verify(build, vectors=8)
    assert res.passed and res.vectors == 8
    assert len(np.unique(res.outputs["pred"])) >= 1
