"""Editing an AIG in place during one sweep: what ``rewrite``, ``refactor`` and ``resub`` share.

The DAG-aware passes (Mishchenko et al., DAC 2006 and the ABC commands ``rw``, ``rf``, ``rs``)
visit the AND nodes in topological order and replace a node by a cheaper structure when the nodes
that die with it (its maximum fanout-free cone, MFFC) outnumber the nodes the structure adds. This
module owns the mutable graph they edit and every operation on it, as numba functions over one
state tuple ``g`` (:func:`edit_start`):

``(F0, F1, rep, ref, lev, req, hk_a, hk_b, hv, trav, stack, meta)``

* ``F0``/``F1``: fanin literals, with room to append new nodes after the original ones;
* ``rep[v]``: the literal that replaced ``v`` (-1: none). Replacements are resolved lazily
  (:func:`resolve`), so no fanout lists are needed; a fanin may therefore point to a node
  appended later, and :func:`edit_finish` restores the topological order at the end;
* ``ref``: reference counts (AND fanins and outputs); a node with ``ref == 0`` is dead;
* ``lev``: levels (updated as nodes are visited or built); ``req``: required levels of the input
  graph (the depth bound when levels are preserved);
* ``hk_a``/``hk_b``/``hv``: the structural-hash table (``kernels.hash_slot``) of live ANDs;
* ``trav``/``stack``: traversal stamps (the MFFC of the current node) and a DFS stack;
* ``meta``: ``[first, n, cap, hmask, top, tid, preserve]`` (first AND, original node count,
  capacity, hash mask, next free node, current stamp, level preservation flag).

Candidate structures are small AIGs in *local literals*: 0/1 the constants, ``2 + 2*i (+1)`` leaf
``i``, ``node0 + 2*k (+1)`` the structure's AND ``k`` (``node0 = 2 + 2*leaves``; ANDs in
topological order). :func:`count_struct` prices one (existing live nodes outside the MFFC are
free, as in ABC's ``Dec_GraphToNetworkCount``) and :func:`build_struct` creates it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..aig import AIG
from ..aig.kernels import and_fold, compact_kernel, hash_slot, levels_kernel, rebuild_kernel

# indices of meta
_FIRST, _N, _CAP, _HMASK, _TOP, _TID, _PRESERVE = 0, 1, 2, 3, 4, 5, 6
BIG_LEVEL = 1 << 40


@njit(cache=True)
def edit_start(f0, f1, num_inputs, outputs, extra, preserve):
    """The editing state of a (clean, topologically ordered) AIG with room for ``extra`` nodes."""
    first = 1 + num_inputs
    m = len(f0)
    n = first + m
    cap = n + extra
    F0 = np.zeros(cap, dtype=np.int64)
    F1 = np.zeros(cap, dtype=np.int64)
    F0[first:n] = f0
    F1[first:n] = f1
    rep = np.full(cap, -1, dtype=np.int64)
    ref = np.zeros(cap, dtype=np.int64)
    for k in range(m):
        ref[f0[k] >> 1] += 1
        ref[f1[k] >> 1] += 1
    for o in outputs:
        ref[o >> 1] += 1
    lev = np.zeros(cap, dtype=np.int64)
    lev[:n] = levels_kernel(f0, f1, num_inputs)
    req = np.full(cap, BIG_LEVEL, dtype=np.int64)
    if preserve:
        d = 0
        for o in outputs:
            if lev[o >> 1] > d:
                d = lev[o >> 1]
        for o in outputs:
            req[o >> 1] = d
        for v in range(n - 1, first - 1, -1):
            r = req[v] - 1
            for side in range(2):
                u = (f0[v - first] if side == 0 else f1[v - first]) >> 1
                if r < req[u]:
                    req[u] = r
    hsize = 16
    while hsize < 2 * cap:
        hsize *= 2
    hk_a = np.full(hsize, -1, dtype=np.int64)
    hk_b = np.zeros(hsize, dtype=np.int64)
    hv = np.zeros(hsize, dtype=np.int64)
    trav = np.zeros(cap, dtype=np.int64)
    stack = np.zeros(cap + 8, dtype=np.int64)
    meta = np.array([first, n, cap, hsize - 1, n, 0, 1 if preserve else 0], dtype=np.int64)
    g = (F0, F1, rep, ref, lev, req, hk_a, hk_b, hv, trav, stack, meta)
    for v in range(first, n):
        insert(g, F0[v], F1[v], v)
    return g


@njit(cache=True, inline="always")
def resolve(lit, rep):
    """``lit`` with every replacement applied."""
    while rep[lit >> 1] >= 0:
        lit = rep[lit >> 1] ^ (lit & 1)
    return lit


@njit(cache=True)
def lev_bound(g, x, v):
    """Level bound of node ``x`` while visiting ``v``: unvisited original nodes use their
    required level (an upper bound when levels are preserved), everything else its level."""
    lev, req, meta = g[4], g[5], g[11]
    if x <= v or x >= meta[_N] or meta[_PRESERVE] == 0:
        return lev[x]
    return req[x]


@njit(cache=True)
def lookup(g, a, b):
    """Live node computing ``a & b`` (``a > b``), or -1."""
    F0, F1, ref, hk_a, hk_b, hv, meta = g[0], g[1], g[3], g[6], g[7], g[8], g[11]
    h = hash_slot(hk_a, hk_b, meta[_HMASK], a, b)
    if hk_a[h] == -1:
        return -1
    u = hv[h]
    return u if ref[u] > 0 and F0[u] == a and F1[u] == b else -1


@njit(cache=True)
def insert(g, a, b, v):
    """Enter ``v = a & b`` in the hash table (a dead entry for the same key is overwritten)."""
    F0, F1, ref, hk_a, hk_b, hv, meta = g[0], g[1], g[3], g[6], g[7], g[8], g[11]
    h = hash_slot(hk_a, hk_b, meta[_HMASK], a, b)
    if hk_a[h] != -1:
        u = hv[h]
        if not (ref[u] > 0 and F0[u] == a and F1[u] == b):
            hv[h] = v
        return
    hk_a[h] = a
    hk_b[h] = b
    hv[h] = v


@njit(cache=True)
def _deref(g, v, tid):
    """Dereference ``v``'s cone; nodes reaching 0 are counted and stamped ``tid``."""
    g[9][v] = tid
    return _adjust_refs(g, v, -1, tid)


