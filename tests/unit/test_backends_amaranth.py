"""The Amaranth Component, simulated cycle by cycle in Amaranth's Python simulator.

Expected values come from ``gatecomp.aig.simulate`` of the same vectors; the expected *cycle*
comes from a plain FIFO model of the port contract (a vector accepted on an edge with
``out_ready=1`` appears after exactly ``latency`` enabled edges; reset clears validity).
"""

from __future__ import annotations

import re
from collections import deque

import numpy as np
import pytest
from amaranth.hdl import Shape
from amaranth.sim import Simulator

from gatecomp.aig import AIG, AIGBuilder, LogicNet, Port, simulate
from gatecomp.backends import amaranth as amaranth_backend
from gatecomp.backends import emit_verilog
from gatecomp.backends.amaranth import LogicNetComponent, build_component, top_fragment
from gatecomp.mapping import PipelineParams, plan_pipeline
from gatecomp.passes import cleanup
from tests.conftest import random_aig


def make_net(seed: int = 0) -> LogicNet:
    """A cleaned random AIG with ports x(5), y(3) -> a(4), b(2), k(3): k = (0, 1, ~x[2])."""
    aig, _ = cleanup(random_aig(8, 80, 6, seed=seed))
    outs = np.concatenate([aig.outputs, [0, 1, 2 * 3 + 1]])
    aig = aig.with_outputs(outs, tuple(f"o{k}" for k in range(len(outs))))
    return LogicNet(aig, (Port("x", 5), Port("y", 3)), (Port("a", 4), Port("b", 2), Port("k", 3)))


