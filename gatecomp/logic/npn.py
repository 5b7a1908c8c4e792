"""NPN canonical forms of 4-input truth tables (the index of the rewriting library).

A 4-input function is a 16-bit truth table: bit ``m`` is the value under ``x_i = (m >> i) & 1``.
Two functions are NPN-equivalent when one becomes the other by permuting the inputs, negating
some inputs and negating the output: ``4! * 2**4 * 2 = 768`` transforms, which split the 65536
functions into 222 classes. The *canonical form* of a class (its representative) is the smallest
truth table in it.

A transform is written ``(perm, neg, out)``: ``g(y) = out ^ f(x)`` with ``x_i = y[perm[i]] ^
neg_i``. :func:`npn_table` gives, for every ``f``, its representative ``g`` and a transform with
that property, so a structure built for ``g`` implements ``f`` as ``f(x) = out ^ g(y)`` where
``y[perm[i]] = x_i ^ neg_i`` (:func:`instantiation`).
"""

from __future__ import annotations

from functools import lru_cache
from itertools import permutations

import numpy as np
from numba import njit

#: the 24 permutations of 4 variables, in lexicographic order
PERMS = np.array(list(permutations(range(4))), dtype=np.int64)
NUM_CLASSES_4 = 222


def _minterm_maps() -> np.ndarray:
    """``MAP[T, m]``: minterm of ``f`` read for minterm ``m`` of ``g`` under input transform T.

    ``T = 16 * p + neg`` (384 input transforms); ``g(y) = f(x)`` with ``x_i = y[perm[i]] ^
    neg_i``, so ``g``'s bit ``m`` is ``f``'s bit ``MAP[T, m]``.
    """
    maps = np.zeros((384, 16), dtype=np.int64)
    for p, perm in enumerate(PERMS):
        for neg in range(16):
            for m in range(16):
                x = 0
                for i in range(4):
                    bit = ((m >> perm[i]) & 1) ^ ((neg >> i) & 1)
                    x |= bit << i
                maps[16 * p + neg, m] = x
    return maps


MINTERM_MAP = _minterm_maps()


@njit(cache=True)
def apply_transform(tt, maps, t):
    """Truth table ``g`` of input transform ``t`` applied to ``tt`` (see ``_minterm_maps``)."""
    g = 0
    for m in range(16):
        g |= ((tt >> maps[t, m]) & 1) << m
    return g


@njit(cache=True)
def _npn_kernel(maps):
    """Representative and one canonizing transform (index ``2 * T + out``) for every table."""
    rep = np.empty(65536, dtype=np.int64)
    how = np.empty(65536, dtype=np.int64)
    for f in range(65536):
        best = 1 << 20
        arg = -1
        for t in range(384):
            g = apply_transform(f, maps, t)
            if g < best:
                best = g
                arg = 2 * t
            gn = g ^ 0xFFFF
            if gn < best:
                best = gn
                arg = 2 * t + 1
        rep[f] = best
        how[f] = arg
    return rep, how


@lru_cache(maxsize=1)
def npn_table() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Canonical forms of all 65536 functions.

    Returns
    -------
    (reps, class_of, perm, neg, out)
        ``reps``: the 222 representatives, ascending (uint16 values as int64).
        ``class_of[f]``: index of ``f``'s class in ``reps``.
        ``perm[f]`` (shape (65536, 4)), ``neg[f]`` (4-bit mask), ``out[f]`` (0/1): a transform
        with ``reps[class_of[f]](y) = out ^ f(x)``, ``x_i = y[perm[i]] ^ neg_i``.
    """
    rep, how = _npn_kernel(MINTERM_MAP)
    reps = np.unique(rep)
    class_of = np.searchsorted(reps, rep).astype(np.int64)
    t = how >> 1
    perm = PERMS[t >> 4]
    neg = (t & 15).astype(np.int64)
    out = (how & 1).astype(np.int64)
    for arr in (reps, class_of, perm, neg, out):
        arr.setflags(write=False)
    return reps, class_of, perm, neg, out


def npn_canon(tt: int) -> tuple[int, tuple[int, ...], int, int]:
    """``(representative, perm, neg, out)`` of the 4-input truth table ``tt`` (see module doc)."""
    reps, class_of, perm, neg, out = npn_table()
    tt = int(tt) & 0xFFFF
    return (int(reps[class_of[tt]]), tuple(int(p) for p in perm[tt]), int(neg[tt]),
            int(out[tt]))


def transform_truth(tt: int, perm: tuple[int, ...], neg: int, out: int) -> int:
    """``g`` with ``g(y) = out ^ f(x)``, ``x_i = y[perm[i]] ^ neg_i`` (``f`` = ``tt``)."""
    p = next(i for i, q in enumerate(PERMS.tolist()) if tuple(q) == tuple(perm))
    g = int(apply_transform(int(tt), MINTERM_MAP, 16 * p + int(neg)))
    return g ^ 0xFFFF if out else g