@njit(cache=True)
def _adjust_refs(g, v, delta, tid=-1):
    """Add ``delta`` (+1 or -1) to the references ``v``'s fanins hold, through the cone.

    With -1 it dereferences ``v``'s cone (fanins whose count reaches 0 are followed; with
    ``tid >= 0`` they are stamped ``tid``: see :func:`_deref`); with +1 it undoes that (fanins
    whose count comes back to 1 are followed). Returns the nodes followed, ``v`` included.
    """
    F0, F1, rep, ref, trav, stack, meta = g[0], g[1], g[2], g[3], g[9], g[10], g[11]
    first = meta[_FIRST]
    follow = 1 if delta > 0 else 0
    count = 1
    sp = 0
    stack[sp] = v
    sp += 1
    while sp > 0:
        sp -= 1
        x = stack[sp]
        for side in range(2):
            y = resolve(F0[x] if side == 0 else F1[x], rep) >> 1
            ref[y] += delta
            if ref[y] == follow and y >= first:
                count += 1
                if tid >= 0:
                    trav[y] = tid
                stack[sp] = y
                sp += 1
    return count


@njit(cache=True)
def mffc_mark(g, v, leaves, nleaves):
    """Size of ``v``'s MFFC bounded by the cut ``leaves[:nleaves]`` (nodes); its members get
    a fresh stamp (``trav[x] == meta[5]``) and are the nodes that die when ``v`` is replaced."""
    ref, meta = g[3], g[11]
    for i in range(nleaves):
        ref[leaves[i]] += 1
    meta[_TID] += 1
    saved = _deref(g, v, meta[_TID])
    _adjust_refs(g, v, 1)
    for i in range(nleaves):
        ref[leaves[i]] -= 1
    return saved