def _schedule(cycles: int, seed: int):
    """Random stimulus with in_valid gaps, out_ready stalls and one reset in the middle."""
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, size=cycles)
    valid = rng.random(cycles) < 0.75
    ready = rng.random(cycles) < 0.7
    ready[:4] = True  # fill the pipeline before the first stall
    ready[6] = False  # at least one explicit stall with data in flight
    valid[2:4] = True
    reset = np.zeros(cycles, dtype=bool)
    reset[cycles * 2 // 3] = True
    return data, valid, ready, reset


def _expected_words(net: LogicNet, data: np.ndarray) -> dict[str, np.ndarray]:
    bits = ((data[:, None] >> np.arange(net.aig.num_inputs)) & 1).astype(bool)
    return net.output_words(simulate(net.aig, bits))


def run_stream(comp: LogicNetComponent, cycles: int = 40, seed: int = 0) -> int:
    """Stream a schedule through ``comp``; returns how many valid outputs were checked."""
    net, latency = comp.net, comp.latency
    data, valid, ready, reset = _schedule(cycles, seed)
    want = _expected_words(net, data)
    ports = comp.output_port_names()
    fragment = top_fragment(comp)
    domain = fragment.domains["sync"]
    sim = Simulator(fragment)
    sim.add_clock(1e-6)
    checked = []

    async def bench(ctx):
        pipe = deque([(False, -1)] * latency)  # (valid, index into the schedule) per rank
        for t in range(cycles):
            ctx.set(comp.in_valid, int(valid[t]))
            ctx.set(comp.in_data, int(data[t]))
            ctx.set(comp.out_ready, int(ready[t]))
            ctx.set(domain.rst, int(reset[t]))
            head_valid, head = pipe[0] if latency else (bool(valid[t]), t)
            assert ctx.get(comp.in_ready) == int(ready[t])
            assert ctx.get(comp.out_valid) == int(head_valid), f"cycle {t}"
            if head_valid:
                for hdl, name, _ in ports:
                    got = ctx.get(getattr(comp, hdl))
                    assert got == want[name][head], f"cycle {t}: {hdl}"
                checked.append(head)
            await ctx.tick()
            if latency and reset[t]:
                pipe = deque([(False, -1)] * latency)
            elif latency and ready[t]:
                pipe.popleft()
                pipe.append((bool(valid[t]), t))

    sim.add_testbench(bench)
    sim.run()
    return len(checked)


PLANS = [
    ("comb", PipelineParams()),
    ("s1", PipelineParams(stages=1)),
    ("s2", PipelineParams(stages=2)),
    ("s3", PipelineParams(stages=3)),
    ("lps2", PipelineParams(levels_per_stage=2)),
    ("deep", PipelineParams(stages=20)),
]


@pytest.mark.parametrize("label,params", PLANS, ids=[p[0] for p in PLANS])
def test_level_construction_streams_correct_outputs(label, params):
    net = make_net(seed=3)
    comp = build_component(net, plan_pipeline(net.aig, params))
    if label == "deep":
        assert comp.latency == 20 > plan_pipeline(net.aig, params).depth
    assert run_stream(comp, cycles=90 if label == "deep" else 36, seed=1) > 8


@pytest.mark.parametrize("construction", ["gate", "wires"])
@pytest.mark.parametrize("params", [PipelineParams(), PipelineParams(stages=2)],
                         ids=["comb", "s2"])
def test_other_constructions_stream_correct_outputs(params, construction):
    net = make_net(seed=5)
    comp = build_component(net, plan_pipeline(net.aig, params), construction=construction)
    assert run_stream(comp, cycles=30, seed=2) > 8


def _layered_net() -> LogicNet:
    """Vectorised layers over contiguous slices: fanins form long runs the builder merges."""
    b = AIGBuilder(8)
    x = b.inputs()
    l1 = b.add_and_vec(x[:4], x[4:] ^ 1)
    l2 = b.add_xor_vec(l1[:2], l1[2:])
    l3 = b.add_or_vec(l2, x[6:])
    outs = np.concatenate([l1, l2 ^ 1, l3, x[2:4]])
    return LogicNet(b.build(outs), (Port("x", 8),), (Port("p", 4), Port("q", 2), Port("r", 4)))


@pytest.mark.parametrize("params", [PipelineParams(), PipelineParams(stages=2),
                                    PipelineParams(levels_per_stage=1)], ids=["comb", "s2", "l1"])
def test_merged_runs_stream_correct_outputs(params):
    net = _layered_net()
    comp = build_component(net, plan_pipeline(net.aig, params))
    assert run_stream(comp, cycles=30, seed=4) > 8


@pytest.mark.parametrize("construction", ["level", "gate"])
def test_split_vectors_stream_correct_outputs(monkeypatch, construction):
    monkeypatch.setattr(amaranth_backend, "MAX_VECTOR_BITS", 3)
    net = make_net(seed=6)
    for params in (PipelineParams(), PipelineParams(stages=3)):
        comp = build_component(net, plan_pipeline(net.aig, params), construction=construction)
        assert run_stream(comp, cycles=30, seed=5) > 8
    text, _ = emit_verilog(net, "split", PipelineParams(stages=2), construction=construction)
    assert re.search(r"\br1_1\b", text)
    assert construction != "level" or re.search(r"\bl1_1\b", text)


@pytest.mark.parametrize("params", [PipelineParams(), PipelineParams(stages=2)],
                         ids=["comb", "s2"])
def test_constant_and_wire_only_net(params):
    aig = AIG(8, np.zeros(0, np.int64), np.zeros(0, np.int64), np.array([1, 0, 2, 7]))
    net = LogicNet(aig, (Port("x", 8),), (Port("c", 2), Port("w", 2)))
    comp = build_component(net, plan_pipeline(aig, params))
    assert run_stream(comp, cycles=24, seed=6) > 8


def test_ports_are_the_contract():
    net = make_net()
    comp = build_component(net, plan_pipeline(net.aig, PipelineParams(stages=2)))
    comp._MustUse__silence = True  # not elaborated here
    members = {name: (m.flow.name, Shape.cast(m.shape).width)
               for name, m in comp.signature.members.items()}
    assert members == {"in_valid": ("In", 1), "in_ready": ("Out", 1), "in_data": ("In", 8),
                       "out_valid": ("Out", 1), "out_ready": ("In", 1), "out_a": ("Out", 4),
                       "out_b": ("Out", 2), "out_k": ("Out", 3)}


def test_bad_construction_and_port_collision():
    net = make_net()
    with pytest.raises(ValueError):
        build_component(net, construction="wide")
    clash = LogicNet(net.aig, net.inputs, (Port("valid", 4), Port("b", 2), Port("k", 3)))
    with pytest.raises(ValueError):
        build_component(clash)
    other = make_net(seed=9)
    with pytest.raises(ValueError):
        build_component(net, plan_pipeline(other.aig))
