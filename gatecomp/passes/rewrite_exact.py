"""Exact minimum-AND structures for 4-input NPN classes by breadth-first chain enumeration.

A *chain* over inputs ``x0..x3`` is a list of ANDs of two literals (inputs or earlier ANDs, either
polarity). Level ``k`` of the search holds every set of ``k`` AND functions that some chain of
``k`` ANDs computes. A function first appearing at level ``k`` needs exactly ``k`` ANDs, because
every level below was enumerated completely; this is how the library proves minimality.

Three reductions keep the levels small:

* a state is the *set* of its node functions (chains computing the same set have the same
  future), each kept up to complement (``norm``: the polarity whose top bit is 0), with a flag
  saying whether a later AND already uses it;
* states are identified up to the 384 input permutations/negations: only the transforms that
  map the state's smallest node to its NPN representative are tried (``candidates``);
* with a size bound ``K``, a state at level ``k`` with ``d`` unused nodes is dropped when
  ``d - 1 > K - k`` (each AND consumes at most one more dangling node than it creates, and in a
  minimum chain every node but the output is used).

Levels are bounded by a state budget; a level that overflows it is *incomplete*: the functions
found there are still proven minimum (all lower levels were complete), the rest only get the
lower bound. Everything runs in numba; the driver lives in ``rewrite_library``.

Literals inside a chain: 0/1 constants, ``2 + 2*i + c`` input ``i``, ``10 + 2*j + c`` node ``j``.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit

from ..logic.npn import MINTERM_MAP, PERMS, apply_transform, npn_table

VAR4 = np.array([0xAAAA, 0xCCCC, 0xF0F0, 0xFF00], dtype=np.int64)
_NODE0 = 10  # literal of chain node 0


@njit(cache=True, inline="always")
def _norm(t):
    return t ^ 0xFFFF if t & 0x8000 else t


@njit(cache=True)
def _tables(maps):
    """``XT[T, f]`` for the 384 input transforms, NPN norm per table, canonizing transforms."""
    xt = np.empty((384, 65536), dtype=np.uint16)
    for t in range(384):
        for f in range(65536):
            xt[t, f] = apply_transform(f, maps, t)
    canon = np.full(65536, 0xFFFF, dtype=np.int64)
    for t in range(384):
        for f in range(65536):
            g = _norm(np.int64(xt[t, f]))
            if g < canon[f]:
                canon[f] = g
    count = np.zeros(65537, dtype=np.int64)
    for t in range(384):
        for f in range(65536):
            if _norm(np.int64(xt[t, f])) == canon[f]:
                count[f + 1] += 1
    start = np.cumsum(count)
    cand = np.empty(start[-1], dtype=np.int64)
    fill = start[:-1].copy()
    for t in range(384):
        for f in range(65536):
            if _norm(np.int64(xt[t, f])) == canon[f]:
                cand[fill[f]] = t
                fill[f] += 1
    return xt, canon, start, cand


@njit(cache=True)
def _hash_key(codes, n):
    h = np.uint64(1469598103934665603)
    for i in range(n):
        h = (h ^ np.uint64(codes[i])) * np.uint64(1099511628211)
    return h


@njit(cache=True)
def _expand_level(k, s_tt, s_used, s_fa, s_fb, xt, canon, cstart, cand, perms, kmax,
                  max_states, class_idx, best_size, best_nodes, best_root_tt):
    """All canonical successor states of level ``k`` (arrays ``s_*`` of shape (S, k)).

    Records, for classes seen for the first time, the chain cone of the new node in
    ``best_nodes[c]`` (rows ``(fa, fb)`` in topological order) and its function in
    ``best_root_tt[c]``. Returns the next level's arrays and ``complete`` (no overflow).
    """
    n_states = s_tt.shape[0]
    m = k + 1
    cap = 16
    while cap < 2 * max_states:
        cap *= 2
    table = np.full(cap, -1, dtype=np.int64)
    hmask = np.uint64(cap - 1)
    n_tt = np.zeros((max_states, m), dtype=np.uint16)
    n_used = np.zeros((max_states, m), dtype=np.uint8)
    n_fa = np.zeros((max_states, m), dtype=np.uint8)
    n_fb = np.zeros((max_states, m), dtype=np.uint8)
    n_codes = np.zeros((max_states, m), dtype=np.int64)
    count = 0
    complete = True
    sig_tt = np.zeros(4 + m, dtype=np.int64)
    sig_lit = np.zeros(4 + m, dtype=np.int64)
    t_tt = np.zeros(m, dtype=np.int64)
    t_used = np.zeros(m, dtype=np.int64)
    t_fa = np.zeros(m, dtype=np.int64)
    t_fb = np.zeros(m, dtype=np.int64)
    keys = np.zeros(m, dtype=np.int64)
    order = np.zeros(m, dtype=np.int64)
    best = np.zeros(m, dtype=np.int64)
    best_order = np.zeros(m, dtype=np.int64)
    newpos = np.zeros(m, dtype=np.int64)
    mark = np.zeros(m, dtype=np.int64)
    stack = np.zeros(4 * m + 4, dtype=np.int64)
    post = np.zeros(m, dtype=np.int64)
    var_norm = np.array([0x5555, 0x3333, 0x0F0F, 0x00FF], dtype=np.int64)
    for s in range(n_states):
        if not complete:
            break
        for i in range(4):
            sig_tt[i] = VAR4[i]
            sig_lit[i] = 2 + 2 * i
        for j in range(k):
            sig_tt[4 + j] = s_tt[s, j]
            sig_lit[4 + j] = _NODE0 + 2 * j
        nsig = 4 + k
        for a in range(nsig):
            for b in range(a + 1, nsig):
                for pol in range(4):
                    ta = sig_tt[a] ^ (0xFFFF if pol & 1 else 0)
                    tb = sig_tt[b] ^ (0xFFFF if pol & 2 else 0)
                    t = ta & tb
                    nt = _norm(t)
                    if nt == 0:
                        continue
                    dup = False
                    for i in range(4):
                        if var_norm[i] == nt:
                            dup = True
                    for j in range(k):
                        if _norm(np.int64(s_tt[s, j])) == nt:
                            dup = True
                    if dup:
                        continue
                    # the successor, unnormalized
                    dangling = 1
                    for j in range(k):
                        t_tt[j] = s_tt[s, j]
                        u = s_used[s, j]
                        if a == 4 + j or b == 4 + j:
                            u = 1
                        t_used[j] = u
                        t_fa[j] = s_fa[s, j]
                        t_fb[j] = s_fb[s, j]
                        if u == 0:
                            dangling += 1
                    if dangling - 1 > kmax - m:
                        continue
                    t_tt[k] = t
                    t_used[k] = 0
                    t_fa[k] = sig_lit[a] | (pol & 1)
                    t_fb[k] = sig_lit[b] | ((pol >> 1) & 1)
                    c = class_idx[canon[t]]
                    if best_size[c] < 0:
                        _record(c, m, t_fa, t_fb, mark, stack, post, best_size, best_nodes)
                        best_root_tt[c] = t
                    if m == kmax:
                        continue  # the last level is only searched, never expanded
                    # canonical form: try the transforms that minimize the smallest node
                    cmin = 1 << 40
                    for j in range(m):
                        code = 2 * canon[t_tt[j]] + t_used[j]
                        if code < cmin:
                            cmin = code
                    have = False
                    besttr = 0
                    for j in range(m):
                        if 2 * canon[t_tt[j]] + t_used[j] != cmin:
                            continue
                        f = t_tt[j]
                        for q in range(cstart[f], cstart[f + 1]):
                            tr = cand[q]
                            for i in range(m):
                                keys[i] = 2 * _norm(np.int64(xt[tr, t_tt[i]])) + t_used[i]
                                order[i] = i
                            for i in range(1, m):
                                x = order[i]
                                y = i - 1
                                while y >= 0 and keys[order[y]] > keys[x]:
                                    order[y + 1] = order[y]
                                    y -= 1
                                order[y + 1] = x
                            better = not have
                            if have:
                                for i in range(m):
                                    if keys[order[i]] != best[i]:
                                        better = keys[order[i]] < best[i]
                                        break
                            if better:
                                have = True
                                besttr = tr
                                for i in range(m):
                                    best[i] = keys[order[i]]
                                    best_order[i] = order[i]
                    # look up / insert
                    h = _hash_key(best, m) & hmask
                    found = False
                    while table[h] >= 0:
                        e = table[h]
                        same = True
                        for i in range(m):
                            if n_codes[e, i] != best[i]:
                                same = False
                                break
                        if same:
                            found = True
                            break
                        h = (h + np.uint64(1)) & hmask
                    if found:
                        continue
                    if count >= max_states:
                        complete = False
                        break
                    table[h] = count
                    perm = perms[besttr >> 4]
                    negm = besttr & 15
                    for i in range(m):
                        newpos[best_order[i]] = i
                    for i in range(m):
                        j = best_order[i]
                        n_tt[count, i] = xt[besttr, t_tt[j]]
                        n_used[count, i] = t_used[j]
                        n_codes[count, i] = best[i]
                        n_fa[count, i] = _remap(t_fa[j], perm, negm, newpos)
                        n_fb[count, i] = _remap(t_fb[j], perm, negm, newpos)
                    count += 1
                if not complete:
                    break
            if not complete:
                break
    return n_tt[:count], n_used[:count], n_fa[:count], n_fb[:count], complete



@njit(cache=True, inline="always")
def _remap(lit, perm, negm, newpos):
    if lit < _NODE0:
        i = (lit - 2) >> 1
        return 2 + 2 * perm[i] + ((lit & 1) ^ ((negm >> i) & 1))
    j = (lit - _NODE0) >> 1
    return _NODE0 + 2 * newpos[j] + (lit & 1)


@njit(cache=True)
def _record(c, m, t_fa, t_fb, mark, stack, post, best_size, best_nodes):
    """Store the cone of chain node ``m - 1`` as a topologically ordered structure."""
    for i in range(m):
        mark[i] = -1
    npost = 0
    sp = 0
    stack[sp] = m - 1
    sp += 1
    while sp > 0:
        v = stack[sp - 1]
        if v >= 0:
            if mark[v] != -1:
                sp -= 1
                continue
            mark[v] = -2
            stack[sp - 1] = -1 - v
            for lit in (t_fa[v], t_fb[v]):
                if lit >= _NODE0:
                    u = (lit - _NODE0) >> 1
                    if mark[u] == -1:
                        stack[sp] = u
                        sp += 1
        else:
            v = -1 - v
            sp -= 1
            mark[v] = npost
            post[npost] = v
            npost += 1
    best_size[c] = npost
    for i in range(npost):
        v = post[i]
        for side in range(2):
            lit = t_fa[v] if side == 0 else t_fb[v]
            if lit >= _NODE0:
                lit = _NODE0 + 2 * mark[(lit - _NODE0) >> 1] + (lit & 1)
            best_nodes[c, i, side] = lit


def exact_search(kmax: int = 7, max_states: int = 4_000_000, time_budget: float = 600.0,
                 log=None) -> dict:
    """Breadth-first search for minimum chains of every 4-input NPN class (see module doc).

    Returns a dict with ``size`` (per class, -1 where not found), ``nodes`` ((222, kmax, 2)
    chain rows), ``root_tt`` (function of the found chain's output, an NPN member of the class),
    ``lower`` (proven lower bound per class) and ``levels`` (states per level, completeness).
    """
    reps, _, _, _, _ = npn_table()
    xt, canon, cstart, cand = _tables(MINTERM_MAP)
    class_idx = np.full(65536, -1, dtype=np.int64)
    class_idx[reps] = np.arange(len(reps))
    ncls = len(reps)
    best_size = np.full(ncls, -1, dtype=np.int64)
    best_nodes = np.zeros((ncls, max(kmax, 1), 2), dtype=np.int64)
    best_root_tt = np.zeros(ncls, dtype=np.int64)
    # level 0: constants and single literals need no AND
    for f in (0, 0x5555):
        best_size[class_idx[canon[f]]] = 0
    state = (np.zeros((1, 0), np.uint16), np.zeros((1, 0), np.uint8),
             np.zeros((1, 0), np.uint8), np.zeros((1, 0), np.uint8))
    levels = []
    complete_through = 0
    start = time.perf_counter()
    for k in range(kmax):
        if time.perf_counter() - start > time_budget:
            break
        *state, complete = _expand_level(k, *state, xt, canon, cstart, cand, PERMS, kmax,
                                         max_states, class_idx, best_size, best_nodes,
                                         best_root_tt)
        levels.append((k + 1, len(state[0]), bool(complete)))
        if log:
            log(f"level {k + 1}: {len(state[0])} states, complete={complete}, "
                f"{int((best_size >= 0).sum())} classes found, "
                f"{time.perf_counter() - start:.1f} s")
        if not complete:
            break
        complete_through = k + 1
    lower = np.where(best_size >= 0, best_size, complete_through + 1)
    return {"size": best_size, "nodes": best_nodes, "root_tt": best_root_tt, "lower": lower,
            "levels": levels}
