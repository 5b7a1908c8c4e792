"""64-bit truth-table arithmetic for cuts of up to six leaves (``lutmap``, ``rewrite``).

A cut with leaves ``l0 < l1 < ... < l(s-1)`` has its function stored as one ``uint64``: bit
``m`` is the value under the assignment ``l_j = (m >> j) & 1``. Variables at positions ``>= s``
are vacuous, so the table repeats with period ``2**s``; that keeps AND, complement and the
variable moves below exact on all 64 bits without masking. ``stretch`` moves a fanin cut's
variables to their places among the merged leaves; ``shrink`` drops a vacuous variable.
"""

from __future__ import annotations

import numpy as np
from numba import njit

MAX_TRUTH_VARS = 6
ALL_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)

#: elementary truth tables: VAR_TT[i] is the function "variable i"
VAR_TT = np.array([0xAAAAAAAAAAAAAAAA, 0xCCCCCCCCCCCCCCCC, 0xF0F0F0F0F0F0F0F0,
                   0xFF00FF00FF00FF00, 0xFFFF0000FFFF0000, 0xFFFFFFFF00000000], dtype=np.uint64)


def _swap_masks() -> np.ndarray:
    """``SWAP_MASK[i, j]`` (i < j): rows where variable i is 1 and variable j is 0."""
    masks = np.zeros((MAX_TRUTH_VARS, MAX_TRUTH_VARS), dtype=np.uint64)
    for i in range(MAX_TRUTH_VARS):
        for j in range(i + 1, MAX_TRUTH_VARS):
            masks[i, j] = VAR_TT[i] & ~VAR_TT[j]
    return masks


SWAP_MASK = _swap_masks()


@njit(cache=True, inline="always")
def tt_swap(t, i, j, masks):
    """Exchange variables ``i < j`` of truth table ``t``."""
    shift = np.uint64((1 << j) - (1 << i))
    m = masks[i, j]
    keep = ~(m | (m << shift))
    return (t & keep) | ((t & m) << shift) | ((t >> shift) & m)


@njit(cache=True, inline="always")
def tt_depends(t, i, var_tt):
    """True if ``t`` depends on variable ``i``."""
    sh = np.uint64(1 << i)
    neg = ~var_tt[i]
    return ((t & neg) ^ ((t >> sh) & neg)) != np.uint64(0)


@njit(cache=True, inline="always")
def tt_stretch(t, pos, size, masks):
    """Move variable ``i`` of ``t`` to position ``pos[i]`` (``pos`` increasing, ``pos[i] >= i``)."""
    for i in range(size - 1, -1, -1):
        p = pos[i]
        if p != i:
            t = tt_swap(t, i, p, masks)
    return t


@njit(cache=True, inline="always")
def tt_shrink(t, i, size, masks):
    """Remove vacuous variable ``i`` of a ``size``-variable table (variables above move down)."""
    for j in range(i, size - 1):
        t = tt_swap(t, j, j + 1, masks)
    return t


@njit(cache=True)
def tt_drop_vacuous(t, leaves, size, masks, var_tt):
    """Drop the leaves ``t`` does not depend on from ``t`` and the sorted cut ``leaves[:size]``
    (in place); returns ``(t, size)``."""
    for r in range(size - 1, -1, -1):
        if not tt_depends(t, r, var_tt):
            t = tt_shrink(t, r, size, masks)
            for z in range(r, size - 1):
                leaves[z] = leaves[z + 1]
            size -= 1
    return t, size


@njit(cache=True)
def leaves_subset(small, ns, big, nb):
    """True if the sorted cut ``small[:ns]`` is contained in the sorted cut ``big[:nb]``."""
    j = 0
    for i in range(ns):
        x = small[i]
        while j < nb and big[j] < x:
            j += 1
        if j == nb or big[j] != x:
            return False
        j += 1
    return True


def truth_mask(size: int) -> int:
    """Mask of the ``2**size`` meaningful bits of a ``size``-variable table."""
    return (1 << (1 << size)) - 1
