"""``gatecomp verify --netlist --formal``: Yosys' netlist, read back with the vendor cell
models, proved equal to the compiled circuit over the pipeline latency, and broken netlists
(one LUT truth-table bit flipped, one pipeline register bypassed) refused with a
counterexample that the cocotb simulation of that netlist confirms."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from gatecomp.cli import BUNDLED_EXAMPLE, main
from gatecomp.fpga.netlist import cell_models
from gatecomp.frontends.dlgn.formats import save_dlgn
from gatecomp.toolchain import find_abc, find_fpga_tool
from gatecomp.verify.rtl_sim import run_rtl_verify
from tests.unit.dlgn_nets import random_dlgn

pytestmark = [
    pytest.mark.sim, pytest.mark.slow,
    pytest.mark.skipif(find_fpga_tool("yosys") is None, reason="yosys not installed"),
]


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _synthesized(tmp_path, ckpt, *options, name="n"):
    """A compile with ``options`` and its board/ netlist from the build's own synth.ys."""
    out = tmp_path / name
    res = _run("compile", ckpt, "-o", out, *options)
    assert res.exit_code == 0, res.output
    board = out / "board"
    proc = subprocess.run([find_fpga_tool("yosys"), "-q", "-l", "yosys.log", "synth.ys"],
                          cwd=board, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out, board / f"{name}_netlist.v"


@pytest.fixture(scope="module")
def small_net(tmp_path_factory):
    path = tmp_path_factory.mktemp("net") / "n.pt"
    return save_dlgn(path, random_dlgn([120, 90], in_dim=24, k=3, seed=3))


def _proved(res, latency: int) -> None:
    assert res.exit_code == 0, res.output
    assert f"proved equal to the compiled circuit over latency {latency} " in res.output
    assert "SAT proved" in res.output
    if find_abc():
        assert "ABC cec proved" in res.output


def test_ice40_pipelined_netlist_is_proved(tmp_path, small_net):
    out, netlist = _synthesized(tmp_path, small_net, "--device", "ice40-up5k-sg48",
                                "--pipeline-stages", "2")
    assert "SB_DFF" in netlist.read_text()
    _proved(_run("verify", out, "--netlist", "--formal"), 2)


def test_ecp5_lut_cells_netlist_and_cell_file_are_proved(tmp_path, small_net):
    """--luts-per-stage 2 --lut-cells: Yosys' netlist and gatecomp's own LUT4 cell file."""
    out, netlist = _synthesized(tmp_path, small_net, "--device", "ecp5-25k",
                                "--luts-per-stage", "2", "--lut-cells")
    latency = int(re.search(r'"latency": (\d+)', (out / "rtl" / "n.json").read_text())[1])
    assert latency >= 2 and "TRELLIS_FF" in netlist.read_text()
    _proved(_run("verify", out, "--netlist", "--formal"), latency)
    _proved(_run("verify", out, "--netlist", out / "board" / "n_luts.v", "--formal"), latency)


def _replay_fails(out, netlist, family: str) -> None:
    """The written counterexample, simulated on the broken netlist, shows the error."""
    cex = out / "counterexample"
    assert (cex / "sim" / "test_n.py").is_file()
    if not shutil.which("iverilog"):
        pytest.skip("iverilog not installed: counterexample not replayed")
    res = run_rtl_verify(cex, netlist=netlist, extra_sources=[cell_models(family, cex)])
    assert not res.passed and res.mismatches + res.timing_errors > 0, res.summary()


def _refused(res) -> str:
    assert res.exit_code == 1, res.output
    line = res.output.strip().splitlines()[-1]
    m = re.fullmatch(r"Error: n_netlist\.v differs from the compiled circuit: (\S+) wrong "
                     r"\d+ cycles after input ([01]{24}) \(in_data bit 0 first, cycle \d+ of "
                     r"\d+\); replay: gatecomp verify \S+counterexample --netlist \S+", line)
    assert m, res.output
    assert "Traceback" not in res.output
    return m[1]


def test_flipped_lut_init_bit_is_refused_and_replayed(tmp_path, small_net):
    out, netlist = _synthesized(tmp_path, small_net, "--device", "ice40-up5k-sg48",
                                "--pipeline-stages", "2")
    text = netlist.read_text()
    core = text.index("module n(")
    m = re.compile(r"\.LUT_INIT\(16'h([0-9a-f]{4})\)").search(text, core)
    flipped = f"{int(m[1], 16) ^ 0x0010:04x}"  # one truth-table bit
    netlist.write_text(text[:m.start(1)] + flipped + text[m.end(1):])
    _refused(_run("verify", out, "--netlist", "--formal"))
    _replay_fails(out, netlist, "ice40")


def test_bypassed_pipeline_register_is_refused_and_replayed(tmp_path, small_net):
    """One flip-flop of the core replaced by a wire: that path is one cycle short."""
    out, netlist = _synthesized(tmp_path, small_net, "--device", "ice40-up5k-sg48",
                                "--pipeline-stages", "2")
    text = netlist.read_text()
    core = text.index("module n(")
    ff = re.compile(r"  SB_DFFE? \S+ \(\n((?:    \.\w+\([^\n]*\),?\n)+)  \);\n").search(text, core)
    pins = dict(re.findall(r"\.(\w+)\(([^\n]*?)\),?\n", ff[1]))
    bypass = f"  assign {pins['Q']} = {pins['D']};\n"
    netlist.write_text(text[:ff.start()] + bypass + text[ff.end():])
    _refused(_run("verify", out, "--netlist", "--formal"))
    _replay_fails(out, netlist, "ice40")


@pytest.mark.parametrize("device", ["ice40-up5k-sg48", "ecp5-25k"])
def test_digits_netlist_is_proved(tmp_path, device):
    """The bundled digits DLGN (latency > 0 by the default --luts-per-stage 3)."""
    out, _ = _synthesized(tmp_path, BUNDLED_EXAMPLE, "--device", device, name="d")
    latency = int(re.search(r'"latency": (\d+)', (out / "rtl" / "d.json").read_text())[1])
    assert latency > 0
    _proved(_run("verify", out, "--netlist", "--formal"), latency)


_TINY = """module t(input clk, input a, input b, output q, output y);
  wire w;
  SB_LUT4 #(.LUT_INIT(16'h8888)) l (.I0(a), .I1(b), .I2(1'b0), .I3(1'b0), .O(y));
  SB_DFF f (.C(%s), .D(%s), .Q(q));
endmodule
"""


@pytest.mark.parametrize("clock, data, why", [
    # an undriven net would be read as a free input; a flip-flop clocked by data, not clk
    ("clk", "w", r"not trusted: Warning: Treating undriven bit t\."),
    ("a", "b", r"t\.v: a flip-flop is not clocked by clk"),
])
def test_untrusted_conversions_are_refused(tmp_path, clock, data, why):
    from gatecomp.errors import GatecompError
    from gatecomp.fpga.netlist_aig import netlist_to_aig

    path = tmp_path / "t.v"
    path.write_text(_TINY % (clock, data))
    with pytest.raises(GatecompError, match=why):
        netlist_to_aig(path, "t", "ice40")


def test_tiny_netlist_reads_as_the_cell_models_say(tmp_path):
    """SB_LUT4 INIT 8888 is I0 & I1 (bit I3 I2 I1 I0 of the address), by simulation."""
    import numpy as np

    from gatecomp.aig import simulate
    from gatecomp.fpga.netlist_aig import netlist_to_aig

    path = tmp_path / "t.v"
    path.write_text(_TINY % ("clk", "a"))
    nl = netlist_to_aig(path, "t", "ice40")
    assert nl.num_latches == 1
    x = np.zeros((4, nl.step.num_inputs), dtype=bool)
    for k, (a, b) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        x[k, nl.inputs["a"][0]], x[k, nl.inputs["b"][0]] = a, b
        x[k, -1] = k % 2  # the flip-flop's state
    out = simulate(nl.step, x)
    assert out[:, nl.outputs["y"][0]].tolist() == [False, False, False, True]
    assert out[:, nl.outputs["q"][0]].tolist() == [False, True, False, True]  # Q = state
    assert out[:, -1].tolist() == [False, False, True, True]  # next state = D = a
