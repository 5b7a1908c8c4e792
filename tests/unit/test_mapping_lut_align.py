"""LUT-aligned pipelining: same function, and registers only on outputs of the LUT cover."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import AIG, check_aig, levels, pack_bits
from gatecomp.mapping import PipelineParams, lutmap, plan_pipeline
from gatecomp.mapping.lut_align import align_to_luts
from gatecomp.mapping.lutmap import LutMapParams
from gatecomp.mapping.stages import level_groups
from gatecomp.passes import cleanup
from tests.conftest import assert_same_function, epfl, random_aig


def _words(aig: AIG, seed: int, samples: int = 4096) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return pack_bits(rng.integers(0, 2, size=(samples, aig.num_inputs)).astype(bool))


def _assert_aligned(aig: AIG, per: int, k: int = 4) -> None:
    al = align_to_luts(aig, PipelineParams(levels_per_stage=per), k=k)
    new, lev = al.aig, al.levels
    check_aig(new, canonical=False)
    assert_same_function(aig, new, _words(aig, per))
    # the levels order the nodes (a stage never reads a later one) and are the cover's
    first = new.first_and
    assert (lev[new.fanin0 >> 1] <= lev[first:]).all()
    assert (lev[new.fanin1 >> 1] <= lev[first:]).all()
    fastest, _ = lutmap(aig, LutMapParams(k=k))
    stages = max(1, -(-fastest.depth() // per))
    slack = stages * per - fastest.depth()
    assert al.stats["depth_slack"] == slack
    cover, _ = lutmap(aig, LutMapParams(k=k, depth_slack=slack))
    assert al.stats["luts"] == cover.num_luts and int(lev.max(initial=0)) == cover.depth()
    assert cover.depth() <= stages * per
    # the slack fills the last stage only: the latency is that of the fastest cover
    plan = plan_pipeline(new, PipelineParams(levels_per_stage=per), lev)
    assert plan.latency == stages
    # registers hold primary inputs and LUT outputs only: no LUT is cut by a register rank
    lut_nodes = set(al.lut_nodes.tolist())
    for rank in plan.registers:
        for node in rank.tolist():
            assert node < first or node in lut_nodes, f"register on node {node} inside a LUT"
    # and each stage holds at most `per` LUT levels
    stage_of_level = {}
    for node in al.lut_nodes.tolist():
        stage_of_level.setdefault(int(plan.stage[node]), set()).add(int(lev[node]))
    assert all(max(v) - min(v) < per for v in stage_of_level.values())


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("per", [1, 2, 3])
def test_random_aigs_keep_function_and_cut_on_luts(seed, per):
    aig, _ = cleanup(random_aig(10, 400, 8, seed=seed))
    _assert_aligned(aig, per)


@pytest.mark.parametrize("name", ["adder", "int2float", "router"])
def test_epfl_circuits(name):
    aig = epfl(name)
    _assert_aligned(aig, 3)
    _assert_aligned(aig, 2, k=6)


def test_one_stage_duplicates_nothing():
    """With one stage nothing is shared across stages, so the copy is no larger."""
    aig, _ = cleanup(random_aig(10, 400, 8, seed=9))
    al = align_to_luts(aig, PipelineParams(levels_per_stage=1000))
    assert al.stats["duplicated"] <= 0
    assert_same_function(aig, al.aig, _words(aig, 9))


def test_node_levels_must_match_the_aig():
    aig, _ = cleanup(random_aig(6, 50, 3, seed=2))
    with pytest.raises(ValueError, match="node_levels"):
        plan_pipeline(aig, PipelineParams(levels_per_stage=2), np.zeros(3, dtype=np.int64))


def test_level_groups_split_a_level_over_stages():
    """One logic level spread over two stages gives two groups, named by level and stage."""
    aig, _ = cleanup(random_aig(10, 400, 8, seed=3))
    al = align_to_luts(aig, PipelineParams(levels_per_stage=1))
    plan = plan_pipeline(al.aig, PipelineParams(levels_per_stage=1), al.levels)
    groups, names, group_levels = level_groups(al.aig, plan)
    assert sorted(np.concatenate(groups).tolist()) == list(range(al.aig.first_and,
                                                                 al.aig.num_nodes))
    assert len(set(names)) == len(names)
    node_level = levels(al.aig)
    for g, name, level in zip(groups, names, group_levels, strict=True):
        assert len(set(plan.stage[g].tolist())) == 1
        assert set(node_level[g].tolist()) == {level} and name.startswith(f"l{level}")
    assert any("s" in n for n in names)


def test_dropped_leaves_do_not_blow_up_the_copy():
    """Where the mapper drops a leaf its function ignores, the structure continues below it;
    copying that structure made EPFL div 5.3x larger (57k -> 304k ANDs). Such LUTs are built
    from their truth tables instead, so duplication stays small."""
    aig = epfl("div")
    al = align_to_luts(aig, PipelineParams(levels_per_stage=3))
    assert al.aig.num_ands < 1.2 * aig.num_ands
    assert_same_function(aig, al.aig, _words(aig, 11, samples=1024))
