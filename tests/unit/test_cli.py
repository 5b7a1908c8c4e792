"""The command line: one-line errors with exit status 1, no half-written output, determinism."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from gatecomp.cli import main
from gatecomp.frontends.dlgn.formats import save_dlgn
from tests.unit.dlgn_nets import random_dlgn


@pytest.fixture
def ckpt(tmp_path):
    return save_dlgn(tmp_path / "net.pt", random_dlgn([60, 40], in_dim=24, k=4, seed=2))


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _assert_one_line_error(res, fragment: str):
    assert res.exit_code == 1, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1 and fragment in lines[0], res.output
    assert "Traceback" not in res.output


def test_compile_writes_the_build_directory(tmp_path, ckpt):
    out = tmp_path / "build" / "net"
    res = _run("compile", ckpt, "-o", out, "--pipeline-stages", "2")
    assert res.exit_code == 0, res.output
    for rel in ("rtl/net.v", "rtl/net.json", "net.aig", "report.json", "sim/vectors.npz"):
        assert (out / rel).is_file(), rel
    sidecar = json.loads((out / "rtl" / "net.json").read_text())
    assert sidecar["latency"] == 2 and sidecar["module"] == "net"
    report = json.loads((out / "report.json").read_text())
    assert report["gates"]["trained_logic_gates"] == 100
    assert report["checks"]["ir_vs_reference_mismatches"] == 0
    assert 0 < report["luts"]["lut6"]["luts"] <= report["luts"]["lut4"]["luts"]
    assert report["luts"]["lut6"]["depth"] <= report["luts"]["lut4"]["depth"]


def test_same_checkpoint_gives_byte_identical_verilog(tmp_path, ckpt):
    a, b = tmp_path / "a" / "net", tmp_path / "b" / "net"
    assert _run("compile", ckpt, "-o", a, "--levels-per-stage", "3").exit_code == 0
    assert _run("compile", ckpt, "-o", b, "--levels-per-stage", "3").exit_code == 0
    assert (a / "rtl/net.v").read_bytes() == (b / "rtl/net.v").read_bytes()
    assert (a / "net.aig").read_bytes() == (b / "net.aig").read_bytes()


def test_fpga_target_pipelines_on_luts_by_default(tmp_path, ckpt):
    """--device with no pipeline option: --luts-per-stage 3, board/ synthesizes the RTL;
    --lut-cells writes the cover as LUT4 cells instead, the same bytes every time;
    --pipeline-stages 0 keeps a combinational core."""
    out = tmp_path / "d" / "net"
    res = _run("compile", ckpt, "-o", out, "--device", "ecp5-25k")
    assert res.exit_code == 0, res.output
    assert "--luts-per-stage 3 (the default for --board/--device" in res.output
    report = json.loads((out / "report.json").read_text())
    assert report["options"]["luts_per_stage"] == 3
    assert json.loads((out / "rtl" / "net.json").read_text())["latency"] == -(
        -report["lut_alignment"]["depth"] // 3)
    assert "read_verilog -sv ../rtl/net.v" in (out / "board" / "synth.ys").read_text()
    assert not (out / "board" / "net_luts.v").exists()
    outs = [tmp_path / d / "net" for d in "ab"]
    for o in outs:
        assert _run("compile", ckpt, "-o", o, "--device", "ecp5-25k", "--lut-cells").exit_code == 0
    cells = [(o / "board" / "net_luts.v").read_bytes() for o in outs]
    assert cells[0] == cells[1] and cells[0].count(b"  LUT4 #(") == report["lut_alignment"]["luts"]
    assert "read_verilog -sv net_luts.v" in (outs[0] / "board" / "synth.ys").read_text()
    comb = tmp_path / "c" / "net"
    assert _run("compile", ckpt, "-o", comb, "--device", "ecp5-25k",
                "--pipeline-stages", "0").exit_code == 0
    assert json.loads((comb / "rtl" / "net.json").read_text())["latency"] == 0


def test_lut_cells_needs_an_fpga_target_and_the_lut_pipeline(tmp_path, ckpt):
    res = _run("compile", ckpt, "-o", tmp_path / "o", "--lut-cells")
    _assert_one_line_error(res, "--lut-cells needs an FPGA target")
    res = _run("compile", ckpt, "-o", tmp_path / "o", "--lut-cells", "--device", "ecp5-25k",
               "--pipeline-stages", "2")
    _assert_one_line_error(res, "--lut-cells needs --luts-per-stage")
    assert not (tmp_path / "o").exists()


def test_chain_length_needs_lut_cells_with_chains(tmp_path, ckpt):
    for extra in ((), ("--lut-cells", "--no-carry-chains")):
        res = _run("compile", ckpt, "-o", tmp_path / "o", "--device", "ecp5-25k", *extra,
                   "--chain-length", "14")
        _assert_one_line_error(res, "--chain-length sets the carry chains of --lut-cells")
    assert not (tmp_path / "o").exists()


def test_chain_length_reaches_the_chained_core(tmp_path):
    """--chain-length N: the report and board/ say so, and shorter chains mean more of them."""
    ckpt = save_dlgn(tmp_path / "w.pt", random_dlgn([100, 160], in_dim=24, k=2, seed=3))
    got = {}
    for n in ("28", "8"):
        out = tmp_path / n
        res = _run("compile", ckpt, "-o", out, "--name", "net", "--device", "ecp5-25k",
                   "--lut-cells", "--chain-length", n)
        assert res.exit_code == 0, res.output
        got[n] = json.loads((out / "report.json").read_text())["carry_chains"]
        assert got[n]["chain_length"] == int(n)
        board = json.loads((out / "board" / "target.json").read_text())
        assert board["carry_chains"] is got[n]["used"]
        assert ((out / "board" / "net_luts.v").read_text().count("CCU2C #(") > 0) is got[n]["used"]
    assert got["28"]["used"] and got["8"]["chains"] > got["28"]["chains"]


def test_existing_output_needs_force(tmp_path, ckpt):
    out = tmp_path / "net"
    out.mkdir()
    (out / "keep.txt").write_text("user data")
    _assert_one_line_error(_run("compile", ckpt, "-o", out), "--force")
    assert (out / "keep.txt").read_text() == "user data"
    assert _run("compile", ckpt, "-o", out, "--force").exit_code == 0
    assert not (out / "keep.txt").exists() and (out / "rtl").is_dir()


@pytest.mark.parametrize("content, fragment", [
    (None, "not found"),
    (b"this is not a checkpoint", "checkpoint"),
])
def test_bad_model_files(tmp_path, content, fragment):
    model = tmp_path / "model.pt"
    if content is not None:
        model.write_bytes(content)
    out = tmp_path / "out"
    _assert_one_line_error(_run("compile", model, "-o", out), fragment)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_corrupt_weights_leave_no_output(tmp_path):
    net = random_dlgn([30], in_dim=8, k=3, seed=1)
    with torch.no_grad():
        net[0].weights[3, 2] = float("nan")
    model = save_dlgn(tmp_path / "nan.pt", net)
    out = tmp_path / "out"
    _assert_one_line_error(_run("compile", model, "-o", out), "NaN")
    assert not out.exists()


def test_wiring_out_of_range(tmp_path):
    model = tmp_path / "bad.pt"
    ckpt = torch.load(save_dlgn(model, random_dlgn([30], in_dim=8, k=3)), weights_only=True)
    ckpt["state_dict"]["0.indices"][0, 5] = 99
    torch.save(ckpt, model)
    _assert_one_line_error(_run("compile", model, "-o", tmp_path / "o"), "range")


def test_conflicting_pipeline_options(tmp_path, ckpt):
    res = _run("compile", ckpt, "-o", tmp_path / "o", "--pipeline-stages", "2",
               "--levels-per-stage", "3")
    _assert_one_line_error(res, "--pipeline-stages and --levels-per-stage cannot be combined")
    res = _run("compile", ckpt, "-o", tmp_path / "o", "--luts-per-stage", "2",
               "--levels-per-stage", "3")
    _assert_one_line_error(res, "--levels-per-stage and --luts-per-stage cannot be combined")
    res = _run("compile", ckpt, "-o", tmp_path / "o", "--luts-per-stage", "0")
    assert res.exit_code == 2 and "Invalid value for '--luts-per-stage'" in res.output
    assert not (tmp_path / "o").exists()


def test_bad_pass_script_and_inputs(tmp_path, ckpt):
    _assert_one_line_error(_run("compile", ckpt, "-o", tmp_path / "o", "-p", "cleanup,bogus"),
                           "unknown pass")
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((5, 7), dtype=bool))
    _assert_one_line_error(_run("compile", ckpt, "-o", tmp_path / "o", "--inputs", wrong),
                           "expected (samples, 24)")


def test_user_inputs_are_used(tmp_path, ckpt):
    vecs = tmp_path / "vecs.npy"
    np.save(vecs, np.random.default_rng(0).integers(0, 2, (37, 24)).astype(np.uint8))
    out = tmp_path / "o"
    assert _run("compile", ckpt, "-o", out, "--inputs", vecs).exit_code == 0
    assert json.loads((out / "report.json").read_text())["vectors"]["count"] == 37


def test_verify_on_a_missing_build_dir(tmp_path):
    _assert_one_line_error(_run("verify", tmp_path / "nothing"), "nothing")


def test_info_describes_the_network(ckpt):
    res = _run("info", ckpt)
    assert res.exit_code == 0, res.output
    assert "60" in res.output and "40" in res.output
    desc = json.loads(_run("info", ckpt, "--json").output)
    assert desc


def test_help_teaches():
    res = _run("--help")
    assert res.exit_code == 0 and "compile" in res.output and "verify" in res.output
    assert "--pipeline-stages" in _run("compile", "--help").output


def test_internal_errors_are_reported_as_bugs(tmp_path, monkeypatch, ckpt):
    """A broken invariant inside the compiler: one line that names it a bug, exit 2, and the
    traceback only under --debug."""
    from gatecomp import flow as compile_mod
    from gatecomp.errors import InternalError

    def broken(*_args, **_kwargs):
        raise InternalError("the optimized IR differs from the PyTorch reference")

    monkeypatch.setattr(compile_mod, "compile_model", broken)
    res = CliRunner().invoke(main, ["compile", str(ckpt), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "Internal error (a gatecomp bug, please report it): the optimized IR differs" \
        in res.output
    assert "--debug" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(main, ["--debug", "compile", str(ckpt), "-o", str(tmp_path / "o")])
    assert isinstance(res.exception, InternalError)
