"""sim/Makefile runs a build's regression by hand through cocotb's own Makefile flow, and
fails when the hardware disagrees with the reference."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from gatecomp.flow import CompileOptions, compile_model
from gatecomp.frontends.dlgn.formats import save_dlgn
from tests.unit.dlgn_nets import random_dlgn

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")]


def _make(build: Path, tmp: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(ROOT / "sim"), f"BUILD={build}", "VECTORS=60",
                           f"SIM_BUILD={tmp / 'sim_build'}", f"RESULTS={tmp / 'results'}"],
                          capture_output=True, text=True, timeout=300)


def test_make_runs_the_build_regression_and_fails_on_a_wrong_reference(tmp_path):
    ckpt = save_dlgn(tmp_path / "n.pt", random_dlgn([40, 30], in_dim=16, k=3, seed=4))
    build = tmp_path / "net"
    compile_model(ckpt, build, CompileOptions(prove=False, pipeline_stages=2))
    res = _make(build, tmp_path)
    assert res.returncode == 0, res.stdout[-3000:]
    summary = json.loads((tmp_path / "results" / "stream.json").read_text())
    assert summary["passed"] and summary["vectors_total"] == 60 and summary["module"] == "net"

    vec = build / "sim" / "vectors.npz"
    data = dict(np.load(vec))
    data["pred"] = (data["pred"] + 1) % 3  # the reference now disagrees on every vector
    np.savez(vec, **data)
    shutil.rmtree(tmp_path / "results")
    res = _make(build, tmp_path)
    assert res.returncode != 0
    assert not json.loads((tmp_path / "results" / "stream.json").read_text())["passed"]
