"""The AIG core: builder canonical form, simulation, analysis, invariant checks."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import (
    AIG,
    AIGBuilder,
    AIGInvariantError,
    check_aig,
    depth,
    exhaustive_inputs,
    levels,
    pack_bits,
    simulate,
    simulate_words,
    unpack_bits,
)
from tests.conftest import random_aig


def test_builder_folds_and_hashes():
    b = AIGBuilder(2)
    x, y = b.input(0), b.input(1)
    assert b.add_and(x, 0) == 0
    assert b.add_and(x, 1) == x
    assert b.add_and(x, x) == x
    assert b.add_and(x, x ^ 1) == 0
    g = b.add_and(x, y)
    assert b.add_and(y, x) == g
    assert b.num_ands == 1


def test_builder_hashes_within_a_scope_only():
    b = AIGBuilder(2)
    x, y = b.input(0), b.input(1)
    g = b.add_and(x, y)
    b.hash_scope(1)
    g1 = b.add_and(x, y)
    assert g1 != g and b.add_and_vec([y], [x])[0] == g1 and b.num_ands == 2
    assert b.add_and(x, x ^ 1) == 0  # folding does not depend on the scope
    b.hash_scope(0)
    assert b.add_and(y, x) == g and b.num_ands == 2
    with pytest.raises(AIGInvariantError):
        check_aig(b.build([g, g1]))  # two ANDs with the same fanins: not canonical
    check_aig(b.build([g, g1]), canonical=False)


def test_vectorised_builder_matches_scalar():
    rng = np.random.default_rng(3)
    scalar, vec = AIGBuilder(6), AIGBuilder(6)
    a = rng.integers(0, 14, 200)
    c = rng.integers(0, 14, 200)
    s = [scalar.add_xor(int(p), int(q)) for p, q in zip(a, c, strict=True)]
    v = vec.add_xor_vec(a, c)
    ins = exhaustive_inputs(6)
    out_s = simulate_words(scalar.build(s), ins)
    out_v = simulate_words(vec.build(v), ins)
    assert np.array_equal(out_s, out_v)
    check_aig(vec.build(v))


def test_gate_semantics_exhaustive():
    b = AIGBuilder(3)
    x, y, z = (b.input(k) for k in range(3))
    aig = b.build([b.add_and(x, y), b.add_or(x, y), b.add_xor(x, y), b.add_mux(x, y, z),
                   b.add_maj(x, y, z), x ^ 1, 1])
    idx = np.arange(8)
    bits = ((idx[:, None] >> np.arange(3)) & 1).astype(bool)
    out = simulate(aig, bits)
    xs, ys, zs = bits.T
    expected = np.stack([xs & ys, xs | ys, xs ^ ys, np.where(xs, ys, zs),
                         (xs & ys) | (xs & zs) | (ys & zs), ~xs, np.ones(8, bool)], axis=1)
    assert np.array_equal(out, expected)


def test_pack_unpack_roundtrip():
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, size=(130, 7)).astype(bool)
    assert np.array_equal(unpack_bits(pack_bits(bits), 130), bits)


def test_levels_and_depth():
    b = AIGBuilder(4)
    i = b.inputs()
    g1 = b.add_and(i[0], i[1])
    g2 = b.add_and(g1, i[2])
    g3 = b.add_and(g2, i[3])
    aig = b.build([g3, g1])
    assert levels(aig)[g3 >> 1] == 3
    assert depth(aig) == 3


def test_check_rejects_broken_graphs(small_aig):
    check_aig(small_aig)
    f0 = small_aig.fanin0.copy()
    f0[0] = 2 * (small_aig.num_nodes + 5)
    with pytest.raises(AIGInvariantError):
        check_aig(AIG(small_aig.num_inputs, f0, small_aig.fanin1, small_aig.outputs))
    dup = AIG(2, np.array([4, 4]), np.array([2, 2]), np.array([6, 8]))
    check_aig(dup, canonical=False)
    with pytest.raises(AIGInvariantError, match="structurally hashed"):
        check_aig(dup)


def test_simulation_chunking_matches_single_sweep(monkeypatch):
    import importlib

    sim = importlib.import_module("gatecomp.aig.simulate")

    aig = random_aig(10, 300, 5, seed=7)
    words = np.random.default_rng(1).integers(0, 2**63, size=(10, 9), dtype=np.uint64)
    full = simulate_words(aig, words)
    monkeypatch.setattr(sim, "_MAX_SIM_BYTES", 8 * aig.num_nodes * 2)
    assert np.array_equal(simulate_words(aig, words), full)
