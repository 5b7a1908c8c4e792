"""``ge_const``: a bit vector against a constant, exhaustively, and its size."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import CONST0, CONST1, AIGBuilder, simulate
from gatecomp.synth.arith import ge_const


@pytest.mark.parametrize("width", [1, 2, 3, 5])
def test_ge_const_exhaustive_every_threshold(width):
    thresholds = np.arange(-2, (1 << width) + 3)
    b = AIGBuilder(width)
    x = b.inputs()
    out = ge_const(b, np.tile(x, (len(thresholds), 1)), thresholds)
    aig = b.build(out)
    v = np.arange(1 << width)
    bits = ((v[:, None] >> np.arange(width)) & 1).astype(bool)
    got = simulate(aig, bits)
    assert np.array_equal(got, v[:, None] >= thresholds[None, :])


def test_ge_const_single_and_constants():
    b = AIGBuilder(4)
    x = b.inputs()
    assert ge_const(b, x, 0) == CONST1
    assert ge_const(b, x, -5) == CONST1
    assert ge_const(b, x, 16) == CONST0
    lit = ge_const(b, x, 11)
    aig = b.build([lit])
    v = np.arange(16)
    assert np.array_equal(simulate(aig, ((v[:, None] >> np.arange(4)) & 1).astype(bool))[:, 0],
                          v >= 11)


def test_ge_const_is_small():
    """At most one gate per bit above the threshold's lowest set bit: not a generic comparator."""
    for t in range(1, 256):
        b = AIGBuilder(8)
        ge_const(b, b.inputs(), t)
        assert b.build([]).num_ands <= 8 - (t & -t).bit_length() + 1
