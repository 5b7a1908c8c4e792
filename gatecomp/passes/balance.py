"""``balance``: rebuild every AND supergate as a minimum-depth tree (ABC ``balance``).

A *supergate* is a maximal multi-input AND: starting at a root AND, follow fanin edges that are
not complemented into AND nodes with exactly one reference; everything else (a complemented edge,
an input, a node with fanout > 1) is a *leaf*. This is ABC's ``Abc_NodeBalanceCone``. Roots are
the outputs' nodes and the leaves of other supergates, so no logic is duplicated.

Each supergate's leaves (already rebuilt, with their new levels) are deduplicated (``x & x =
x``, ``x & ~x = 0``) and combined by repeatedly ANDing the two lowest-level operands. That greedy
(Huffman with ``max(a, b) + 1`` instead of ``a + b``) gives the minimum possible level of the
root for the given leaf levels, so by induction over supergates no node gets deeper and the
depth never increases. A supergate of ``k`` leaves had ``k - 1`` ANDs and gets at most ``k - 1``,
so the AND count never increases either; structural hashing reuses any AND that already exists.

With ``area=True`` (the default; ABC's default ``balance`` does the same through
``Abc_NodeBalancePermute``) the pairing prefers an AND that already exists: among the operands
as shallow as the second-lowest one it picks a partner of the first operand whose AND is in the
hash table, and when several operands tie for the lowest level, any such pair among them (ABC
only tries the first operand). Operands of equal level are interchangeable for the depth, so this
never costs a level. Only literals that already feed an AND are looked up, and each supergate
gets a lookup budget proportional to its size, so the search stays linear.

Everything is one numba sweep over the arrays in topological order. The operands of a supergate
are sorted once by (level, literal); since every new AND is at least as deep as the previous one,
a second FIFO queue of new ANDs keeps the pairing ``O(k)`` after that sort (the two-queue Huffman
construction), so even a supergate with a million leaves is fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..aig import AIG
from ..aig.kernels import (
    compact_kernel,
    fanout_kernel,
    hash_slot,
    reachable_kernel,
    strash_add,
    strash_table,
)
from .base import PassStats, finish, measured

_SMALL = 24  # supergates up to this many leaves are sorted by insertion sort
_PAIR_WINDOW = 16  # area search: operands tried pairwise when several are equally shallowest
_BUDGET = 16  # area search: hash lookups per supergate leaf, keeps huge supergates linear


@dataclass(frozen=True)
class BalanceParams:
    """Options of :func:`balance`.

    Attributes
    ----------
    area:
        Among equally deep candidates for the second operand, prefer one whose AND with the
        first already exists (shares logic; never costs depth). ``False`` is the plain greedy.
    window:
        How many equally deep candidates ``area`` looks at per pairing (bounds the run time on
        supergates with thousands of leaves at one level).
    """

    area: bool = True
    window: int = 64

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ValueError(f"window must be >= 1, got {self.window}")


@njit(cache=True)
def _lookup(hkey_a, hkey_b, hval, hmask, a, b):
    """Node of the existing AND ``a & b`` (``a >= b``) in the hash table, or -1."""
    h = hash_slot(hkey_a, hkey_b, hmask, a, b)
    return -1 if hkey_a[h] == -1 else hval[h]


@njit(cache=True)
def _exists(hkey_a, hkey_b, hval, hmask, x, y):
    """Whether the AND of literals ``x != y`` is already in the hash table."""
    if x > y:
        return _lookup(hkey_a, hkey_b, hval, hmask, x, y) >= 0
    return _lookup(hkey_a, hkey_b, hval, hmask, y, x) >= 0


@njit(cache=True)
def _sort_prefix(keys, n):
    """Sort ``keys[:n]`` in place (insertion sort when small)."""
    if n <= _SMALL:
        for i in range(1, n):
            x = keys[i]
            j = i - 1
            while j >= 0 and keys[j] > x:
                keys[j + 1] = keys[j]
                j -= 1
            keys[j + 1] = x
    else:
        keys[:n] = np.sort(keys[:n])


@njit(cache=True)
def balance_kernel(f0, f1, num_inputs, outputs, area, window):
    """Rebuild every live supergate as a minimum-depth AND tree (see the module docstring).

    Returns the new fanin arrays and outputs (topologically ordered, hashed, possibly with dead
    ANDs left by constant folding) and counters: supergates rebuilt, ANDs reused through the
    ``area`` search, operands merged as duplicates, largest supergate (leaves).

    One function on purpose: split into leaf collection, tree building and area search (per
    supergate calls) it measured 4x slower on EPFL ``square``.
    """
    first = 1 + num_inputs
    m = len(f0)
    n = first + m
    fan = fanout_kernel(f0, f1, num_inputs, outputs)
    live = reachable_kernel(f0, f1, num_inputs, outputs)
    # absorbed: an AND with one reference, and that reference a plain (uncomplemented) AND fanin
    absorbed = np.zeros(n, dtype=np.bool_)
    for k in range(m):
        if (f0[k] & 1) == 0:
            absorbed[f0[k] >> 1] = True
        if (f1[k] & 1) == 0:
            absorbed[f1[k] >> 1] = True
    for v in range(n):
        absorbed[v] = absorbed[v] and v >= first and fan[v] == 1

    # new graph: nodes numbered as we create them, levels per new node, hash table
    hmask, hkey_a, hkey_b, hval = strash_table(m)
    nf0 = np.empty(m, dtype=np.int64)
    nf1 = np.empty(m, dtype=np.int64)
    nlev = np.zeros(n, dtype=np.int64)
    cnt = 0
    mp = np.full(n, -1, dtype=np.int64)
    for v in range(first):
        mp[v] = 2 * v
    # stamp[lit] == root: lit is already a conjunct of root's supergate (dedup, x & ~x)
    stamp = np.full(2 * n, -1, dtype=np.int64)
    stack = np.empty(2 * m + 4, dtype=np.int64)
    keys = np.empty(m + 2, dtype=np.int64)  # queue A: leaves sorted by (level, literal)
    used = np.zeros(2 * n, dtype=np.bool_)  # literal is a fanin of some new AND
    # area search: queue, slot and literal of up to ``window`` candidates from each queue
    cq = np.empty(2 * window, dtype=np.int64)
    ci = np.empty(2 * window, dtype=np.int64)
    cl = np.empty(2 * window, dtype=np.int64)
    qlit = np.empty(m + 2, dtype=np.int64)  # queue B: new ANDs, non-decreasing level
    shift = 1
    while (1 << shift) < 2 * n + 2:
        shift += 1
    lmask = (1 << shift) - 1

    n_super = 0
    n_reused = 0
    n_dups = 0
    max_leaves = 0
    for v in range(first, n):
        if not live[v] or absorbed[v]:
            continue
        k = v - first
        # -- collect the supergate's leaves (as new literals), deduplicated ---------------
        zero = False
        nl = 0
        stack[0] = f0[k]
        stack[1] = f1[k]
        sp = 2
        while sp > 0:
            sp -= 1
            lt = stack[sp]
            u = lt >> 1
            if (lt & 1) == 0 and absorbed[u]:
                stack[sp] = f1[u - first]
                stack[sp + 1] = f0[u - first]
                sp += 2
                continue
            x = mp[u] ^ (lt & 1)
            if x == 1:
                continue
            if x == 0 or stamp[x ^ 1] == v:
                zero = True
                break
            if stamp[x] == v:
                n_dups += 1
                continue
            stamp[x] = v
            keys[nl] = (nlev[x >> 1] << shift) | x
            nl += 1
        if zero:
            mp[v] = 0
            continue
        if nl == 0:
            mp[v] = 1
            continue
        if nl == 1:
            mp[v] = keys[0] & lmask
            continue
        n_super += 1
        if nl > max_leaves:
            max_leaves = nl
        _sort_prefix(keys, nl)
        # -- two-queue greedy: AND the two shallowest operands until one remains ----------
        ia = 0
        ib = 0
        nb = 0
        remaining = nl
        budget = _BUDGET * nl  # hash lookups the area search may spend on this supergate
        while remaining > 1:
            # first operand: the shallowest front (leaves win ties)
            if ib < nb and (ia >= nl or nlev[qlit[ib] >> 1] < (keys[ia] >> shift)):
                x1 = qlit[ib]
                ib += 1
            else:
                x1 = keys[ia] & lmask
                ia += 1
            # second operand: shallowest front, or an equally deep one sharing an AND with x1
            la = (keys[ia] >> shift) if ia < nl else -1
            lb = nlev[qlit[ib] >> 1] if ib < nb else -1
            from_b = ib < nb and (ia >= nl or lb < la)
            if area and budget > 0:
                l2 = lb if from_b else la
                # candidate slots at level l2 (queue 0 = leaves, 1 = new ANDs); only literals
                # that feed some AND already can be in an existing AND
                nc = 0
                j = ia
                while j < nl and j - ia < window and (keys[j] >> shift) == l2:
                    if used[keys[j] & lmask]:
                        cq[nc] = 0
                        ci[nc] = j
                        cl[nc] = keys[j] & lmask
                        nc += 1
                    j += 1
                j = ib
                while j < nb and j - ib < window and nlev[qlit[j] >> 1] == l2:
                    if used[qlit[j]]:
                        cq[nc] = 1
                        ci[nc] = j
                        cl[nc] = qlit[j]
                        nc += 1
                    j += 1
                hit = -1
                if used[x1]:
                    budget -= nc
                    for t in range(nc):
                        if _exists(hkey_a, hkey_b, hval, hmask, x1, cl[t]):
                            hit = t
                            break
                if hit < 0 and nlev[x1 >> 1] == l2:
                    # x1 is one of several shallowest operands: any two of them may pair
                    npair = nc if nc < _PAIR_WINDOW else _PAIR_WINDOW
                    budget -= npair * (npair - 1) // 2
                    for s in range(npair):
                        for t in range(s + 1, npair):
                            if _exists(hkey_a, hkey_b, hval, hmask, cl[s], cl[t]):
                                hit = t
                                break
                        if hit >= 0:
                            # x1 takes slot s (same level), the operand there becomes x1
                            if cq[s] == 0:
                                keys[ci[s]] = (l2 << shift) | x1
                            else:
                                qlit[ci[s]] = x1
                            x1 = cl[s]
                            break
                if hit >= 0:
                    n_reused += 1
                    if cq[hit] == 0:
                        keys[ci[hit]], keys[ia] = keys[ia], keys[ci[hit]]
                        from_b = False
                    else:
                        qlit[ci[hit]], qlit[ib] = qlit[ib], qlit[ci[hit]]
                        from_b = True
            if from_b:
                x2 = qlit[ib]
                ib += 1
            else:
                x2 = keys[ia] & lmask
                ia += 1
            remaining -= 2
            # y = x1 & x2, hashed
            a, b = (x1, x2) if x1 > x2 else (x2, x1)
            u, new_cnt = strash_add(hkey_a, hkey_b, hval, hmask, nf0, nf1, first, cnt, a, b)
            if new_cnt > cnt:
                used[a] = True
                used[b] = True
                la = nlev[a >> 1]
                lb = nlev[b >> 1]
                nlev[first + cnt] = (la if la > lb else lb) + 1
                cnt = new_cnt
            y = 2 * u
            if stamp[y ^ 1] == v:
                zero = True
                break
            if stamp[y] == v and remaining > 0:
                n_dups += 1  # y is already a conjunct: drop the copy
                continue
            stamp[y] = v
            qlit[nb] = y
            nb += 1
            remaining += 1
        if zero:
            mp[v] = 0
        elif ib < nb:
            mp[v] = qlit[ib]
        else:
            mp[v] = keys[ia] & lmask
    nout = np.empty(len(outputs), dtype=np.int64)
    for i in range(len(outputs)):
        o = outputs[i]
        nout[i] = mp[o >> 1] ^ (o & 1)
    counters = np.array([n_super, n_reused, n_dups, max_leaves], dtype=np.int64)
    return nf0[:cnt], nf1[:cnt], nout, counters


def balance(aig: AIG, params: BalanceParams | None = None) -> tuple[AIG, PassStats]:
    """Rebuild every AND supergate as a minimum-depth tree (ABC ``balance``).

    Parameters
    ----------
    aig:
        Any AIG (need not be hashed or cleaned up; constants and dead gates are removed too).
    params:
        :class:`BalanceParams`; ``None`` means the defaults (``area=True``).

    Returns
    -------
    (AIG, PassStats)
        The balanced AIG (same function, depth and AND count never larger) and its stats;
        ``stats.extra`` counts supergates, ANDs reused by the ``area`` search, duplicate
        operands merged, and the largest supergate.
    """
    params = params or BalanceParams()
    with measured("balance", aig) as stats:
        f0, f1, outs, counters = balance_kernel(aig.fanin0, aig.fanin1, aig.num_inputs,
                                                aig.outputs, params.area, params.window)
        # constant folding inside a supergate can orphan operands built before it
        f0, f1, outs, _ = compact_kernel(f0, f1, aig.num_inputs, outs)
        out = AIG(aig.num_inputs, f0, f1, outs, aig.input_names, aig.output_names)
        stats.extra = {"supergates": int(counters[0]), "shared_by_area": int(counters[1]),
                       "duplicate_operands": int(counters[2]),
                       "largest_supergate": int(counters[3])}
    return out, finish(stats, out)