@njit(cache=True)
def in_mffc(g, x):
    """Whether ``x`` carries the stamp of the last :func:`mffc_mark`."""
    return g[9][x] == g[11][_TID]


@njit(cache=True)
def replace(g, v, lit):
    """Redirect every reference of ``v`` to ``lit`` and dereference ``v``'s cone."""
    rep, ref = g[2], g[3]
    rep[v] = lit
    ref[lit >> 1] += ref[v]
    ref[v] = 0
    _adjust_refs(g, v, -1)


@njit(cache=True)
def visit(g, v):
    """Prepare ``v`` for optimization: resolve its fanins, merge it away when it became trivial
    or a structural duplicate, else compute its level. Returns 0 (dead), 1 (merged) or 2 (live
    and ready)."""
    F0, F1, rep, ref, lev = g[0], g[1], g[2], g[3], g[4]
    if ref[v] == 0:
        return 0
    a, b, target = and_fold(resolve(F0[v], rep), resolve(F1[v], rep))
    F0[v] = a
    F1[v] = b
    if target < 0:
        u = lookup(g, a, b)
        if u >= 0 and u != v:
            target = 2 * u
        else:
            insert(g, a, b, v)
    if target >= 0:
        replace(g, v, target)
        return 1
    la = lev_bound(g, a >> 1, v)
    lb = lev_bound(g, b >> 1, v)
    lev[v] = (la if la > lb else lb) + 1
    return 2


@njit(cache=True)
def count_struct(g, v, loc, loclev, fan, nst, node0, limit):
    """Price a structure for ``v`` (module docstring); returns the ANDs it adds, or -1 when it
    would add more than ``limit`` or reproduce ``v`` itself.

    ``loc``/``loclev`` hold the leaves' literals (``loc[2 + 2*i]``, ``loc[3 + 2*i]``) and level
    bounds (``loclev[1 + i]``); on return they also hold, per structure node, the existing
    literal (-1 where it must be created) and its level, so the root's level is
    ``loclev[root >> 1]``. A node existing inside the MFFC counts as added, since it would die.
    """
    added = 0
    half = node0 // 2
    for k in range(nst):
        xa = fan[k, 0]
        xb = fan[k, 1]
        ga = loc[xa]
        gb = loc[xb]
        lvl = loclev[xa >> 1]
        if loclev[xb >> 1] > lvl:
            lvl = loclev[xb >> 1]
        lvl += 1
        res = -1
        if ga >= 0 and gb >= 0:
            ga, gb, res = and_fold(ga, gb)
            if res == 0:
                lvl = 0
            elif res > 0:
                lvl = lev_bound(g, ga >> 1, v)
            else:
                u = lookup(g, ga, gb)
                if u >= 0:
                    if u == v:
                        return -1
                    res = 2 * u
                    if in_mffc(g, u):
                        added += 1
                    else:
                        lvl = lev_bound(g, u, v)
                else:
                    added += 1
        else:
            added += 1
        if added > limit:
            return -1
        loc[node0 + 2 * k] = res
        loc[node0 + 2 * k + 1] = res ^ 1 if res >= 0 else -1
        loclev[half + k] = lvl
    return added


@njit(cache=True)
def room(g, nodes):
    """Whether ``nodes`` more ANDs fit."""
    meta = g[11]
    return meta[_TOP] + nodes <= meta[_CAP]


