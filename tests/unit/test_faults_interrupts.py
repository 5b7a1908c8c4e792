"""Interrupted and concurrent writers, and broken tools, through the real command line: Ctrl-C
or SIGTERM leaves no half-written output, a second writer is refused, a killed run's leftovers
are swept by the rerun, and a missing or lying FPGA tool is named in one line (issue 23 part 4).
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from gatecomp.frontends.dlgn.formats import save_dlgn
from gatecomp.outdir import TMP_TAG, lock_path, output_lock
from tests.unit.dlgn_nets import random_dlgn
from tests.unit.faults import assert_one_line_error, fake_tool, gatecomp, popen, siblings

QUICK = ("-p", "cleanup", "--no-prove", "--vectors", "16")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return save_dlgn(tmp_path_factory.mktemp("m") / "net.pt",
                     random_dlgn([60, 40], in_dim=24, k=4, seed=2))


@pytest.fixture(scope="module")
def device_build(tmp_path_factory, model):
    """An iCE40 out-of-context build (board/ without the tools' outputs yet)."""
    out = tmp_path_factory.mktemp("dev") / "dev"
    res = gatecomp("compile", model, "-o", out, "--device", "ice40-up5k-sg48", *QUICK)
    assert res.returncode == 0, res.stderr
    return out


@pytest.mark.parametrize("sig, said", [(signal.SIGINT, "interrupted (Ctrl-C)"),
                                       (signal.SIGTERM, "terminated (SIGTERM)")])
def test_a_stopped_compile_leaves_nothing(tmp_path, model, sig, said):
    """The signal lands after the checks, while the build directory is being written."""
    out = tmp_path / "out"
    proc = popen("compile", model, "-o", out, "-p", "cleanup", "--no-prove", cwd=tmp_path)
    for line in proc.stderr:
        if line.startswith("[gatecomp] LUT mapping estimate"):
            proc.send_signal(sig)
            break
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:  # it finished first: the directory is whole
        assert json.loads((out / "report.json").read_text())["checks"]
        return
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == f"Error: {said}; no half-written output was left"
    assert siblings(out) == []


def test_a_second_compile_into_a_locked_directory_is_refused(tmp_path, model):
    out = tmp_path / "out"
    with output_lock(out):  # this test process is the first writer
        res = gatecomp("compile", model, "-o", out, *QUICK, "--force")
    assert_one_line_error(res, f"{out} is being written by another gatecomp (pid {os.getpid()})")
    assert siblings(out) == []


def test_a_rerun_sweeps_what_a_killed_compile_left(tmp_path, model):
    """A SIGKILLed compile leaves its temp dir and its lock file (the flock itself dies with
    it); the next compile takes the lock and removes them."""
    out = tmp_path / "out"
    stale = tmp_path / f".out.{TMP_TAG}dead"
    (stale / "rtl").mkdir(parents=True)
    (stale / "rtl" / "out.v").write_text("module out(")  # half-written
    lock_path(out).write_text("99999999\n")
    res = gatecomp("compile", model, "-o", out, "-p", "cleanup", "--no-prove",
                   "--vectors", "1000000000000")
    assert res.returncode == 0, res.stderr
    assert siblings(out) == ["out"]
    vectors = json.loads((out / "report.json").read_text())["vectors"]
    assert vectors == {"count": 1000, "kind": "random"}  # the ones there are, not 10**12


def _build(build, tool: str, env: dict):
    return gatecomp("build", build, env={f"GATECOMP_{tool.upper()}": str(env[tool])})


@pytest.mark.parametrize("script, fragment", [
    ('echo half > dev_ooc.json; echo "ERROR: out of licences" >&2; exit 1',
     "synthesis (Yosys) failed: ERROR: out of licences"),
    ('echo "all fine, I promise"; exit 0', "exited 0 but wrote no dev_ooc.json (it said: all"),
])
def test_a_broken_yosys_is_named_and_leaves_no_outputs(tmp_path, device_build, script,
                                                       fragment):
    yosys = fake_tool(tmp_path, "yosys", script)
    assert_one_line_error(_build(device_build, "yosys", {"yosys": yosys}), fragment)
    board = device_build / "board"
    assert not (board / "dev_ooc.json").exists() and not (board / "report.json").exists()


def test_a_missing_or_unrunnable_tool_is_named(tmp_path, device_build):
    res = _build(device_build, "yosys", {"yosys": tmp_path / "nowhere"})
    assert_one_line_error(res, f"GATECOMP_YOSYS={tmp_path / 'nowhere'} is not an executable")
    garbage = tmp_path / "yosys"
    garbage.write_bytes(b"\x7fELF not really")
    garbage.chmod(0o755)
    res = _build(device_build, "yosys", {"yosys": garbage})
    assert_one_line_error(res, "synthesis (Yosys): cannot run")


def test_verify_without_iverilog_on_path_says_how_to_install_it(tmp_path, device_build):
    (tmp_path / "bin").mkdir()
    res = gatecomp("verify", device_build, "--vectors", "2", env={"PATH": str(tmp_path / "bin")})
    assert_one_line_error(res, "iverilog not found; install it with `apt-get install iverilog`")


def test_an_interrupted_build_removes_the_step_it_stopped(tmp_path, device_build):
    """Yosys has written half its netlist when Ctrl-C comes: the netlist must not stay."""
    yosys = fake_tool(tmp_path, "yosys", "echo half > dev_ooc.json; echo started >&2; "
                                         "exec sleep 30")
    proc = popen("build", device_build, env={"GATECOMP_YOSYS": str(yosys)})
    for line in proc.stderr:
        if "[1/3] synthesis (Yosys) ..." in line:
            break
    board = device_build / "board"
    for _ in range(200):  # the fake has started once its file is there
        if (board / "dev_ooc.json").exists():
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted (Ctrl-C); no half-written output was left" in err
    assert not (board / "dev_ooc.json").exists()
    assert not [p for p in board.iterdir() if TMP_TAG in p.name]


def test_an_interrupted_file_write_keeps_the_old_file(tmp_path, monkeypatch):
    from gatecomp import outdir

    path = tmp_path / "out.aig"
    path.write_bytes(b"the old, whole file")

    def stopped(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(outdir.os, "replace", stopped)
    with pytest.raises(KeyboardInterrupt):
        outdir.write_atomic(path, b"the new file, half written")
    assert path.read_bytes() == b"the old, whole file"
    assert [p.name for p in tmp_path.iterdir()] == ["out.aig"]


def test_an_abc_that_cannot_run_gives_no_verdict_and_says_why(tmp_path, monkeypatch):
    """ABC is the extra oracle: a broken binary is reported like a missing one, not a crash."""
    from gatecomp.verify import abc_cec
    from tests.conftest import random_aig

    broken = tmp_path / "berkeley-abc"
    broken.write_bytes(b"\x7fELF not really")
    broken.chmod(0o755)
    monkeypatch.setattr(abc_cec, "find_abc", lambda: str(broken))
    aig = random_aig(6, 20, 2, seed=1)
    res = abc_cec.abc_cec(aig, aig)
    assert (res.checked, res.equivalent) == (False, None)
    assert res.message == f"ABC ({broken}) cannot run: Exec format error"
