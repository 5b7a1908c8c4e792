"""factor: ISOP covers equal their function; factored structures compute it; known sizes."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.logic.factor import (
    factor_truth,
    isop,
    num_words,
    struct_truth,
    trivial_literal,
    var_table,
    workspace,
)

ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


def _random_function(rng: np.random.Generator, nv: int) -> np.ndarray:
    """A random function: a few random cubes (sometimes complemented), or random bits."""
    nw = num_words(nv)
    if rng.integers(4) == 0:
        tt = rng.integers(0, 2**63, nw, dtype=np.int64).astype(np.uint64)
        if nv < 6:  # fill the word periodically, as the layout requires
            bits = int(tt[0]) & ((1 << (1 << nv)) - 1)
            w = 0
            for rep in range(64 >> nv):
                w |= bits << (rep << nv)
            tt = np.array([w], dtype=np.uint64)
        return tt
    tt = np.zeros(nw, dtype=np.uint64)
    for _ in range(int(rng.integers(1, 7))):
        cube = np.full(nw, ALL)
        for v in rng.choice(nv, int(rng.integers(1, nv + 1)), replace=False):
            t = var_table(int(v), nw)
            cube &= t if rng.integers(2) else ~t
        tt |= cube
    return ~tt if rng.integers(2) else tt


def _cover_table(cubes: np.ndarray, nv: int) -> np.ndarray:
    nw = num_words(nv)
    out = np.zeros(nw, dtype=np.uint64)
    for c in cubes:
        t = np.full(nw, ALL)
        for v in range(nv):
            if (c >> (2 * v)) & 1:
                t &= ~var_table(v, nw)
            if (c >> (2 * v + 1)) & 1:
                t &= var_table(v, nw)
        out |= t
    return out


@pytest.mark.parametrize("nv", range(1, 11))
def test_isop_cover_and_structure_compute_the_function(nv):
    rng = np.random.default_rng(nv)
    ws = workspace(10, 1024)
    fan = np.zeros((1024, 2), dtype=np.int64)
    gn = np.zeros(2, dtype=np.int64)
    for _ in range(40):
        tt = _random_function(rng, nv)
        n = isop(tt, nv, ws, ws[9])
        if n >= 0:
            assert np.array_equal(_cover_table(ws[9][:n], nv), tt)
        root = factor_truth(tt, nv, fan, gn, ws)
        if root < 0:
            assert n < 0  # only covers too large to factor are refused
            continue
        assert np.array_equal(struct_truth(fan, gn[0], root, nv), tt)


def test_known_sizes():
    ws = workspace(10, 1024)
    fan = np.zeros((256, 2), dtype=np.int64)
    gn = np.zeros(2, dtype=np.int64)
    nw = num_words(8)
    x = [var_table(i, nw) for i in range(8)]
    # x0 x1 + x0 x2 + x0 x3: three cubes, factored as x0 (x1 + x2 + x3): 3 ANDs
    f = (x[0] & x[1]) | (x[0] & x[2]) | (x[0] & x[3])
    assert isop(f, 8, ws, ws[9]) == 3
    root = factor_truth(f, 8, fan, gn, ws)
    assert gn[0] == 3 and np.array_equal(struct_truth(fan, gn[0], root, 8), f)
    # (x0 + x1)(x2 + x3)(x4 + x5): 8 cubes, factored back to 5 ANDs
    g = (x[0] | x[1]) & (x[2] | x[3]) & (x[4] | x[5])
    assert isop(g, 8, ws, ws[9]) == 8
    root = factor_truth(g, 8, fan, gn, ws)
    assert gn[0] == 5 and np.array_equal(struct_truth(fan, gn[0], root, 8), g)
    # parity of 7 variables needs 64 cubes in either polarity: refused by a 32-cube workspace
    p = x[0] ^ x[1] ^ x[2] ^ x[3] ^ x[4] ^ x[5] ^ x[6]
    assert isop(p, 8, ws, ws[9]) == 64
    assert factor_truth(p, 8, fan, gn, workspace(8, 32)) == -1


def test_trivial_literal():
    nw = num_words(7)
    assert trivial_literal(np.zeros(nw, dtype=np.uint64), 7) == 0
    assert trivial_literal(np.full(nw, ALL), 7) == 1
    assert trivial_literal(var_table(6, nw), 7) == 2 + 2 * 6
    assert trivial_literal(~var_table(3, nw), 7) == 3 + 2 * 3
    assert trivial_literal(var_table(3, nw) & var_table(6, nw), 7) == -1
