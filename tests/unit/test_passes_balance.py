"""balance: function preserved, depth and AND count never grow, AND chains become log-depth."""

from __future__ import annotations

import math
import subprocess

import numpy as np
import pytest

from gatecomp.aig import (
    AIG,
    AIGBuilder,
    check_aig,
    depth,
    exhaustive_inputs,
    random_inputs,
)
from gatecomp.errors import GatecompError
from gatecomp.passes import BalanceParams, balance
from gatecomp.passes.script import run_script
from gatecomp.verify.abc_cec import abc_cec, find_abc
from tests.conftest import EPFL, assert_same_function, epfl, needs_abc, random_aig

PARAMS = [BalanceParams(), BalanceParams(area=False), BalanceParams(window=1)]



def assert_no_worse(before: AIG, after: AIG, stats) -> None:
    check_aig(after)
    assert depth(after) <= depth(before)
    assert after.num_ands <= before.num_ands
    assert (stats.ands_before, stats.levels_before) == (before.num_ands, depth(before))
    assert (stats.ands_after, stats.levels_after) == (after.num_ands, depth(after))


def and_tree(n: int, shape: str, seed: int = 0, complement_leaves: bool = False) -> AIG:
    """AND of ``n`` inputs built as a chain or as a random (unbalanced) tree."""
    rng = np.random.default_rng(seed)
    b = AIGBuilder(n)
    lits = b.inputs() ^ (rng.integers(0, 2, n) if complement_leaves else 0)
    if shape == "chain":
        acc = int(lits[0])
        for x in lits[1:]:
            acc = b.add_and(acc, int(x))
        return b.build([acc])
    pool = [int(x) for x in lits]
    while len(pool) > 1:
        i, j = sorted(rng.choice(len(pool), 2, replace=False))
        y = b.add_and(pool.pop(j), pool.pop(i))
        pool.append(y)
    return b.build([pool[0]])


# -- function is preserved --------------------------------------------------------------------

@pytest.mark.parametrize("params", PARAMS, ids=["area", "plain", "window1"])
def test_balance_preserves_function_exhaustively(params):
    for seed in range(12):
        n = 6 + seed % 9  # 6..14 inputs
        aig = random_aig(n, 300 + 40 * seed, 8, seed=seed)
        out, stats = balance(aig, params)
        assert_no_worse(aig, out, stats)
        assert_same_function(aig, out, exhaustive_inputs(n))


def test_balance_handles_unhashed_graphs_with_constants_and_duplicates():
    # node4 = x0 & x1, node5 = x0 & x1 (duplicate), node6 = node4 & node5, node7 = node6 & ~x0
    # (constant 0), node8 = x2 & 1, node9 = node8 & node4; outputs node7, node9, ~node8
    f0 = np.array([4, 4, 10, 12, 6, 16])
    f1 = np.array([2, 2, 8, 3, 1, 8])
    aig = AIG(3, f0, f1, np.array([14, 18, 17]))
    out, _ = balance(aig)
    check_aig(out)
    assert_same_function(aig, out, exhaustive_inputs(3))
    assert out.outputs[0] == 0 and out.outputs[2] == 7  # ~x2
    assert out.num_ands == 2  # x0 & x1 and (x0 & x1) & x2


def test_balance_preserves_function_on_large_random_aig():
    aig = random_aig(200, 60_000, 64, seed=3)
    out, stats = balance(aig)
    assert_no_worse(aig, out, stats)
    assert_same_function(aig, out, random_inputs(200, 64, seed=1))


@pytest.mark.parametrize("name", ["i2c", "max", "priority", "router", "sin", "voter"])
def test_balance_preserves_function_on_epfl(name):
    aig = epfl(name)
    for params in PARAMS[:2]:
        out, stats = balance(aig, params)
        assert_no_worse(aig, out, stats)
        assert_same_function(aig, out, random_inputs(aig.num_inputs, 32, seed=7))


@needs_abc
@pytest.mark.parametrize("name", ["cavlc", "i2c", "int2float", "max", "priority", "router"])
def test_balance_proved_by_abc_cec_on_epfl(name):
    aig = epfl(name)
    out, _ = balance(aig)
    res = abc_cec(aig, out, timeout=120)
    assert res.checked and res.equivalent, res.message


@needs_abc
def test_balance_proved_by_abc_cec_on_random_aig():
    aig = random_aig(40, 5000, 16, seed=11)
    out, _ = balance(aig, BalanceParams(area=False))
    res = abc_cec(aig, out, timeout=120)
    assert res.checked and res.equivalent, res.message


# -- the metric: depth --------------------------------------------------------------------------