@njit(cache=True)
def add_and(g, v, a, b):
    """Literal of ``a & b``: folded, an existing live node, or a new node (check :func:`room`)."""
    F0, F1, ref, lev, meta = g[0], g[1], g[3], g[4], g[11]
    a, b, folded = and_fold(a, b)
    if folded >= 0:
        return folded
    u = lookup(g, a, b)
    if u < 0:
        u = meta[_TOP]
        meta[_TOP] += 1
        F0[u] = a
        F1[u] = b
        ref[a >> 1] += 1
        ref[b >> 1] += 1
        l1 = lev_bound(g, a >> 1, v)
        l2 = lev_bound(g, b >> 1, v)
        lev[u] = (l1 if l1 > l2 else l2) + 1
        insert(g, a, b, u)
    return 2 * u


@njit(cache=True)
def build_struct(g, v, loc, fan, nst, node0):
    """Create the structure (reusing live nodes); ``loc`` maps its literals to graph literals
    (leaves filled by the caller). New nodes get numbers ``meta[4]`` onwards (check
    :func:`room` first)."""
    for k in range(nst):
        res = add_and(g, v, loc[fan[k, 0]], loc[fan[k, 1]])
        loc[node0 + 2 * k] = res
        loc[node0 + 2 * k + 1] = res ^ 1


@njit(cache=True)
def edit_finish(g, outputs):
    """The edited AIG in topological order (depth-first from the outputs): fanins, outputs and
    the number of nodes created during the sweep."""
    F0, F1, rep, stack, meta = g[0], g[1], g[2], g[10], g[11]
    first = meta[_FIRST]
    top = meta[_TOP]
    nout = np.empty(len(outputs), dtype=np.int64)
    newlit = np.full(top, -1, dtype=np.int64)
    for x in range(first):
        newlit[x] = 2 * x
    g0 = np.empty(top, dtype=np.int64)
    g1 = np.empty(top, dtype=np.int64)
    cnt = 0
    for oi in range(len(outputs)):
        o = resolve(outputs[oi], rep)
        sp = 0
        stack[sp] = o >> 1
        sp += 1
        while sp > 0:
            x = stack[sp - 1]
            if newlit[x] >= 0:
                sp -= 1
                continue
            a = resolve(F0[x], rep)
            b = resolve(F1[x], rep)
            pushed = False
            if newlit[a >> 1] < 0:
                stack[sp] = a >> 1
                sp += 1
                pushed = True
            if newlit[b >> 1] < 0:
                stack[sp] = b >> 1
                sp += 1
                pushed = True
            if pushed:
                continue
            sp -= 1
            g0[cnt] = newlit[a >> 1] ^ (a & 1)
            g1[cnt] = newlit[b >> 1] ^ (b & 1)
            newlit[x] = 2 * (first + cnt)
            cnt += 1
        nout[oi] = newlit[o >> 1] ^ (o & 1)
    return g0[:cnt], g1[:cnt], nout, top - meta[_N]


def clean_arrays(aig: AIG) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fanins and outputs of ``aig`` folded, hashed, without dead gates (a sweep's input)."""
    none = np.full(aig.num_nodes, -1, dtype=np.int64)
    f0, f1, outs, _ = rebuild_kernel(aig.fanin0, aig.fanin1, aig.num_inputs, aig.outputs, none)
    f0, f1, outs, _ = compact_kernel(f0, f1, aig.num_inputs, outs)
    return f0, f1, outs


def result_aig(aig: AIG, g0: np.ndarray, g1: np.ndarray, gouts: np.ndarray,
               fallback: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> AIG:
    """The sweep's output cleaned up; ``fallback`` (the cleaned input) is returned instead when
    the sweep made it larger."""
    repl = np.full(1 + aig.num_inputs + len(g0), -1, dtype=np.int64)
    g0, g1, gouts, _ = rebuild_kernel(g0, g1, aig.num_inputs, gouts, repl)
    g0, g1, gouts, _ = compact_kernel(g0, g1, aig.num_inputs, gouts)
    if fallback is not None and len(g0) > len(fallback[0]):
        g0, g1, gouts = fallback
    return AIG(aig.num_inputs, g0, g1, gouts, aig.input_names, aig.output_names)
