"""Numba kernels for the inherently sequential sweeps over an AIG in topological order.

Each kernel takes plain arrays (``fanin0``, ``fanin1``, ``num_inputs``) so it can be cached by
numba and reused by every pass. Wrappers with friendly signatures live in ``analysis``,
``simulate`` and ``passes``.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def levels_kernel(f0, f1, num_inputs):
    """Logic level of every node: 0 for constants and inputs, 1 + max(fanins) for ANDs."""
    first = 1 + num_inputs
    lev = np.zeros(first + len(f0), dtype=np.int64)
    for k in range(len(f0)):
        a = lev[f0[k] >> 1]
        b = lev[f1[k] >> 1]
        lev[first + k] = (a if a > b else b) + 1
    return lev


@njit(cache=True)
def reachable_kernel(f0, f1, num_inputs, outputs):
    """Mask of nodes in the transitive fanin of ``outputs``."""
    return _reach(f0, f1, num_inputs, outputs, np.empty(0, dtype=np.int64))


@njit(cache=True)
def _reach(f0, f1, num_inputs, outputs, repl):
    """Mask of the transitive fanin of ``outputs``, through the substitution ``repl`` (a node
    with ``repl[v] >= 0`` reaches its replacement instead of its fanins; empty: none)."""
    first = 1 + num_inputs
    n = first + len(f0)
    mark = np.zeros(n, dtype=np.bool_)
    for o in outputs:
        mark[o >> 1] = True
    for v in range(n - 1, first - 1, -1):
        if mark[v]:
            r = repl[v] if len(repl) > 0 else -1
            if r >= 0 and (r >> 1) != v:
                mark[r >> 1] = True
            else:
                k = v - first
                mark[f0[k] >> 1] = True
                mark[f1[k] >> 1] = True
    return mark


@njit(cache=True)
def fanout_kernel(f0, f1, num_inputs, outputs):
    """Number of references to every node (AND fanins plus primary outputs)."""
    n = 1 + num_inputs + len(f0)
    cnt = np.zeros(n, dtype=np.int64)
    for k in range(len(f0)):
        cnt[f0[k] >> 1] += 1
        cnt[f1[k] >> 1] += 1
    for o in outputs:
        cnt[o >> 1] += 1
    return cnt


@njit(cache=True)
def simulate_kernel(f0, f1, num_inputs, in_words):
    """Bit-parallel simulation: ``in_words`` is (num_inputs, W) uint64; returns (nodes, W)."""
    first = 1 + num_inputs
    w = in_words.shape[1]
    vals = np.empty((first + len(f0), w), dtype=np.uint64)
    ones = np.uint64(0xFFFFFFFFFFFFFFFF)
    zero = np.uint64(0)
    for j in range(w):
        vals[0, j] = zero
    for i in range(num_inputs):
        for j in range(w):
            vals[1 + i, j] = in_words[i, j]
    for k in range(len(f0)):
        a = f0[k]
        b = f1[k]
        ma = ones if (a & 1) else zero
        mb = ones if (b & 1) else zero
        ra = a >> 1
        rb = b >> 1
        v = first + k
        for j in range(w):
            vals[v, j] = (vals[ra, j] ^ ma) & (vals[rb, j] ^ mb)
    return vals


@njit(cache=True)
def _hash(a, b, mask):
    h = (a * np.int64(0x9E3779B1) + b * np.int64(0x85EBCA77)) ^ (a >> 7)
    return h & mask


@njit(cache=True)
def hash_slot(hkey_a, hkey_b, hmask, a, b):
    """Slot of key ``(a, b)`` in an open-addressing table, or the empty slot where it belongs.

    The strash table every pass shares: ``hkey_a`` is -1 in empty slots, probing is linear.
    """
    h = _hash(a, b, hmask)
    while hkey_a[h] != -1 and not (hkey_a[h] == a and hkey_b[h] == b):
        h = (h + 1) & hmask
    return h


@njit(cache=True, inline="always")
def and_fold(a, b):
    """Order an AND's fanin literals (``a >= b``) and fold it: ``(a, b, lit)`` with ``lit`` the
    literal the AND reduces to (constant 0, or ``a`` for ``a & 1`` and ``a & a``), else -1."""
    if a < b:
        a, b = b, a
    if b == 0 or a == (b ^ 1):
        return a, b, 0
    if b == 1 or a == b:
        return a, b, a
    return a, b, -1


def and_fold_py(a: int, b: int) -> tuple[int, int, int]:
    """:func:`and_fold` for plain Python callers (no numba dispatch)."""
    return and_fold.py_func(a, b)


@njit(cache=True, inline="always")
def strash_add(hkey_a, hkey_b, hval, hmask, nf0, nf1, first, cnt, a, b):
    """Node of ``a & b`` (``a > b``) in a structural-hash table, appended as node ``first +
    cnt`` (fanins into ``nf0``/``nf1``) when new; returns ``(node, cnt)``, ``cnt`` advanced
    by a new node."""
    h = hash_slot(hkey_a, hkey_b, hmask, a, b)
    if hkey_a[h] == -1:
        hkey_a[h] = a
        hkey_b[h] = b
        hval[h] = first + cnt
        nf0[cnt] = a
        nf1[cnt] = b
        cnt += 1
    return hval[h], cnt


@njit(cache=True)
def strash_table(m):
    """An empty structural-hash table for ``m`` ANDs: ``(hmask, hkey_a, hkey_b, hval)``."""
    cap = 16
    while cap < 2 * m + 16:
        cap *= 2
    return cap - 1, np.full(cap, -1, dtype=np.int64), np.zeros(cap, dtype=np.int64), \
        np.zeros(cap, dtype=np.int64)


@njit(cache=True)
def map_outputs(outputs, mp):
    """Output literals through ``mp`` (old node -> new literal)."""
    nout = np.empty(len(outputs), dtype=np.int64)
    for i in range(len(outputs)):
        o = outputs[i]
        nout[i] = mp[o >> 1] ^ (o & 1)
    return nout


@njit(cache=True)
def rebuild_kernel(f0, f1, num_inputs, outputs, repl):
    """Re-create the AIG with constant folding, structural hashing and dead-gate removal.

    ``repl[v]`` (a literal in old numbering, or -1) substitutes node ``v`` before rebuilding,
    which is how sweeping passes merge equivalent nodes. Returns the new fanin arrays, the new
    outputs and ``mp``: old node -> new literal (-1 where the node vanished).
    """
    first = 1 + num_inputs
    n = first + len(f0)
    mark = _reach(f0, f1, num_inputs, outputs, repl)
    hmask, hkey_a, hkey_b, hval = strash_table(len(f0))
    nf0 = np.empty(len(f0), dtype=np.int64)
    nf1 = np.empty(len(f0), dtype=np.int64)
    cnt = 0
    mp = np.full(n, -1, dtype=np.int64)
    mp[0] = 0
    for i in range(num_inputs):
        mp[1 + i] = 2 * (1 + i)
    for v in range(first, n):
        if not mark[v]:
            continue
        r = repl[v]
        if r >= 0 and (r >> 1) != v:
            mp[v] = mp[r >> 1] ^ (r & 1)
            continue
        k = v - first
        a, b, folded = and_fold(mp[f0[k] >> 1] ^ (f0[k] & 1), mp[f1[k] >> 1] ^ (f1[k] & 1))
        if folded >= 0:
            mp[v] = folded
        else:  # strash_add written out: calling it here measured 2x slower (cleanup, EPFL)
            h = hash_slot(hkey_a, hkey_b, hmask, a, b)
            if hkey_a[h] == -1:
                hkey_a[h] = a
                hkey_b[h] = b
                hval[h] = first + cnt
                nf0[cnt] = a
                nf1[cnt] = b
                cnt += 1
            mp[v] = 2 * hval[h]
    return nf0[:cnt], nf1[:cnt], map_outputs(outputs, mp), mp


@njit(cache=True)
def compact_kernel(f0, f1, num_inputs, outputs):
    """Drop ANDs that reach no output and renumber (no hashing: structure is kept)."""
    first = 1 + num_inputs
    n = first + len(f0)
    mark = reachable_kernel(f0, f1, num_inputs, outputs)
    mp = np.full(n, -1, dtype=np.int64)
    for v in range(first):
        mp[v] = 2 * v
    nf0 = np.empty(len(f0), dtype=np.int64)
    nf1 = np.empty(len(f0), dtype=np.int64)
    cnt = 0
    for v in range(first, n):
        if mark[v]:
            k = v - first
            nf0[cnt] = mp[f0[k] >> 1] ^ (f0[k] & 1)
            nf1[cnt] = mp[f1[k] >> 1] ^ (f1[k] & 1)
            mp[v] = 2 * (first + cnt)
            cnt += 1
    return nf0[:cnt], nf1[:cnt], map_outputs(outputs, mp), mp
