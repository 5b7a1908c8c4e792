"""Recurrent nets end to end through the CLI: checkpoint -> sequential Verilog -> cocotb
(Icarus) driving whole sequences, every output event compared with the model's eval forward."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gatecomp.cli import main
from gatecomp.frontends.recurrent import save_recurrent
from gatecomp.frontends.registry import load_model
from tests.unit.test_recurrent import STEPS, small_net

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(not shutil.which("iverilog"), reason="iverilog not installed")]

BUNDLED = Path(__file__).resolve().parents[2] / "gatecomp" / "examples" / "digits_recurrent.pt"
CHECKED = 120  # of the 360 test digits (all of them: README figures, about a minute)


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def bundled_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rnn") / "rnn"
    res = _run("compile", BUNDLED, "-o", out)
    assert res.exit_code == 0, res.output
    assert "sequential: 128 state registers, 2880 steps in 360 sequences" in res.output
    return out


def test_bundled_recurrent_digits_rtl_equals_the_model(bundled_build):
    """Digits fed one row per clock, 8 rows each: RTL predictions == the model's forward."""
    res = _run("verify", bundled_build, "--vectors", CHECKED)
    assert res.exit_code == 0, res.output
    assert re.search(rf"{CHECKED} vectors, 0 mismatches, 0 timing errors, latency 1",
                     res.output)
    frontend, model = load_model(BUNDLED)
    bits, labels = frontend.dataset_vectors(model, "test")
    pred = frontend.own_forward(model, bits[:CHECKED]).outputs["pred"]
    assert f"accuracy {np.mean(pred == labels[:CHECKED]):.2%}" in res.output


def test_a_wrong_reset_at_sequence_boundaries_is_caught(bundled_build, tmp_path):
    """The regression sees the state only through the outputs: a module that does not reload
    the initial state after in_last fails it."""
    out = tmp_path / "rnn"
    shutil.copytree(bundled_build, out, ignore=shutil.ignore_patterns("sim_build_*"))
    verilog = out / "rtl" / "rnn.v"
    text = verilog.read_text()
    broken = re.sub(r"in_last \? \d+'h[0-9a-f]+ : out_state_next", "out_state_next", text)
    assert broken != text
    verilog.write_text(broken)
    res = _run("verify", out, "--vectors", 20)
    assert res.exit_code == 1 and "mismatches" in res.output


def test_every_step_output_with_backpressure(tmp_path):
    """emit="each": an output per step; random stalls and gaps with junk in_last bubbles."""
    ckpt = tmp_path / "each.pt"
    save_recurrent(ckpt, small_net("each"), steps=STEPS)
    out = tmp_path / "each"
    assert _run("compile", ckpt, "-o", out, "--vectors", "30").exit_code == 0
    res = _run("verify", out, "--backpressure")
    assert res.exit_code == 0, res.output
    assert f"{30 * STEPS} vectors, 0 mismatches, 0 timing errors" in res.output
