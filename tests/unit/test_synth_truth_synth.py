"""Truth-table synthesis (with don't-cares) and sub-AIG copying."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import AIGBuilder, simulate
from gatecomp.synth.arith import thermometer_to_binary
from gatecomp.synth.subgraph import cone_sizes, disjoint_union, replay, used_ands
from gatecomp.synth.truth_synth import bools_to_table, synthesize, table_to_bools
from tests.unit.qnn_nets import all_inputs


def test_table_conversions_round_trip():
    rng = np.random.default_rng(0)
    for n in range(0, 9):
        bits = rng.random(1 << n) < 0.5
        assert np.array_equal(table_to_bools(bools_to_table(bits), n), bits)


@pytest.mark.parametrize("order", ["fixed", "dynamic"])
@pytest.mark.parametrize("n", [0, 1, 3, 4, 5, 7, 10])
def test_random_functions_with_dont_cares(n, order):
    rng = np.random.default_rng(n)
    x = all_inputs(n)
    tables = [rng.random(1 << n) < p for p in (0.5, 0.1, 0.9)]
    care = rng.random(1 << n) < 0.8
    aig, outs = synthesize(n, [bools_to_table(t) for t in tables], bools_to_table(care),
                           order=order)
    got = simulate(aig, x)
    for j, t in enumerate(tables):
        assert np.array_equal(got[care, j], t[care])
    assert used_ands(aig) == aig.num_ands  # nothing built is left unused


def test_threshold_function_is_small_and_exact():
    """A 12-input threshold gate: far below a mux tree (4095 muxes), exact everywhere.

    (Measured: 83 ANDs; ABC's dc2/resyn loops take this structure to 69.)"""
    n = 12
    w = np.array([1, 7, -3, 5, 3, -7, -2, 5, 1, -7, 4, 3])
    x = all_inputs(n)
    f = x.astype(np.int64) @ w >= 4
    aig, _ = synthesize(n, [bools_to_table(f)])
    assert np.array_equal(simulate(aig, x)[:, 0], f)
    assert aig.num_ands <= 90


def test_dont_cares_are_exploited():
    # f = a & b on the care set where a == b: realisable as the wire a (0 ANDs)
    x = all_inputs(2)
    f = x[:, 0] & x[:, 1]
    care = x[:, 0] == x[:, 1]
    aig, _ = synthesize(2, [bools_to_table(f)], bools_to_table(care))
    assert aig.num_ands == 0
    assert np.array_equal(simulate(aig, x)[care, 0], f[care])


def test_post_processing_in_the_same_builder():
    n = 5
    x = all_inputs(n)
    q = np.minimum(x.sum(axis=1), 3)
    therm = [bools_to_table(q > lv) for lv in range(3)]
    aig, _ = synthesize(n, therm, post=lambda b, t: thermometer_to_binary(b, t[None])[0])
    got = simulate(aig, x).astype(np.int64) @ [1, 2]
    assert np.array_equal(got, q)


def test_union_replay_and_cone_sizes():
    rng = np.random.default_rng(3)
    parts = []
    for n in (3, 4, 5):
        tabs = [bools_to_table(rng.random(1 << n) < 0.5) for _ in range(2)]
        parts.append((n, tabs, synthesize(n, tabs)[0]))
    union, outs = disjoint_union([p[2] for p in parts])
    assert union.num_inputs == 12 and union.num_ands == sum(p[2].num_ands for p in parts)
    sizes = cone_sizes(union, outs)
    assert sizes.tolist() == [p[2].num_ands for p in parts]
    # replay into a builder whose inputs are permuted and partly complemented
    b = AIGBuilder(12)
    perm = rng.permutation(12)
    flip = rng.integers(0, 2, 12)
    lits = replay(b, union, b.inputs()[perm] ^ flip)
    x = np.random.default_rng(0).integers(0, 2, (300, 12)).astype(bool)
    got = simulate(b.build(lits), x)
    want = simulate(union, x[:, perm] ^ flip.astype(bool))
    assert np.array_equal(got, want)
    # constants as inputs fold on the way
    b2 = AIGBuilder(0)
    lits2 = replay(b2, union, np.zeros(12, dtype=np.int64))
    assert b2.num_ands == 0
    assert np.array_equal(lits2 & 1, simulate(union, np.zeros((1, 12), bool))[0])