@pytest.mark.parametrize("n", [2, 3, 5, 8, 13, 100, 1000, 50_000])
@pytest.mark.parametrize("shape", ["chain", "random"])
def test_and_chain_becomes_log_depth(n, shape):
    aig = and_tree(n, shape, seed=n, complement_leaves=n % 2 == 1)
    out, stats = balance(aig)
    assert depth(out) == math.ceil(math.log2(n))
    assert out.num_ands == n - 1
    assert stats.extra["largest_supergate"] == n
    if n <= 13:
        assert_same_function(aig, out, exhaustive_inputs(n))
    else:
        assert_same_function(aig, out, random_inputs(n, 4, seed=n))


def test_or_chain_becomes_log_depth():
    b = AIGBuilder(64)
    acc = b.input(0)
    for k in range(1, 64):
        acc = b.add_or(acc, b.input(k))
    aig = b.build([acc, acc ^ 1])
    out, _ = balance(aig)
    assert depth(aig) == 63 and depth(out) == 6 and out.num_ands == 63
    assert_same_function(aig, out, random_inputs(64, 4))


def test_complemented_edges_and_shared_nodes_bound_supergates():
    # y = ~(a & b & c & d) & e & f : two supergates; the shared (fanout 2) node stays intact
    b = AIGBuilder(6)
    a, bb, c, d, e, f = (b.input(k) for k in range(6))
    inner = b.add_and(b.add_and(b.add_and(a, bb), c), d)
    y = b.add_and(b.add_and(inner ^ 1, e), f)
    aig = b.build([y, inner])
    out, stats = balance(aig)
    assert stats.extra["supergates"] == 2
    # inner: 4 leaves -> depth 2, 3 ANDs; y: leaves ~inner (level 2), e, f -> (e & f) & ~inner
    assert depth(aig) == 5 and depth(out) == 3 and out.num_ands == 5
    assert_same_function(aig, out, exhaustive_inputs(6))


def test_contradictory_supergate_folds_to_zero():
    b = AIGBuilder(4)
    x = [b.input(k) for k in range(4)]
    acc = x[0]
    for lit in (x[1], x[2], x[0] ^ 1, x[3]):
        acc = b.add_and(acc, lit)
    aig = b.build([acc, b.add_and(x[1], x[2])])
    out, _ = balance(aig)
    assert out.outputs[0] == 0 and out.num_ands == 1
    assert_same_function(aig, out, exhaustive_inputs(4))


@pytest.mark.parametrize("name", ["max", "router", "sin", "i2c"])
def test_depth_drops_on_epfl(name):
    aig = epfl(name)
    out, stats = balance(aig)
    assert stats.levels_after < stats.levels_before
    assert stats.ands_after <= stats.ands_before


@needs_abc
@pytest.mark.parametrize("name", ["i2c", "int2float", "max", "router", "sin"])
def test_depth_and_size_match_abc_balance(name):
    """Depth no worse than ABC ``balance`` (both are depth-optimal per supergate), size ~equal."""
    aig = epfl(name)
    out, _ = balance(aig)
    res = subprocess.run([find_abc(), "-c", f"read {EPFL / name}.aig; strash; balance; "
                          "print_stats"], capture_output=True, text=True, timeout=60)
    stats = res.stdout.rsplit("and =", 1)[1]
    abc_ands, abc_lev = int(stats.split()[0]), int(stats.split("lev =")[1].split()[0])
    assert depth(out) <= abc_lev
    assert out.num_ands <= abc_ands * 1.01


def test_balance_on_dlgn_never_hurts():
    from gatecomp.cli import BUNDLED_EXAMPLE
    from gatecomp.frontends.dlgn import lower_dlgn
    from gatecomp.frontends.dlgn.model import load_dlgn

    aig = lower_dlgn(load_dlgn(BUNDLED_EXAMPLE)).aig
    out, stats = run_script(aig, "cleanup,balance")
    bal = stats[1]
    assert bal.levels_after <= bal.levels_before and bal.ands_after <= bal.ands_before
    assert depth(out) <= depth(aig)
    assert_same_function(aig, out, random_inputs(aig.num_inputs, 16, seed=5))


def test_area_mode_shares_more():
    aig = epfl("voter")
    area, s_area = balance(aig)
    plain, _ = balance(aig, BalanceParams(area=False))
    assert depth(area) == depth(plain)
    assert area.num_ands <= plain.num_ands
    assert s_area.extra["shared_by_area"] > 0


def test_script_options():
    aig = random_aig(10, 200, 4, seed=2)
    out, stats = run_script(aig, "balance{area=false,window=4}")
    assert stats[0].name == "balance"
    assert_same_function(aig, out, exhaustive_inputs(10))
    with pytest.raises(GatecompError, match="window"):
        run_script(aig, "balance{window=0}")
