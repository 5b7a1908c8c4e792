"""BNN end to end through the CLI: checkpoint -> Verilog -> cocotb (Icarus) vs. PyTorch."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gatecomp.cli import main
from gatecomp.frontends.bnn import dataset_vectors, load_bnn, reference_outputs
from gatecomp.frontends.bnn.formats import save_bnn
from tests.unit.bnn_nets import random_bnn

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(not shutil.which("iverilog"), reason="iverilog not installed")]

BUNDLED = Path(__file__).resolve().parents[2] / "gatecomp" / "examples" / "digits_bnn.pt"


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_bundled_bnn_compiles_and_verifies(tmp_path):
    out = tmp_path / "bnn"
    res = _run("compile", BUNDLED, "-o", out, "--levels-per-stage", "16",
               "--no-prove")  # the SAT proof (~2 min here) is tested on its own elsewhere
    assert res.exit_code == 0, res.output
    res = _run("verify", out, "--vectors", "120")
    assert res.exit_code == 0, res.output
    assert re.search(r"120 vectors, 0 mismatches, 0 timing errors", res.output), res.output
    model = load_bnn(BUNDLED)
    bits, labels = dataset_vectors(model, "test")
    acc = np.mean(reference_outputs(model, bits[:120])["pred"] == labels[:120])
    assert f"accuracy {acc:.2%}" in res.output


def test_small_bnn_combinational_with_backpressure(tmp_path):
    ckpt = save_bnn(tmp_path / "s.pt", random_bnn([12, 9], in_dim=24, k=4, seed=3))
    out = tmp_path / "s"
    assert _run("compile", ckpt, "-o", out).exit_code == 0
    res = _run("verify", out, "--backpressure", "--vectors", "300")
    assert res.exit_code == 0, res.output
    assert "300 vectors, 0 mismatches" in res.output
