"""Arithmetic blocks in gates: popcount, comparator and argmax against integer arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import AIGBuilder, simulate
from gatecomp.frontends.arith import argmax_first, greater_than, popcount


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
