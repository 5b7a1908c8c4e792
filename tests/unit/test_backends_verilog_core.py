"""The "direct" construction's text: determinism, names, Icarus parses it, "auto" selection.

Behaviour (bit-exact outputs, cycle timing) is checked in tests/sim/test_backends_direct.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from gatecomp.aig import AIGBuilder, LogicNet, Port
from gatecomp.backends import amaranth as amaranth_backend
from gatecomp.backends import emit_verilog, verilog_core
from gatecomp.backends.amaranth import (
    DIRECT_THRESHOLD,
    build_component,
    resolve_construction,
    top_fragment,
)
from gatecomp.backends.verilog_core import core_verilog
from gatecomp.mapping import PipelineParams, plan_pipeline
from tests.unit.test_backends_amaranth import make_net

PARAMS = [PipelineParams(), PipelineParams(stages=1), PipelineParams(stages=3),
          PipelineParams(levels_per_stage=2), PipelineParams(stages=14)]
IDS = ["comb", "s1", "s3", "l2", "s14"]  # s14: more stages than levels (pass-through ranks)
_VECTOR = re.compile(r"^\s*(?:wire|reg)\s+(?:\[(\d+):0\]\s+)?([^;=]+?)\s*[;=]", re.MULTILINE)
_LOGIC_NAME = re.compile(r"(?:l\d+|r\d+)(?:_\d+)?(?:_a|_b)?")


def _vectors(text: str) -> dict[str, int]:
    """Width of every declared l<k>/r<b> vector (and operand) in ``text``."""
    found = {}
    for msb, names in _VECTOR.findall(text):
        for name in names.split(","):
            if _LOGIC_NAME.fullmatch(name.strip()):
                found[name.strip()] = int(msb or 0) + 1
    return found


@pytest.mark.parametrize("params", PARAMS, ids=IDS)
def test_same_names_and_widths_as_the_level_construction(params):
    net = make_net(seed=2)
    level, _ = emit_verilog(net, "n", params, construction="level")
    direct, side = emit_verilog(net, "n", params, construction="direct")
    assert side.construction == "direct"
    assert _vectors(direct) == _vectors(level)
    plan = plan_pipeline(net.aig, params)
    assert len([v for v in _vectors(direct) if re.fullmatch(r"l\d+", v)]) == plan.depth
    ranks = {v: w for v, w in _vectors(direct).items() if v.startswith("r")}
    assert ranks == {f"r{b}": len(held) for b, held in enumerate(plan.registers, start=1)
                     if len(held)}


def test_split_vectors_keep_the_level_names(monkeypatch):
    monkeypatch.setattr(amaranth_backend, "MAX_VECTOR_BITS", 3)
    monkeypatch.setattr(verilog_core, "MAX_VECTOR_BITS", 3)
    net = make_net(seed=1)
    params = PipelineParams(stages=2)
    level, _ = emit_verilog(net, "n", params, construction="level")
    direct, _ = emit_verilog(net, "n", params, construction="direct")
    widths = _vectors(direct)
    assert widths == _vectors(level)
    assert "l1_1" in widths and max(widths.values()) == 3


def test_text_layout():
    net = make_net(seed=3)
    text, side = emit_verilog(net, "top", PipelineParams(stages=2), construction="direct")
    assert "// construction: direct (gate logic and pipeline registers in module top_core" in text
    # the Amaranth top (handshake only) first, then the core module
    assert text.index("module top(") < text.index("module top_core (")
    top = text[:text.index("// top_core:")]
    assert re.search(r"^\s*top_core core \(", top, re.MULTILINE)
    assert not re.search(r"\bl1\b", top)  # no gate logic in the top
    core = text[text.index("module top_core ("):]
    head = core[:core.index(");")]
    assert [ln.strip().rstrip(",") for ln in head.splitlines()[1:]] == [
        "input wire clk", "input wire en", "input wire [7:0] in_data",
        "output wire [3:0] out_a", "output wire [1:0] out_b", "output wire [2:0] out_k"]
    assert "always @(posedge clk)\n    if (en) begin" in core
    # k = (0, 1, ~x[2]) registered twice: r2 bit, a merged constant run, and the mask
    assert re.search(r"assign out_k = \{ r2\[\d+\], 2'h0 \} \^ 3'h6;", core)
    assert side.stats.registers == sum(
        w for v, w in _vectors(core).items() if v.startswith("r"))


def test_long_concatenations_wrap_and_merge_runs():
    b = AIGBuilder(40)
    x = b.inputs()
    outs = b.add_and_vec(x[:20], x[20:] ^ 1)  # one level, operands are two runs
    net = LogicNet(b.build(np.concatenate([outs, x[::-1]])), (Port("x", 40),),
                   (Port("y", 20), Port("z", 40)))
    text = core_verilog(net, plan_pipeline(net.aig), "w_core")
    assert "assign l1_a = ~in_data[39:20];" in text  # fanin0 is the larger literal
    assert "assign l1_b = in_data[19:0];" in text
    assert "assign out_y = l1;" in text  # a run covering a whole vector is its name
    z = text[text.index("assign out_z = {"):]
    z = z[:z.index(";")]
    assert z.count("\n") == 6  # 40 single bits, 8 a line
    assert "in_data[0], in_data[1]," in z  # reversed order is MSB first: no runs to merge


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="iverilog not installed")
@pytest.mark.parametrize("params", PARAMS, ids=IDS)
def test_iverilog_parses_the_text(tmp_path, params):
    path = tmp_path / "parsed.v"
    for seed in (0, 1):
        text, _ = emit_verilog(make_net(seed=seed), "parsed", params, construction="direct")
        path.write_text(text)
        run = subprocess.run(["iverilog", "-Wall", "-o", os.devnull, str(path)],
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        assert "warning" not in run.stderr.lower(), run.stderr


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="iverilog not installed")
def test_iverilog_parses_a_net_without_inputs_or_gates(tmp_path):
    aig = AIGBuilder(0).build(np.array([0, 1, 1]))
    net = LogicNet(aig, (), (Port("a", 2), Port("z", 1)))
    for params in (PipelineParams(), PipelineParams(stages=2)):
        text, _ = emit_verilog(net, "empty", params, construction="direct")
        assert "in_data" not in text[text.index("module empty_core ("):]
        assert "assign out_a = 2'h2;" in text
        path = tmp_path / "empty.v"
        path.write_text(text)
        run = subprocess.run(["iverilog", "-o", os.devnull, str(path)], capture_output=True,
                             text=True)
        assert run.returncode == 0, run.stderr


def test_auto_picks_level_up_to_the_threshold():
    assert 150_000 <= DIRECT_THRESHOLD <= 250_000
    assert resolve_construction("auto", 0) == "level"
    assert resolve_construction("auto", DIRECT_THRESHOLD) == "level"
    assert resolve_construction("auto", DIRECT_THRESHOLD + 1) == "direct"
    for explicit in ("level", "direct", "gate", "wires"):
        assert resolve_construction(explicit, 10 * DIRECT_THRESHOLD) == explicit
    with pytest.raises(ValueError, match="construction must be one of"):
        resolve_construction("fast", 1)


def test_emit_verilog_defaults_to_auto_and_records_it(monkeypatch):
    net = make_net(seed=5)
    text, side = emit_verilog(net, "little")  # what compile.py calls
    assert side.construction == "level" and "// construction: level\n" in text
    assert "little_core" not in text
    monkeypatch.setattr(amaranth_backend, "DIRECT_THRESHOLD", net.aig.num_ands - 1)
    text, side = emit_verilog(net, "big")
    assert side.construction == "direct" and "module big_core (" in text
    comp = build_component(net, construction="auto")
    assert comp.construction == "direct" and comp.core_name == "gatecomp_core"
    top_fragment(comp)  # elaborates: the handshake and an Instance, no gate logic


def test_plan_for_another_aig_is_rejected():
    with pytest.raises(ValueError, match="different AIG"):
        core_verilog(make_net(seed=0), plan_pipeline(make_net(seed=1).aig), "x_core")
