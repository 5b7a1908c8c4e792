"""End to end through the CLI: checkpoint -> Verilog -> cocotb (Icarus) vs. PyTorch, bit for bit."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from gatecomp.cli import BUNDLED_EXAMPLE, main
from gatecomp.frontends.dlgn import dataset_vectors, load_dlgn, reference_outputs
from gatecomp.frontends.dlgn.formats import save_dlgn
from tests.unit.dlgn_nets import random_dlgn

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(not shutil.which("iverilog"), reason="iverilog not installed")]


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_bundled_example_on_the_whole_test_set(tmp_path):
    out = tmp_path / "digits"
    res = _run("compile", BUNDLED_EXAMPLE, "-o", out, "--levels-per-stage", "8")
    assert res.exit_code == 0, res.output
    res = _run("verify", out)
    assert res.exit_code == 0, res.output
    assert re.search(r"360 vectors, 0 mismatches, 0 timing errors", res.output), res.output
    # the accuracy the RTL reached is the PyTorch model's accuracy, computed independently here
    model = load_dlgn(BUNDLED_EXAMPLE)
    bits, labels = dataset_vectors(model, "test")
    ref_acc = np.mean(reference_outputs(model, bits)["pred"] == labels)
    assert f"accuracy {ref_acc:.2%}" in res.output
    assert ref_acc >= 0.9


def test_bundled_example_in_lut_cells_for_ecp5(tmp_path):
    """The FPGA path on real data: stages on the LUT4 cover, the RTL and the board's core
    written as ECP5 LUT4 cells (simulated with Yosys' cell models) against PyTorch."""
    out = tmp_path / "digits"
    res = _run("compile", BUNDLED_EXAMPLE, "-o", out, "--luts-per-stage", "3",
               "--device", "ecp5-25k", "--lut-cells")
    assert res.exit_code == 0, res.output
    latency = json.loads((out / "rtl" / "digits.json").read_text())["latency"]
    cover = json.loads((out / "report.json").read_text())["lut_alignment"]
    assert latency == -(-cover["depth"] // 3)
    for extra in ([], ["--netlist", out / "board" / "digits_luts.v"]):
        res = _run("verify", out, *extra)
        assert res.exit_code == 0, res.output
        assert f"360 vectors, 0 mismatches, 0 timing errors, latency {latency}," in res.output, \
            res.output


def test_small_net_combinational_and_backpressure(tmp_path):
    ckpt = save_dlgn(tmp_path / "n.pt", random_dlgn([80, 60], in_dim=32, k=3, seed=5))
    for stages in ("0", "3"):
        out = tmp_path / f"n{stages}"
        assert _run("compile", ckpt, "-o", out, "--pipeline-stages", stages).exit_code == 0
        res = _run("verify", out, "--backpressure", "--vectors", "300")
        assert res.exit_code == 0, res.output
        assert "300 vectors, 0 mismatches" in res.output
        assert json.loads((out / "rtl" / f"n{stages}.json").read_text())["latency"] == int(stages)


def test_small_net_stages_on_lut_boundaries(tmp_path):
    """--luts-per-stage 1: a register rank after every LUT level (logic levels split over
    stages), checked in RTL against PyTorch with a stalling handshake."""
    ckpt = save_dlgn(tmp_path / "n.pt", random_dlgn([80, 60], in_dim=32, k=3, seed=7))
    out = tmp_path / "n"
    assert _run("compile", ckpt, "-o", out, "--luts-per-stage", "1").exit_code == 0
    rep = json.loads((out / "report.json").read_text())
    latency = json.loads((out / "rtl" / "n.json").read_text())["latency"]
    assert latency == rep["lut_alignment"]["depth"] >= 3
    assert re.search(r"l\d+s\d+", (out / "rtl" / "n.v").read_text())  # split levels
    res = _run("verify", out, "--backpressure", "--vectors", "300")
    assert res.exit_code == 0, res.output
    assert "300 vectors, 0 mismatches" in res.output


def test_corrupted_netlist_is_caught(tmp_path):
    ckpt = save_dlgn(tmp_path / "n.pt", random_dlgn([80, 60], in_dim=32, k=3, seed=6))
    out = tmp_path / "n"
    assert _run("compile", ckpt, "-o", out, "--pipeline-stages", "2").exit_code == 0
    rtl = out / "rtl" / "n.v"
    text = rtl.read_text()
    # turn the first level's AND vector into an OR: a plausible synthesis/emitter bug
    broken, count = re.subn(r"assign l1 = l1_a & l1_b;", "assign l1 = l1_a | l1_b;", text)
    assert count == 1
    rtl.write_text(broken)
    res = _run("verify", out)
    assert res.exit_code == 1
    assert re.search(r"[1-9]\d* mismatches", res.output), res.output
    assert "Traceback" not in res.output
