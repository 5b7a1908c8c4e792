"""ASIC estimate (``compile --asic``): the library reader, the log/report parsers, the one-line
errors, and end to end on the bundled digits DLGN: figures present, flops equal to the pipeline
registers plus the valid bits, and the mapped netlist simulated against the PyTorch reference
with the library's own Verilog cell models."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from gatecomp.asic import library as asic_library
from gatecomp.asic import tools as asic_tools
from gatecomp.asic.library import KNOWN, read_library, resolve_library
from gatecomp.asic.synth import count_cells
from gatecomp.asic.timing import parse_report
from gatecomp.asic.tools import find_asic_tools, require_lines
from gatecomp.cli import BUNDLED_EXAMPLE, main
from gatecomp.errors import GatecompError

OSU018 = KNOWN["osu018"][0]


def _have_tools() -> bool:
    try:
        find_asic_tools()
    except GatecompError:
        return False
    return OSU018.is_file()


needs_asic = pytest.mark.skipif(not _have_tools(), reason="ASIC tools not installed (apt-get "
                                "install yosys opensta qflow-tech-osu018; `make setup`)")

_LIB = """library(tiny) {
  cell (INV) { area : 2; pin(A) { direction : input; }
    pin(Y) { direction : output; function : "(!A)"; } }
  cell (DFF) { area : 6; ff (IQ, IQN) { next_state : "D"; clocked_on : "C"; } }
}
"""
_LEF = """MACRO INV\n  SIZE 1.000 BY 2.000 ;\nEND INV\nMACRO DFF\n  SIZE 3.0 BY 2.0 ;\nEND DFF\n"""

_FLOP_PATH = """Startpoint: _07_ (rising edge-triggered flip-flop clocked by clk)
Endpoint: _09_ (rising edge-triggered flip-flop clocked by clk)
Path Group: clk
Path Type: max

   Delay     Time   Description
-----------------------------------------------------------
   0.000    0.000   clock clk (rise edge)
   0.000    0.000   clock network delay (ideal)
   0.300    0.300 ^ _07_/CLK (DFFPOSX1)
   0.200    0.500 v _07_/Q (DFFPOSX1)
   0.164    0.664 ^ _08_/Y (XOR2X1)
   0.000    0.664 ^ _09_/D (DFFPOSX1)
            0.664   data arrival time

  10.000   10.000   clock clk (rise edge)
           10.000 ^ _09_/CLK (DFFPOSX1)
  -0.180    9.820   library setup time
            9.820   data required time
-----------------------------------------------------------
            9.820   data required time
           -0.664   data arrival time
-----------------------------------------------------------
            9.156   slack (MET)
