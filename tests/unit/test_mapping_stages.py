"""Pipeline stage assignment: every consumer sees a value from exactly its own stage."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import AIG, levels
from gatecomp.mapping import PipelineParams, plan_pipeline
from gatecomp.passes import cleanup
from tests.conftest import random_aig


def _net_with_odd_outputs(seed: int) -> AIG:
    """A cleaned random AIG plus a constant output, a complemented constant and an input wire."""
    aig, _ = cleanup(random_aig(7, 150, 5, seed=seed))
    outs = np.concatenate([aig.outputs, [0, 1, 2 * 3 + 1]])
    return aig.with_outputs(outs, tuple(f"o{k}" for k in range(len(outs))))


def _assert_consistent(aig: AIG, plan) -> None:
    """Check the plan against its definition with plain Python loops (independent of numpy)."""
    s = plan.latency
    stage = plan.stage.tolist()
    held = [set(r.tolist()) for r in plan.registers]
    assert len(held) == s
    for r in plan.registers:
        assert np.all(np.diff(r) > 0), "rank contents must be ascending"

    def seen_by(node: int, consumer_stage: int) -> None:
        """A consumer in consumer_stage reads node from its own stage or from rank stage-1, and
        the value is carried through every rank in between (one register per stage crossed)."""
        if node == 0:
            return
        assert stage[node] <= consumer_stage
        for rank in range(stage[node], consumer_stage):
            assert node in held[rank - 1], f"node {node} missing from rank {rank}"

    first = aig.first_and
    for k in range(aig.num_ands):
        v = first + k
        assert 1 <= stage[v] <= max(s, 1)
        seen_by(int(aig.fanin0[k]) >> 1, stage[v])
        seen_by(int(aig.fanin1[k]) >> 1, stage[v])
    for o in aig.outputs.tolist():
        seen_by(o >> 1, s + 1)
    # nothing is registered that is not needed later (minimality)
    uses: dict[int, int] = {}
    for k in range(aig.num_ands):
        for u in (int(aig.fanin0[k]) >> 1, int(aig.fanin1[k]) >> 1):
            uses[u] = max(uses.get(u, 0), stage[first + k])
    for o in aig.outputs.tolist():
        uses[o >> 1] = s + 1
    for rank, nodes in enumerate(held, start=1):
        for u in nodes:
            assert u != 0 and stage[u] <= rank < uses[u]
    assert plan.num_registers == plan.stats["registers"] == sum(len(h) for h in held)


def _assert_paths_cross_s_registers(aig: AIG, plan) -> None:
    """Registers crossed from the inputs to each node are the same on every path."""
    s = plan.latency
    stage = plan.stage
    crossed = np.zeros(aig.num_nodes, dtype=np.int64)  # registers between inputs and node
    for k in range(aig.num_ands):
        v = aig.first_and + k
        via = set()
        for lit in (aig.fanin0[k], aig.fanin1[k]):
            u = int(lit) >> 1
            via.add(int(crossed[u]) + int(stage[v] - stage[u]))
        assert len(via) == 1, f"node {v}: fanins arrive with different register counts {via}"
        crossed[v] = via.pop()
    for o in aig.outputs.tolist():
        if o >> 1:
            assert crossed[o >> 1] + (s + 1 - stage[o >> 1]) == s


@pytest.mark.parametrize("params", [
    PipelineParams(), PipelineParams(stages=0), PipelineParams(stages=1), PipelineParams(stages=2),
    PipelineParams(stages=3), PipelineParams(stages=7), PipelineParams(stages=40),
    PipelineParams(levels_per_stage=1), PipelineParams(levels_per_stage=3),
    PipelineParams(levels_per_stage=100),
])
def test_plan_is_consistent(params):
    for seed in range(3):
        aig = _net_with_odd_outputs(seed)
        plan = plan_pipeline(aig, params)
        _assert_consistent(aig, plan)
        _assert_paths_cross_s_registers(aig, plan)


def test_combinational_plan_has_no_registers():
    aig = _net_with_odd_outputs(0)
    plan = plan_pipeline(aig)
    assert plan.latency == 0 and plan.registers == () and plan.num_registers == 0
    assert np.all(plan.stage == 1)


def test_stages_cut_every_ceil_depth_over_stages_levels():
    aig = _net_with_odd_outputs(1)
    lev = levels(aig)
    d = int(lev.max())
    for stages in (1, 2, 3, 5):
        plan = plan_pipeline(aig, PipelineParams(stages=stages))
        per = -(-d // stages)
        assert plan.latency == stages and plan.levels_per_stage == per and plan.depth == d
        ands = np.arange(aig.first_and, aig.num_nodes)
        assert np.array_equal(plan.stage[ands], (lev[ands] - 1) // per + 1)
        assert plan.stage.max() <= stages


def test_levels_per_stage_sets_latency():
    aig = _net_with_odd_outputs(2)
    d = int(levels(aig).max())
    for per in (1, 2, 4, d, d + 5):
        plan = plan_pipeline(aig, PipelineParams(levels_per_stage=per))
        assert plan.latency == -(-d // per)
        assert plan.levels_per_stage == per


def test_more_stages_than_levels_adds_pass_through_ranks():
    aig = _net_with_odd_outputs(0)
    d = int(levels(aig).max())
    plan = plan_pipeline(aig, PipelineParams(stages=d + 3))
    assert plan.latency == d + 3
    live_outputs = sorted({o >> 1 for o in aig.outputs.tolist() if o >> 1})
    for rank in range(d + 1, d + 4):  # after the last computing stage only outputs travel
        assert plan.registers[rank - 1].tolist() == live_outputs


def test_inputs_and_constants_on_outputs_are_aligned():
    aig = _net_with_odd_outputs(3)
    plan = plan_pipeline(aig, PipelineParams(stages=3))
    for rank in (1, 2, 3):
        assert 3 in plan.registers[rank - 1]  # the input wire output (node 3) is delayed too
        assert 0 not in plan.registers[rank - 1]  # constants need no register


def test_depth_zero_net():
    aig = AIG(2, np.zeros(0, np.int64), np.zeros(0, np.int64), np.array([2, 5, 0]))
    assert plan_pipeline(aig).latency == 0
    plan = plan_pipeline(aig, PipelineParams(stages=2))
    assert plan.latency == 2 and [r.tolist() for r in plan.registers] == [[1, 2], [1, 2]]
    assert plan_pipeline(aig, PipelineParams(levels_per_stage=4)).latency == 1


def test_register_position_rejects_absent_nodes():
    aig = _net_with_odd_outputs(0)
    plan = plan_pipeline(aig, PipelineParams(stages=2))
    held = plan.registers[0]
    assert plan.register_position(1, held[::-1]).tolist() == list(range(len(held)))[::-1]
    absent = next(v for v in range(aig.num_nodes) if v not in set(held.tolist()))
    with pytest.raises(ValueError):
        plan.register_position(1, np.array([absent]))


@pytest.mark.parametrize("kwargs", [
    {"stages": 2, "levels_per_stage": 2}, {"stages": -1}, {"levels_per_stage": 0},
    {"levels_per_stage": -3}, {"stages": 1.5}, {"stages": True}, {"levels_per_stage": "2"},
])
def test_bad_params_raise(kwargs):
    with pytest.raises(ValueError):
        PipelineParams(**kwargs)
