"""Absorbing LUTs into their readers: the area step that cut-based recovery cannot take.

After the mapping rounds, a LUT ``v`` whose every reader ``f`` still has room for ``v``'s
leaves (``|leaves(f) - {v} + leaves(v)| <= k``) is dropped and its function is substituted into
each reader's table. Exact-area recovery misses these: it re-chooses one node's cut at a time,
and while ``v`` has two readers neither switch alone frees ``v``. The typical case is a full
adder whose third input is a two-input gate: sum and carry are both 4-input functions of the
other two inputs and the gate's inputs, so the gate costs nothing (a DLGN's last layer feeding
its popcounts). A reader's new leaves are those of a valid cut (``v``'s cone ends at its
leaves), arrivals only fall, so depth and the required times of the depth-bounded rounds hold.

One pass visits the LUTs in topological order; a LUT's readers are all later, and an earlier
absorption only adds leaves below the LUT it removes, so the reader lists read at the start of
the pass stay exact for every LUT still to be visited.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..logic.truth_tables import ALL_ONES, SWAP_MASK, VAR_TT, tt_depends, tt_shrink


@njit(cache=True)
def _eval_tt(t, size, words):
    """The ``size``-input table ``t`` applied to the bit-parallel ``words`` (64 assignments)."""
    res = np.uint64(0)
    for m in range(1 << size):
        if (t >> np.uint64(m)) & np.uint64(1):
            term = ALL_ONES
            for j in range(size):
                term &= words[j] if (m >> j) & 1 else ~words[j]
            res |= term
    return res


@njit(cache=True)
def _readers(first, n, bl, bs, refs):
    """CSR lists of the mapped LUTs reading each node."""
    count = np.zeros(n + 1, dtype=np.int64)
    for f in range(first, n):
        if refs[f] > 0:
            for i in range(bs[f]):
                count[bl[f, i] + 1] += 1
    start = np.cumsum(count)
    fill = start[:-1].copy()
    lst = np.empty(start[-1], dtype=np.int64)
    for f in range(first, n):
        if refs[f] > 0:
            for i in range(bs[f]):
                u = bl[f, i]
                lst[fill[u]] = f
                fill[u] += 1
    return start, lst


@njit(cache=True)
def _merged(f, v, bl, bs, out):
    """Sorted ``leaves(f) - {v} + leaves(v)`` into ``out``; returns its size."""
    size = 0
    for src in (f, v):
        for i in range(bs[src]):
            u = bl[src, i]
            if u == v:
                continue
            seen = False
            for j in range(size):
                if out[j] == u:
                    seen = True
                    break
            if not seen:
                out[size] = u
                size += 1
    out[:size].sort()
    return size


@njit(cache=True)
def absorb_pass(num_inputs, outputs, bl, bs, bt, refs, k):
    """One topological pass of absorption over the cover marked by ``refs``; returns how many
    LUTs were absorbed. ``bl``/``bs``/``bt`` (best leaves, sizes, truths) are rewritten in
    place; ``refs`` must be recomputed (``mark_mapping``) afterwards."""
    first = 1 + num_inputs
    n = len(bs)
    is_out = np.zeros(n, dtype=np.bool_)
    for o in outputs:
        is_out[o >> 1] = True
    start, lst = _readers(first, n, bl, bs, refs)
    alive = refs > 0
    leaves = np.empty(2 * k, dtype=np.int64)
    words = np.empty(k, dtype=np.uint64)
    inner = np.empty(k, dtype=np.uint64)
    absorbed = 0
    for v in range(first, n):
        if not alive[v] or is_out[v] or start[v] == start[v + 1]:
            continue
        fits = True
        for r in range(start[v], start[v + 1]):
            if _merged(lst[r], v, bl, bs, leaves) > k:
                fits = False
                break
        if not fits:
            continue
        for r in range(start[v], start[v + 1]):
            f = lst[r]
            size = _merged(f, v, bl, bs, leaves)
            for j in range(bs[v]):  # v's leaves as variables of the merged cut
                for p in range(size):
                    if leaves[p] == bl[v, j]:
                        inner[j] = VAR_TT[p]
            value_v = _eval_tt(bt[v], bs[v], inner)
            for j in range(bs[f]):
                u = bl[f, j]
                if u == v:
                    words[j] = value_v
                else:
                    for p in range(size):
                        if leaves[p] == u:
                            words[j] = VAR_TT[p]
            t = _eval_tt(bt[f], bs[f], words)
            for p in range(size - 1, -1, -1):  # drop leaves the new function ignores
                if not tt_depends(t, p, VAR_TT):
                    t = tt_shrink(t, p, size, SWAP_MASK)
                    for q in range(p, size - 1):
                        leaves[q] = leaves[q + 1]
                    size -= 1
            bl[f, :] = -1
            bl[f, :size] = leaves[:size]
            bs[f] = size
            bt[f] = t
        alive[v] = False
        absorbed += 1
    return absorbed


@njit(cache=True)
def update_arrivals(num_inputs, bl, bs, refs, arrival):
    """LUT depth of every mapped node after absorption (topological order)."""
    first = 1 + num_inputs
    for v in range(first, len(bs)):
        if refs[v] > 0:
            a = 0
            for i in range(bs[v]):
                if arrival[bl[v, i]] > a:
                    a = arrival[bl[v, i]]
            arrival[v] = a + 1
