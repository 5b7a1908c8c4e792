"""Arithmetic blocks in gates: popcount, comparator and argmax against integer arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import AIGBuilder, simulate
from gatecomp.synth.arith import argmax_first, greater_than, popcount, popcount_merged


def _words(bits: np.ndarray) -> np.ndarray:
    return bits.astype(np.int64) @ (1 << np.arange(bits.shape[1]))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 8, 13])
def test_popcount_exhaustive(n):
    b = AIGBuilder(n)
    out = popcount(b, b.inputs())
    assert len(out) == n.bit_length()
    aig = b.build(out)
    idx = np.arange(1 << n)
    x = ((idx[:, None] >> np.arange(n)) & 1).astype(bool)
    assert np.array_equal(_words(simulate(aig, x)), x.sum(axis=1))


def test_popcount_batch_large_random():
    k, n = 3, 200
    b = AIGBuilder(k * n)
    out = popcount(b, b.inputs().reshape(k, n))
    aig = b.build(out.ravel())
    x = np.random.default_rng(0).random((500, k * n)) < np.linspace(0.01, 0.99, 500)[:, None]
    got = simulate(aig, x).reshape(500, k, -1)
    for c in range(k):
        assert np.array_equal(_words(got[:, c]), x[:, c * n:(c + 1) * n].sum(axis=1))


@pytest.mark.parametrize("seed", range(4))
def test_popcount_merged_counts_repeats_complements_and_constants(seed):
    """Rows drawn with repetition from the inputs, their complements and both constants:
    the merged popcount equals the plain count, with fewer gates."""
    rng = np.random.default_rng(seed)
    n_in, k, n = 7, 4, 60
    b = AIGBuilder(n_in)
    x = b.inputs()
    pool = np.concatenate([x, x ^ 1, [0, 1]])
    rows = pool[rng.integers(0, len(pool), size=(k, n))]
    out = popcount_merged(b, rows)
    assert out.shape == (k, n.bit_length())
    aig = b.build(out.ravel())
    bits = ((np.arange(1 << n_in)[:, None] >> np.arange(n_in)) & 1).astype(bool)
    values = np.concatenate([bits, ~bits, np.zeros((len(bits), 1), bool),
                             np.ones((len(bits), 1), bool)], axis=1)
    got = simulate(aig, bits).reshape(len(bits), k, -1)
    for c in range(k):
        assert np.array_equal(_words(got[:, c]), values[:, _pool_index(pool, rows[c])].sum(axis=1))
    plain = AIGBuilder(n_in)
    plain_out = popcount(plain, np.concatenate([plain.inputs(), plain.inputs() ^ 1, [0, 1]])[
        _pool_index(pool, rows)])
    assert aig.num_ands < plain.build(plain_out.ravel()).num_ands


def _pool_index(pool: np.ndarray, lits: np.ndarray) -> np.ndarray:
    """Position in ``pool`` of each literal (the pool holds each literal once)."""
    where = {int(v): i for i, v in enumerate(pool)}
    return np.vectorize(where.__getitem__)(lits)


def test_greater_than_exhaustive():
    b = AIGBuilder(6)
    i = b.inputs()
    aig = b.build([greater_than(b, i[:3], i[3:])[0]])
    idx = np.arange(64)
    x = ((idx[:, None] >> np.arange(6)) & 1).astype(bool)
    assert np.array_equal(simulate(aig, x)[:, 0], (idx & 7) > (idx >> 3))


@pytest.mark.parametrize("k", [1, 2, 3, 5, 10])
def test_argmax_first_index_wins_ties(k):
    w = 2
    b = AIGBuilder(k * w)
    i = b.inputs()
    out = argmax_first(b, [i[c * w:(c + 1) * w] for c in range(k)])
    aig = b.build(out)
    x = np.random.default_rng(k).integers(0, 2, size=(2000, k * w)).astype(bool)
    vals = _words(x.reshape(-1, w)).reshape(-1, k)  # many ties with 2-bit words
    assert np.array_equal(_words(simulate(aig, x)), np.argmax(vals, axis=1))
