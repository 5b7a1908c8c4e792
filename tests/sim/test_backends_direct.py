"""The "direct" construction in Icarus through the cocotb stream regression.

Random LogicNets (random AIGs with dead gates, plus constant and pass-through output bits) are
emitted with ``construction="direct"`` into a build dir as ``gatecomp compile`` lays it out and
run through :func:`gatecomp.verify.run_rtl_verify` on all 256 input vectors, back to back and
with random in_valid gaps / out_ready stalls. Expected outputs come from the IR simulator
(:func:`gatecomp.aig.simulate`), never from the RTL. The ``"level"`` construction of the same
net runs on the same vectors and must show the same outputs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from gatecomp.aig import LogicNet, Port, depth, simulate
from gatecomp.backends import emit_verilog, verilog_core
from gatecomp.mapping import PipelineParams
from gatecomp.verify import run_rtl_verify, write_sim_dir
from tests.conftest import random_aig

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(shutil.which("iverilog") is None,
                                 reason="iverilog not installed")]

INPUTS = 8


def random_net(seed: int) -> LogicNet:
    """x(5), y(3) -> a(4), b(3), c(3); c = (0, 1, ~x[2]) exercises constants and wires."""
    aig = random_aig(INPUTS, 90, 7, seed=seed)
    outs = np.concatenate([aig.outputs, [0, 1, 2 * 3 + 1]])
    aig = aig.with_outputs(outs, tuple(f"o{k}" for k in range(len(outs))))
    return LogicNet(aig, (Port("x", 5), Port("y", 3)),
                    (Port("a", 4), Port("b", 3), Port("c", 3)))


def all_inputs() -> np.ndarray:
    """Every input vector once, as a (256, 8) bit matrix, in a seeded random order."""
    x = np.random.default_rng(3).permutation(1 << INPUTS)
    return ((x[:, None] >> np.arange(INPUTS)) & 1).astype(bool)


def make_build(root: Path, net: LogicNet, params: PipelineParams,
               construction: str = "direct") -> tuple[Path, dict]:
    """rtl/NAME.v, rtl/NAME.json and sim/ for ``net``; returns (build dir, expected words)."""
    name = "dut"
    text, side = emit_verilog(net, name, params, source="random_aig",
                              construction=construction)
    assert side.construction == construction
    build = root / name
    (build / "rtl").mkdir(parents=True)
    (build / "rtl" / f"{name}.v").write_text(text)
    side.write(build / "rtl" / f"{name}.json")
    bits = all_inputs()
    expected = net.output_words(simulate(net.aig, bits))
    write_sim_dir(build / "sim", name, side, bits, expected)
    return build, expected


def check(res, expected: dict, latency: int) -> None:
    assert res.passed, res.summary()
    assert (res.vectors, res.mismatches, res.timing_errors, res.latency) == (
        1 << INPUTS, 0, 0, latency)
    for port, want in expected.items():
        assert np.array_equal(res.outputs[port], want), port


@pytest.mark.parametrize(("seed", "stages"), [(0, 0), (1, 1), (2, 3)],
                         ids=["comb", "s1", "s3"])
def test_direct_matches_the_ir_and_the_level_construction(tmp_path, seed, stages):
    net = random_net(seed)
    params = PipelineParams(stages=stages)
    build, expected = make_build(tmp_path, net, params)
    text = (build / "rtl" / "dut.v").read_text()
    assert "module dut_core (" in text and (stages == 0) == ("always @(posedge" not in
                                                             text[text.index("module dut_core"):])
    plain = run_rtl_verify(build)
    check(plain, expected, stages)
    stalled = run_rtl_verify(build, backpressure=True)
    check(stalled, expected, stages)
    if stages:
        assert stalled.cycles > plain.cycles  # the stalls really happened

    level_text, level_side = emit_verilog(net, "dut", params, construction="level")
    assert "dut_core" not in level_text and level_side.latency == stages
    level_file = tmp_path / "level.v"
    level_file.write_text(level_text)
    level = run_rtl_verify(build, netlist=level_file, backpressure=True)
    check(level, expected, stages)
    assert level.outputs.keys() == stalled.outputs.keys()
    for port in level.outputs:
        assert np.array_equal(level.outputs[port], stalled.outputs[port]), port
    assert level.cycles == stalled.cycles  # same handshake, cycle for cycle


def test_split_vectors_and_pass_through_ranks(tmp_path, monkeypatch):
    """Vectors split every 3 bits; more stages than levels, so the last ranks only carry."""
    monkeypatch.setattr(verilog_core, "MAX_VECTOR_BITS", 3)
    net = random_net(4)
    stages = depth(net.aig) + 2
    build, expected = make_build(tmp_path, net, PipelineParams(stages=stages))
    text = (build / "rtl" / "dut.v").read_text()
    assert "l1_1" in text and f"r{stages}_1 <= r{stages - 1}_1;" in text
    check(run_rtl_verify(build, backpressure=True), expected, stages)
