"""Weighted sums and thermometer codes in gates against integer arithmetic (exhaustive)."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import CONST0, CONST1, AIGBuilder, simulate
from gatecomp.synth.arith import (
    column_sum,
    popcount,
    signed_columns,
    signed_digits,
    thermometer_to_binary,
)
from tests.unit.qnn_nets import all_inputs


def _words(bits: np.ndarray) -> np.ndarray:
    return bits.astype(np.int64) @ (1 << np.arange(bits.shape[-1]))


def test_signed_digits():
    for a in range(600):
        digits = signed_digits(a)
        assert sum(d << p for p, d in digits) == a
        assert len(digits) <= bin(a).count("1")
    assert signed_digits(7) == [(0, -1), (3, 1)]
    assert signed_digits(3) == [(0, 1), (1, 1)]  # a tie keeps the binary form
    with pytest.raises(ValueError):
        signed_digits(-1)


def _literal_values(lits: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(samples, len(lits)) 0/1 values of builder literals under input vectors ``x``."""
    node = np.maximum(lits // 2 - 1, 0)
    vals = x[:, node].astype(np.int64) ^ (lits & 1)
    return np.where(lits < 2, lits & 1, vals)


@pytest.mark.parametrize("seed", range(25))
def test_signed_column_sums_exhaustive(seed):
    rng = np.random.default_rng(seed)
    n, k, terms = int(rng.integers(1, 10)), int(rng.integers(1, 5)), int(rng.integers(0, 16))
    b = AIGBuilder(n)
    owner = rng.integers(0, k, terms)
    lits = b.inputs()[rng.integers(0, n, terms)] ^ rng.integers(0, 2, terms)
    lits = np.where(rng.random(terms) < 0.15, rng.integers(0, 2, terms), lits)  # constants
    coeffs = rng.integers(-20, 21, terms)
    o, col, li, const = signed_columns(owner, lits, coeffs, k)
    x = all_inputs(n)
    vals = _literal_values(lits, x)
    value = np.zeros((len(x), k), dtype=np.int64)
    for i in range(terms):
        value[:, owner[i]] += coeffs[i] * vals[:, i]
    s = value - const
    assert s.min(initial=0) >= 0  # the columns hold non-negative weights only
    offset = rng.integers(-6, 7, k)
    width = np.array([max(1, int((s[:, j] + offset[j]).max(initial=0)).bit_length())
                      for j in range(k)])
    out = column_sum(b, o, col, li, k, width, const=offset)
    aig = b.build(out.ravel())
    got = _words(simulate(aig, x).reshape(len(x), k, -1))
    assert np.array_equal(got, (s + offset) % (1 << width))  # mod 2**width, exact when it fits
    assert (out[np.arange(out.shape[1])[None] >= width[:, None]] == CONST0).all()


def test_column_sum_of_equal_weights_matches_popcount_size():
    n = 23
    b1, b2 = AIGBuilder(n), AIGBuilder(n)
    ref = popcount(b1, b1.inputs())
    out = column_sum(b2, np.zeros(n, np.int64), np.zeros(n, np.int64), b2.inputs(), 1,
                     n.bit_length())
    assert b2.num_ands <= b1.num_ands
    x = np.random.default_rng(0).integers(0, 2, (500, n)).astype(bool)
    assert np.array_equal(_words(simulate(b2.build(out[0]), x)), x.sum(axis=1))
    assert len(ref) == out.shape[1]


def test_column_sum_constants_only():
    b = AIGBuilder(2)
    out = column_sum(b, np.array([0, 0, 1]), np.array([0, 1, 2]),
                     np.array([CONST1, CONST1, CONST0]), 2, 4, const=np.array([1, -1]))
    assert b.num_ands == 0
    assert _words((out == CONST1).astype(np.int64)).tolist() == [4, 15]


@pytest.mark.parametrize("levels", range(1, 10))
def test_thermometer_to_binary(levels):
    b = AIGBuilder(levels)
    out = thermometer_to_binary(b, b.inputs()[None])
    assert out.shape == (1, max(1, levels.bit_length()))
    x = np.array([[1] * q + [0] * (levels - q) for q in range(levels + 1)], dtype=bool)
    got = _words(simulate(b.build(out[0]), x))
    assert np.array_equal(got, np.arange(levels + 1))
    assert b.num_ands <= 2 * levels  # about one AND per interval and bit