"""


def test_tiny_library_without_lef_has_no_named_unit(tmp_path):
    (tmp_path / "tiny.lib").write_text(_LIB)
    lib = read_library(tmp_path / "tiny.lib")
    assert (lib.name, lib.areas, set(lib.sequential)) == ("tiny", {"INV": 2, "DFF": 6}, {"DFF"})
    assert lib.area_unit == "library unit" and lib.area_key == "area_library_units"
    assert lib.footprints is None and lib.sim_models is None


def test_lef_beside_the_liberty_confirms_um2(tmp_path):
    (tmp_path / "tiny.lib").write_text(_LIB)
    (tmp_path / "tiny.lef").write_text(_LEF)
    lib = read_library(tmp_path / "tiny.lib")
    assert lib.area_unit == "um2" and lib.area_key == "area_um2"
    assert lib.footprints == {"DFF": 6.0, "INV": 2.0}


@pytest.mark.skipif(not OSU018.is_file(), reason="qflow-tech-osu018 not installed")
def test_osu018_library():
    lib = resolve_library(None)
    assert lib.name == "osu018_stdcells" and lib.area_unit == "um2"
    assert {"DFFPOSX1", "DFFNEGX1", "DFFSR", "LATCH"} == lib.sequential
    assert lib.areas["NAND2X1"] == 24 and lib.sim_models is not None


def test_unknown_library_is_one_line(tmp_path, monkeypatch):
    with pytest.raises(GatecompError, match="no such Liberty file"):
        resolve_library(str(tmp_path / "nope.lib"))
    monkeypatch.setitem(asic_library.KNOWN, "osu018", (tmp_path / "x.lib", "qflow-tech-osu018"))
    with pytest.raises(GatecompError, match="apt-get install qflow-tech-osu018"):
        resolve_library("osu018")


def test_sta_report_flop_to_flop():
    t = parse_report(_FLOP_PATH)
    assert (t.delay_ns, t.setup_ns) == (0.664, 0.18)
    assert t.min_period_ns == pytest.approx(0.844) and t.fmax_mhz == pytest.approx(1000 / 0.844)
    assert t.start.startswith("_07_") and t.end.startswith("_09_")
    assert t.path_cells == 2  # the start flop and the XOR; the end flop's D pin is no step


def test_sta_report_without_a_path_is_refused():
    with pytest.raises(GatecompError, match="no constrained path"):
        parse_report("No paths found.\n")


def test_a_step_whose_line_is_missing_is_named():
    with pytest.raises(GatecompError, match="before its `abc` step"):
        require_lines("Executing DFFLIBMAP pass\n", {"dfflibmap": "DFFLIBMAP", "abc":
                                                      "ABC RESULTS:"}, "yosys")


def test_unmapped_cells_are_refused(tmp_path):
    (tmp_path / "tiny.lib").write_text(_LIB)
    (tmp_path / "n.v").write_text("module n(a, y);\n  input a;\n  output y;\n"
                                  "  INV _1_ (.A(a), .Y(w));\n  \\$_AND_ _2_ (.A(w), .B(a), "
                                  ".Y(y));\nendmodule\n")
    with pytest.raises(GatecompError, match=r"1 cells unmapped to tiny \(e\.g\. \\\$_AND_\)"):
        count_cells(tmp_path / "n.v", read_library(tmp_path / "tiny.lib"))


@pytest.mark.parametrize(("missing", "package"), [("yosys", "yosys"), ("sta", "opensta")])
def test_missing_tool_names_its_package(monkeypatch, missing, package):
    real = shutil.which
    monkeypatch.setattr(asic_tools.shutil, "which",
                        lambda name: None if name == missing else real(name) or f"/x/{name}")
    with pytest.raises(GatecompError, match=f"apt-get install {package}"):
        find_asic_tools()


def test_cli_refuses_before_compiling(monkeypatch, tmp_path):
    monkeypatch.setattr(asic_tools.shutil, "which", lambda name: None)
    res = CliRunner().invoke(main, ["compile", str(BUNDLED_EXAMPLE), "-o", str(tmp_path / "o"),
                                    "--asic"])
    assert res.exit_code == 1 and "apt-get install yosys" in res.output
    assert not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def digits_builds(tmp_path_factory):
    """The digits DLGN compiled with --asic, combinational and in 2 pipeline stages."""
    from gatecomp.flow import CompileOptions, compile_model

    root = tmp_path_factory.mktemp("asic")
    return {stages: compile_model(BUNDLED_EXAMPLE, root / f"d{stages}", CompileOptions(
        pipeline_stages=stages, script="cleanup,balance", prove=False, asic="osu018"))
        for stages in (0, 2)}


@needs_asic
@pytest.mark.slow
def test_digits_asic_figures(digits_builds):
    from gatecomp.sidecar import Sidecar

    for stages, res in digits_builds.items():
        asic = res.report["asic"]
        assert json.loads((res.out_dir / "report.json").read_text())["asic"] == asic
        assert asic["library"] == "osu018_stdcells"
        for key in ("area_um2", "cells", "delay_ns", "fmax_mhz", "footprint_um2"):
            assert asic[key] > 0, key
        assert (res.out_dir / asic["netlist"]).is_file()
        assert asic["cells"] == sum(asic["cell_types"].values())
        assert asic["fmax_mhz"] == pytest.approx(1000 / asic["min_period_ns"], rel=1e-3)
        assert asic["min_period_ns"] >= asic["delay_ns"]
        assert asic["delay_ns"] == pytest.approx(asic["abc_delay_ns"], rel=0.2)  # same cells
        side = Sidecar.read(res.out_dir / "rtl" / f"d{stages}.json")
        # every pipeline register bit, plus the valid bit of each stage, and nothing else
        assert asic["flops"] == side.stats.registers + side.latency == asic["cell_types"].get(
            "DFFPOSX1", 0)
    assert digits_builds[0].report["asic"]["flops"] == 0
    assert digits_builds[2].report["asic"]["fmax_mhz"] > digits_builds[0].report["asic"][
        "fmax_mhz"] * 1.5


@needs_asic
@pytest.mark.slow
def test_asic_dir_reruns_its_timing(digits_builds):
    """``asic/`` is self-contained: OpenSTA on its own script gives the reported path."""
    res = digits_builds[2]
    out = subprocess.run(["sta", "-no_splash", "-exit", "sta.tcl"], cwd=res.out_dir / "asic",
                         capture_output=True, text=True, check=True).stdout
    assert parse_report(out).delay_ns == pytest.approx(res.report["asic"]["delay_ns"], abs=1e-3)


@needs_asic
@pytest.mark.sim
@pytest.mark.slow
@pytest.mark.parametrize(("stages", "vectors"), [(2, None), (0, 120)])
def test_mapped_netlist_is_the_circuit(digits_builds, stages, vectors):
    """The mapped cells, simulated with OSU's own Verilog models, give the PyTorch outputs."""
    from gatecomp.verify.rtl_sim import run_rtl_verify

    res = digits_builds[stages]
    verdict = run_rtl_verify(res.out_dir, netlist=res.out_dir / res.report["asic"]["netlist"],
                             vectors=vectors, extra_sources=[resolve_library(None).sim_models])
    assert verdict.passed, verdict.summary()
