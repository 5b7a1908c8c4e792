"""lutmap: the LUT cover computes the AIG's function, respects k, reaches the optimal depth,
and its LUT count stays close to ABC's ``if`` (measured in the same run)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from gatecomp.aig import (
    AIG,
    AIGBuilder,
    exhaustive_inputs,
    random_inputs,
    read_aiger,
    simulate,
    simulate_words,
)
from gatecomp.mapping.lutmap import LutMapParams, lutmap
from gatecomp.mapping.lutnet import LutNetwork
from gatecomp.verify.abc_cec import abc_cec
from tests.conftest import EPFL, epfl, random_aig

ABC = shutil.which("berkeley-abc") or shutil.which("yosys-abc")
needs_epfl = pytest.mark.skipif(not EPFL.is_dir(), reason="EPFL benchmarks not available")
needs_abc = pytest.mark.skipif(ABC is None, reason="ABC not installed")


def assert_well_formed(net: LutNetwork, k: int) -> None:
    """Every LUT has <= k fanins, all earlier ids, and no truth bits beyond 2**size."""
    assert net.k == k
    assert (net.sizes >= 0).all() and (net.sizes <= k).all()
    ids = net.first_lut + np.arange(net.num_luts)
    for i in range(k):
        used = net.sizes > i
        assert (net.fanins[used, i] >= 1).all()
        assert (net.fanins[used, i] < ids[used]).all()
        assert (net.fanins[~used, i] == -1).all()
    small = net.sizes < 6
    high = np.uint64(1) << (np.uint64(1) << net.sizes[small].astype(np.uint64))
    assert (net.truth[small] < high).all()
    assert ((net.output_ids >= 0) & (net.output_ids < net.first_lut + net.num_luts)).all()


def assert_same_function(aig: AIG, net: LutNetwork, words: np.ndarray) -> None:
    assert np.array_equal(net.simulate_words(words), simulate_words(aig, words))


# -- function and structure ----------------------------------------------------------------

@pytest.mark.parametrize("k", [2, 3, 4, 5, 6])
def test_lut_network_equals_aig_exhaustively(k):
    for seed in range(6):
        aig = random_aig(10, 300, 8, seed=seed)
        net, stats = lutmap(aig, LutMapParams(k=k))
        assert_well_formed(net, k)
        assert_same_function(aig, net, exhaustive_inputs(10))
        assert stats.luts == net.num_luts and stats.depth == net.depth()


@pytest.mark.parametrize("params", [
    LutMapParams(cuts_per_node=1),
    LutMapParams(cuts_per_node=20, minimize_support=False),
    LutMapParams(preprocess=False, flow_rounds=0, area_rounds=0),
    LutMapParams(k=4, flow_rounds=3, area_rounds=4),
    LutMapParams(k=4, depth_slack=2),
    LutMapParams(k=3, depth_slack=None),
])
def test_options_preserve_function(params):
    for seed in range(4):
        aig = random_aig(9, 250, 5, seed=100 + seed)
        net, _ = lutmap(aig, params)
        assert_well_formed(net, params.k)
        assert_same_function(aig, net, exhaustive_inputs(9))


@needs_epfl
@pytest.mark.parametrize("name", ["adder", "int2float", "cavlc"])
def test_depth_slack_bounds_depth_and_trades_it_for_area(name):
    aig = epfl(name)
    base, base_stats = lutmap(aig, LutMapParams(k=4))
    total = 0
    for slack in (1, 3):
        net, stats = lutmap(aig, LutMapParams(k=4, depth_slack=slack))
        assert stats.depth <= base_stats.depth + slack
        assert_well_formed(net, 4)
        assert_same_function(aig, net, random_inputs(aig.num_inputs, 4, seed=slack))
        total += stats.luts
    free, _ = lutmap(aig, LutMapParams(k=4, depth_slack=None))
    assert_same_function(aig, free, random_inputs(aig.num_inputs, 4, seed=9))
    # slack only widens the choice of cuts; over the circuits it pays (not a speed claim)
    assert total + free.num_luts <= 3 * base.num_luts


def test_boolean_simulate_matches_aig(small_aig):
    net, _ = lutmap(small_aig)
    rng = np.random.default_rng(3)
    bits = rng.integers(0, 2, size=(100, small_aig.num_inputs)).astype(bool)
    assert np.array_equal(net.simulate(bits), simulate(small_aig, bits))


def test_outputs_on_inputs_constants_and_inversions():
    b = AIGBuilder(3)
    x, y, z = (int(v) for v in b.inputs())
    g = b.add_xor(b.add_and(x, y), z)
    aig = b.build([x, x ^ 1, 0, 1, g, g ^ 1], ["a", "b", "c", "d", "e", "f"])
    net, stats = lutmap(aig)
    assert net.num_luts == 1 and stats.depth == 1
    assert net.output_ids.tolist()[:4] == [1, 1, 0, 0]
    assert net.output_compl.tolist() == [False, True, False, True, False, True]
    assert net.output_names == aig.output_names
    assert_same_function(aig, net, exhaustive_inputs(3))


def test_no_gates_and_constant_fanins():
    empty = AIG(2, np.zeros(0), np.zeros(0), np.array([2, 5, 0]))
    net, stats = lutmap(empty)
    assert net.num_luts == 0 and stats.depth == 0
    assert_same_function(empty, net, exhaustive_inputs(2))
    # raw (unfolded) ANDs with constant fanins: x0 & 1, x1 & 0, and one dead gate
    raw = AIG(2, np.array([2, 4, 4]), np.array([1, 0, 2]), np.array([6, 8, 9]))
    net, _ = lutmap(raw)
    assert_same_function(raw, net, exhaustive_inputs(2))
    assert net.num_luts <= 2


def test_unused_gates_are_not_mapped():
    aig = random_aig(8, 200, 1, seed=4)
    net, _ = lutmap(aig)
    assert net.num_luts <= 60  # one output's cone, not the 200 gates
    assert_same_function(aig, net, exhaustive_inputs(8))


def test_params_are_checked():
    with pytest.raises(ValueError):
        LutMapParams(k=7)
    with pytest.raises(ValueError):
        LutMapParams(k=1)
    with pytest.raises(ValueError):
        LutMapParams(cuts_per_node=0)
    with pytest.raises(ValueError):
        LutMapParams(area_rounds=-1)
    with pytest.raises(ValueError, match="depth_slack"):
        LutMapParams(depth_slack=-1)


# -- depth ---------------------------------------------------------------------------------

def optimal_depth(aig: AIG, k: int) -> int:
    """Optimal k-LUT depth by enumerating every k-feasible cut (small AIGs only)."""
    first = aig.first_and
    cuts: list[list[frozenset]] = [[frozenset()]] + [[frozenset([v])] for v in range(1, first)]
    label = [0] * aig.num_nodes
    for j in range(aig.num_ands):
        v = first + j
        ca, cb = cuts[int(aig.fanin0[j]) >> 1], cuts[int(aig.fanin1[j]) >> 1]
        merged = {p | q for p in ca for q in cb if len(p | q) <= k}
        label[v] = min(1 + max((label[u] for u in c), default=0) for c in merged)
        cuts.append([*merged, frozenset([v])])
    return max((label[int(o) >> 1] for o in aig.outputs), default=0)


@pytest.mark.parametrize("k", [3, 4, 6])
def test_depth_is_optimal_with_enough_cuts(k):
    for seed in range(5):
        aig = random_aig(7, 60, 4, seed=200 + seed)
        best = optimal_depth(aig, k)
        structural, _ = lutmap(aig, LutMapParams(k=k, cuts_per_node=2000,
                                                 minimize_support=False))
        assert structural.depth() == best
        # dropping vacuous leaves can only help; priority cuts never beat the optimum
        functional, _ = lutmap(aig, LutMapParams(k=k, cuts_per_node=2000))
        assert functional.depth() <= best
        default, _ = lutmap(aig, LutMapParams(k=k, minimize_support=False))
        assert default.depth() >= best


def test_area_recovery_keeps_depth_and_saves_luts():
    aig = random_aig(16, 2000, 16, seed=7)
    delay_only, d_stats = lutmap(aig, LutMapParams(preprocess=False, flow_rounds=0,
                                                   area_rounds=0))
    full, stats = lutmap(aig)
    assert full.depth() == delay_only.depth() == stats.rounds[0]["depth"]
    assert all(r["depth"] == stats.depth for r in stats.rounds)
    assert full.num_luts < 0.9 * delay_only.num_luts
    assert_same_function(aig, full, random_inputs(16, 32, seed=1))


# -- EPFL circuits, against ABC ------------------------------------------------------------

def abc_if(path: Path, k: int) -> tuple[int, int]:
    """(LUTs, depth) of ABC ``if -K k`` with default options."""
    out = subprocess.run([ABC, "-c", f"read {path}; strash; if -K {k}; print_stats"],
                         capture_output=True, text=True, timeout=120).stdout
    m = re.search(r"nd\s*=\s*(\d+).*?lev\s*=\s*(\d+)", out)
    assert m, out
    return int(m.group(1)), int(m.group(2))


@needs_epfl
@pytest.mark.parametrize("name", ["cavlc", "i2c", "int2float", "max", "priority", "router",
                                  "sin"])
def test_epfl_random_simulation(name):
    aig = read_aiger(EPFL / f"{name}.aig")
    for k in (4, 6):
        net, _ = lutmap(aig, LutMapParams(k=k))
        assert_well_formed(net, k)
        assert_same_function(aig, net, random_inputs(aig.num_inputs, 16, seed=k))


@needs_epfl
@needs_abc
@pytest.mark.parametrize("name", ["adder", "cavlc", "i2c", "int2float", "max", "sin"])
def test_depth_and_luts_against_abc(name):
    """Depth no worse than ABC ``if -K 6`` and at most 10% more LUTs (geomean is ~0.97)."""
    path = EPFL / f"{name}.aig"
    abc_luts, abc_depth = abc_if(path, 6)
    net, stats = lutmap(read_aiger(path))
    assert stats.depth <= abc_depth
    assert net.num_luts <= 1.10 * abc_luts


def test_to_aig_round_trip():
    aig = random_aig(9, 300, 6, seed=31)
    net, _ = lutmap(aig, LutMapParams(k=5))
    back = net.to_aig()
    assert back.input_names == aig.input_names and back.output_names == aig.output_names
    assert_same_function(aig, net, exhaustive_inputs(9))
    words = exhaustive_inputs(9)
    assert np.array_equal(simulate_words(back, words), simulate_words(aig, words))


@needs_epfl
@needs_abc
@pytest.mark.parametrize("name", ["cavlc", "i2c", "max", "router"])
def test_abc_cec_proves_mapping(name):
    """A formal proof (ABC ``cec``) that the LUT network equals the AIG, for k = 6 and 3."""
    aig = read_aiger(EPFL / f"{name}.aig")
    for k in (6, 3):
        net, _ = lutmap(aig, LutMapParams(k=k))
        res = abc_cec(aig, net.to_aig())
        assert res.checked and res.equivalent, res.message
