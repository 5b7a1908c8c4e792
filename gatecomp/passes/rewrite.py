"""``rewrite``: DAG-aware 4-input cut rewriting with the NPN library (ABC ``rw`` / ``rwz``).

Mishchenko, Chatterjee, Brayton, "DAG-aware AIG rewriting", DAC 2006. One sweep over the AND
nodes in topological order, on a mutable copy of the graph (arrays with room to append nodes):

1. the node's fanins are resolved through earlier replacements; a node that became trivial or a
   structural duplicate is merged away;
2. its 4-feasible cuts are enumerated from the fanins' cuts (at most ``cuts_per_node`` kept,
   smallest first, dominated cuts dropped) with their truth tables (``lutmap_truth``);
3. for each cut, the NPN class of its function (``npn``) selects the library structure
   (``rewrite_library``); its *gain* is the number of nodes in the node's maximum fanout-free cone
   bounded by the cut (those die with the node) minus the structure's ANDs that do not already
   exist (structural-hash lookups; an existing node inside that cone still counts as new, as in
   ABC, because it would have died);
4. the best cut with gain > 0 (>= 0 with ``zero_gain``, ABC ``rwz``) is built, the node is
   redirected to the new root (its references move there) and its cone is dereferenced.

Replacements are recorded as ``rep[v]`` = new literal and resolved lazily, so no fanout lists are
needed; new nodes go to the end of the arrays and a final depth-first pass restores topological
order, followed by ``cleanup``. With ``preserve_levels`` (the default, like ABC's ``rw`` without
``-l``) a structure is accepted only if its root's level does not exceed the node's required
level in the original graph, so the depth never increases.

Not done (vs ABC): one structure per class (ABC keeps several per class and tries all), cuts are
priority-limited instead of all 4-feasible cuts, and required levels are not updated as the
graph shrinks (ABC recomputes them, which lets later nodes use freed slack).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..aig import AIG
from ..aig.kernels import compact_kernel, hash_slot, levels_kernel, rebuild_kernel
from .base import PassStats, finish, measured
from .lutmap_truth import SWAP_MASK, VAR_TT, tt_depends, tt_shrink, tt_stretch
from .npn import npn_table
from .rewrite_library import load_library

_NODE0 = 10  # first AND literal inside library structures
_MAX_STRUCT = 16  # more ANDs than any library structure has


@dataclass(frozen=True)
class RewriteParams:
    """Options of :func:`rewrite`.

    Attributes
    ----------
    zero_gain:
        Also accept replacements that keep the AND count (ABC ``rewrite -z``): they reshape the
        graph so that later passes find more sharing.
    cuts_per_node:
        Priority cuts kept per node (smallest first).
    preserve_levels:
        Never let a node exceed its required level in the input graph (depth never grows).
    """

    zero_gain: bool = False
    cuts_per_node: int = 8
    preserve_levels: bool = True

    def __post_init__(self) -> None:
        if self.cuts_per_node < 1:
            raise ValueError(f"cuts_per_node must be >= 1, got {self.cuts_per_node}")


@njit(cache=True, inline="always")
def _resolve(lit, rep):
    while rep[lit >> 1] >= 0:
        lit = rep[lit >> 1] ^ (lit & 1)
    return lit


@njit(cache=True, inline="always")
def _levv(x, v, n, lev, req, preserve):
    """Level bound of node ``x`` while visiting ``v``: unvisited originals use their required
    level (an upper bound under ``preserve``), everything else its computed level."""
    if x <= v or x >= n or not preserve:
        return lev[x]
    return req[x]


@njit(cache=True)
def _lookup(hk_a, hk_b, hv, hmask, a, b, F0, F1, ref):
    """Live node computing ``a & b`` (``a > b``), or -1."""
    h = hash_slot(hk_a, hk_b, hmask, a, b)
    if hk_a[h] == -1:
        return -1
    u = hv[h]
    return u if ref[u] > 0 and F0[u] == a and F1[u] == b else -1


@njit(cache=True)
def _insert(hk_a, hk_b, hv, hmask, a, b, v, F0, F1, ref):
    h = hash_slot(hk_a, hk_b, hmask, a, b)
    if hk_a[h] != -1:
        u = hv[h]
        if not (ref[u] > 0 and F0[u] == a and F1[u] == b):
            hv[h] = v
        return
    hk_a[h] = a
    hk_b[h] = b
    hv[h] = v


@njit(cache=True)
def _deref(v, F0, F1, rep, ref, first, trav, tid, stack):
    """Dereference ``v``'s cone; nodes reaching 0 are counted (and stamped ``tid``)."""
    count = 1
    trav[v] = tid
    sp = 0
    stack[sp] = v
    sp += 1
    while sp > 0:
        sp -= 1
        x = stack[sp]
        for side in range(2):
            lit = F0[x] if side == 0 else F1[x]
            y = _resolve(lit, rep) >> 1
            ref[y] -= 1
            if ref[y] == 0 and y >= first:
                count += 1
                trav[y] = tid
                stack[sp] = y
                sp += 1
    return count


@njit(cache=True)
def _reref(v, F0, F1, rep, ref, first, stack):
    """Undo :func:`_deref`."""
    sp = 0
    stack[sp] = v
    sp += 1
    while sp > 0:
        sp -= 1
        x = stack[sp]
        for side in range(2):
            lit = F0[x] if side == 0 else F1[x]
            y = _resolve(lit, rep) >> 1
            ref[y] += 1
            if ref[y] == 1 and y >= first:
                stack[sp] = y
                sp += 1


@njit(cache=True)
def _kill(v, F0, F1, rep, ref, first, stack):
    """``v`` lost its last reference: dereference its cone for good."""
    sp = 0
    stack[sp] = v
    sp += 1
    while sp > 0:
        sp -= 1
        x = stack[sp]
        for side in range(2):
            y = _resolve(F0[x] if side == 0 else F1[x], rep) >> 1
            ref[y] -= 1
            if ref[y] == 0 and y >= first:
                stack[sp] = y
                sp += 1


@njit(cache=True)
def _compute_cuts(x, a, b, C, first, has_cuts, ncut, cl, cs, ct, sl, ss, st, pa, pb, masks,
                  var_tt):
    """Cuts of node ``x = a & b`` from its fanins' cuts (trivial cuts implicit)."""
    n_sc = 0
    na = ncut[a >> 1] if has_cuts[a >> 1] else 0
    nb = ncut[b >> 1] if has_cuts[b >> 1] else 0
    for i in range(-1, na):
        for j in range(-1, nb):
            # leaves and tables of the two fanin cuts (-1: the trivial cut)
            ua = a >> 1
            ub = b >> 1
            sa = 1 if i < 0 else cs[ua, i]
            sb = 1 if j < 0 else cs[ub, j]
            # merge sorted leaf lists
            p = 0
            q = 0
            s = 0
            ok = True
            while p < sa or q < sb:
                la = (ua if i < 0 else cl[ua, i, p]) if p < sa else 1 << 60
                lb = (ub if j < 0 else cl[ub, j, q]) if q < sb else 1 << 60
                if s == 4:
                    ok = False
                    break
                if la == lb:
                    sl[n_sc, s] = la
                    pa[p] = s
                    pb[q] = s
                    p += 1
                    q += 1
                elif la < lb:
                    sl[n_sc, s] = la
                    pa[p] = s
                    p += 1
                else:
                    sl[n_sc, s] = lb
                    pb[q] = s
                    q += 1
                s += 1
            if not ok:
                continue
            ta = var_tt[0] if i < 0 else ct[ua, i]
            tb = var_tt[0] if j < 0 else ct[ub, j]
            ta = tt_stretch(ta, pa, sa, masks)
            tb = tt_stretch(tb, pb, sb, masks)
            if a & 1:
                ta = ~ta
            if b & 1:
                tb = ~tb
            t = ta & tb
            # drop leaves the function does not depend on
            r = s - 1
            while r >= 0:
                if not tt_depends(t, r, var_tt):
                    t = tt_shrink(t, r, s, masks)
                    for z in range(r, s - 1):
                        sl[n_sc, z] = sl[n_sc, z + 1]
                    s -= 1
                r -= 1
            # duplicates / dominance against the scratch cuts kept so far
            dominated = False
            for y in range(n_sc):
                if ss[y] <= s and _subset(sl[y], ss[y], sl[n_sc], s):
                    dominated = True
                    break
            if dominated:
                continue
            y = 0
            while y < n_sc:  # remove scratch cuts the new one dominates
                if s < ss[y] and _subset(sl[n_sc], s, sl[y], ss[y]):
                    n_sc -= 1
                    for z in range(4):
                        sl[y, z] = sl[n_sc, z]
                        sl[n_sc, z] = sl[n_sc + 1, z]
                    ss[y] = ss[n_sc]
                    st[y] = st[n_sc]
                else:
                    y += 1
            ss[n_sc] = s
            st[n_sc] = t
            n_sc += 1
    # keep the C smallest (stable by size)
    k = 0
    for size in range(0, 5):
        for y in range(n_sc):
            if ss[y] == size and k < C:
                for z in range(size):
                    cl[x, k, z] = sl[y, z]
                cs[x, k] = size
                ct[x, k] = st[y]
                k += 1
    ncut[x] = k
    has_cuts[x] = True


@njit(cache=True)
def _subset(small, ns, big, nb):
    j = 0
    for i in range(ns):
        v = small[i]
        while j < nb and big[j] < v:
            j += 1
        if j == nb or big[j] != v:
            return False
        j += 1
    return True


@njit(cache=True)
def rewrite_kernel(f0, f1, num_inputs, outputs, cls_of, perm_of, neg_of, out_of, lib_off,
                   lib_fan, lib_root, C, zero_gain, preserve, extra):
    """One rewriting sweep (module docstring). Returns new fanins/outputs and counters."""
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
    big = 1 << 40
    req = np.full(cap, big, dtype=np.int64)
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
    hmask = hsize - 1
    hk_a = np.full(hsize, -1, dtype=np.int64)
    hk_b = np.zeros(hsize, dtype=np.int64)
    hv = np.zeros(hsize, dtype=np.int64)
    for v in range(first, n):
        _insert(hk_a, hk_b, hv, hmask, F0[v], F1[v], v, F0, F1, ref)
    has_cuts = np.zeros(cap, dtype=np.bool_)
    ncut = np.zeros(cap, dtype=np.int64)
    cl = np.zeros((cap, C, 4), dtype=np.int64)
    cs = np.zeros((cap, C), dtype=np.int64)
    ct = np.zeros((cap, C), dtype=np.uint64)
    ns = (C + 1) * (C + 1) + 1
    sl = np.zeros((ns + 1, 4), dtype=np.int64)
    ss = np.zeros(ns + 1, dtype=np.int64)
    st = np.zeros(ns + 1, dtype=np.uint64)
    pa = np.zeros(4, dtype=np.int64)
    pb = np.zeros(4, dtype=np.int64)
    trav = np.zeros(cap, dtype=np.int64)
    stack = np.zeros(cap + 8, dtype=np.int64)
    loc = np.zeros(_NODE0 + 2 * _MAX_STRUCT, dtype=np.int64)
    loclev = np.zeros(_NODE0 // 2 + _MAX_STRUCT, dtype=np.int64)
    tid = 0
    top = n
    n_rewritten = 0
    n_merged = 0
    total_gain = 0
    for v in range(first, n):
        if ref[v] == 0:
            continue
        a = _resolve(F0[v], rep)
        b = _resolve(F1[v], rep)
        if a < b:
            a, b = b, a
        F0[v] = a
        F1[v] = b
        # trivial or duplicate after earlier replacements
        target = -1
        if b == 0 or a == (b ^ 1):
            target = 0
        elif b == 1 or a == b:
            target = a
        else:
            u = _lookup(hk_a, hk_b, hv, hmask, a, b, F0, F1, ref)
            if u >= 0 and u != v:
                target = 2 * u
            else:
                _insert(hk_a, hk_b, hv, hmask, a, b, v, F0, F1, ref)
        if target >= 0:
            rep[v] = target
            ref[target >> 1] += ref[v]
            ref[v] = 0
            _kill(v, F0, F1, rep, ref, first, stack)
            n_merged += 1
            continue
        la = _levv(a >> 1, v, n, lev, req, preserve)
        lb = _levv(b >> 1, v, n, lev, req, preserve)
        lev[v] = (la if la > lb else lb) + 1
        _compute_cuts(v, a, b, C, first, has_cuts, ncut, cl, cs, ct, sl, ss, st, pa, pb,
                      SWAP_MASK, VAR_TT)
        # -- evaluate every cut -----------------------------------------------------------
        best_gain = -1
        best_cut = -1
        best_lev = big
        for c in range(ncut[v]):
            size = cs[v, c]
            t16 = np.int64(ct[v, c] & np.uint64(0xFFFF))
            cls = cls_of[t16]
            # structure input perm[i] <- leaf i ^ neg_i (vacuous positions: constant 0)
            for i in range(4):
                leaf = 2 * cl[v, c, i] if i < size else 0
                loc[2 + 2 * perm_of[t16, i]] = leaf ^ ((neg_of[t16] >> i) & 1)
                loc[3 + 2 * perm_of[t16, i]] = leaf ^ ((neg_of[t16] >> i) & 1) ^ 1
                loclev[1 + perm_of[t16, i]] = (_levv(cl[v, c, i], v, n, lev, req, preserve)
                                               if i < size else 0)
            loc[0] = 0
            loc[1] = 1
            # MFFC bounded by the cut
            for i in range(size):
                ref[cl[v, c, i]] += 1
            tid += 1
            saved = _deref(v, F0, F1, rep, ref, first, trav, tid, stack)
            _reref(v, F0, F1, rep, ref, first, stack)
            for i in range(size):
                ref[cl[v, c, i]] -= 1
            limit = saved if zero_gain else saved - 1
            added = 0
            bad = False
            o0 = lib_off[cls]
            nst = lib_off[cls + 1] - o0
            for k in range(nst):
                xa = lib_fan[o0 + k, 0]
                xb = lib_fan[o0 + k, 1]
                ga = loc[xa]
                gb = loc[xb]
                lvl = loclev[xa >> 1]
                if loclev[xb >> 1] > lvl:
                    lvl = loclev[xb >> 1]
                lvl += 1
                res = -1
                if ga >= 0 and gb >= 0:
                    if ga < gb:
                        ga, gb = gb, ga
                    if gb == 0 or ga == (gb ^ 1):
                        res = 0
                        lvl = 0
                    elif gb == 1 or ga == gb:
                        res = ga
                        lvl = _levv(ga >> 1, v, n, lev, req, preserve)
                    else:
                        u = _lookup(hk_a, hk_b, hv, hmask, ga, gb, F0, F1, ref)
                        if u >= 0:
                            if u == v:
                                bad = True
                                break
                            res = 2 * u
                            if trav[u] == tid:
                                added += 1
                            else:
                                lvl = _levv(u, v, n, lev, req, preserve)
                        else:
                            added += 1
                else:
                    added += 1
                if added > limit:
                    bad = True
                    break
                loc[_NODE0 + 2 * k] = res
                loc[_NODE0 + 2 * k + 1] = res ^ 1 if res >= 0 else -1
                loclev[_NODE0 // 2 + k] = lvl
            if bad:
                continue
            root = lib_root[cls]
            rl = loclev[root >> 1]
            rlit = loc[root]
            if rlit >= 0 and (rlit >> 1) == v:
                continue
            if preserve and rl > req[v]:
                continue
            gain = saved - added
            if gain > best_gain or (gain == best_gain and rl < best_lev):
                best_gain = gain
                best_cut = c
                best_lev = rl
        if best_cut < 0 or (best_gain == 0 and not zero_gain):
            continue
        if top + _MAX_STRUCT > cap:
            continue  # out of room: leave the rest as it is
        # -- build the chosen structure -----------------------------------------------------
        c = best_cut
        size = cs[v, c]
        t16 = np.int64(ct[v, c] & np.uint64(0xFFFF))
        cls = cls_of[t16]
        for i in range(4):
            leaf = 2 * cl[v, c, i] if i < size else 0
            loc[2 + 2 * perm_of[t16, i]] = leaf ^ ((neg_of[t16] >> i) & 1)
            loc[3 + 2 * perm_of[t16, i]] = leaf ^ ((neg_of[t16] >> i) & 1) ^ 1
        o0 = lib_off[cls]
        nst = lib_off[cls + 1] - o0
        for k in range(nst):
            ga = loc[lib_fan[o0 + k, 0]]
            gb = loc[lib_fan[o0 + k, 1]]
            if ga < gb:
                ga, gb = gb, ga
            if gb == 0 or ga == (gb ^ 1):
                res = 0
            elif gb == 1 or ga == gb:
                res = ga
            else:
                u = _lookup(hk_a, hk_b, hv, hmask, ga, gb, F0, F1, ref)
                if u < 0:
                    u = top
                    top += 1
                    F0[u] = ga
                    F1[u] = gb
                    ref[ga >> 1] += 1
                    ref[gb >> 1] += 1
                    l1 = _levv(ga >> 1, v, n, lev, req, preserve)
                    l2 = _levv(gb >> 1, v, n, lev, req, preserve)
                    lev[u] = (l1 if l1 > l2 else l2) + 1
                    _insert(hk_a, hk_b, hv, hmask, ga, gb, u, F0, F1, ref)
                    _compute_cuts(u, ga, gb, C, first, has_cuts, ncut, cl, cs, ct, sl, ss, st,
                                  pa, pb, SWAP_MASK, VAR_TT)
                res = 2 * u
            loc[_NODE0 + 2 * k] = res
            loc[_NODE0 + 2 * k + 1] = res ^ 1
        r = loc[lib_root[cls]] ^ out_of[t16]
        rep[v] = r
        ref[r >> 1] += ref[v]
        ref[v] = 0
        _kill(v, F0, F1, rep, ref, first, stack)
        n_rewritten += 1
        total_gain += best_gain
    # -- restore topological order: depth-first from the outputs --------------------------------
    nout = np.empty(len(outputs), dtype=np.int64)
    newlit = np.full(top, -1, dtype=np.int64)
    for x in range(first):
        newlit[x] = 2 * x
    g0 = np.empty(top, dtype=np.int64)
    g1 = np.empty(top, dtype=np.int64)
    cnt = 0
    for oi in range(len(outputs)):
        o = _resolve(outputs[oi], rep)
        sp = 0
        stack[sp] = o >> 1
        sp += 1
        while sp > 0:
            x = stack[sp - 1]
            if newlit[x] >= 0:
                sp -= 1
                continue
            a = _resolve(F0[x], rep)
            b = _resolve(F1[x], rep)
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
    counters = np.array([n_rewritten, n_merged, total_gain, top - n], dtype=np.int64)
    return g0[:cnt], g1[:cnt], nout, counters


def rewrite(aig: AIG, params: RewriteParams | None = None) -> tuple[AIG, PassStats]:
    """DAG-aware 4-input cut rewriting (ABC ``rewrite``; ``zero_gain`` = ``rewrite -z``).

    Parameters
    ----------
    aig:
        Any AIG (it is cleaned up first: constants folded, hashed, dead gates removed).
    params:
        :class:`RewriteParams`; ``None`` means the defaults.

    Returns
    -------
    (AIG, PassStats)
        The rewritten AIG (same function; with ``zero_gain=False`` never more ANDs; with
        ``preserve_levels`` never deeper) and stats; ``stats.extra`` counts nodes rewritten,
        nodes merged as duplicates, the estimated total gain and nodes created.
    """
    params = params or RewriteParams()
    name = "rewrite" + ("{zero_gain}" if params.zero_gain else "")
    with measured(name, aig) as stats:
        _, cls_of, perm, neg, out = npn_table()
        lib = load_library()
        none = np.full(aig.num_nodes, -1, dtype=np.int64)
        f0, f1, outs, _ = rebuild_kernel(aig.fanin0, aig.fanin1, aig.num_inputs, aig.outputs,
                                         none)
        f0, f1, outs, _ = compact_kernel(f0, f1, aig.num_inputs, outs)
        g0, g1, gouts, counters = rewrite_kernel(
            f0, f1, aig.num_inputs, outs, cls_of, perm, neg, out, lib.offset, lib.fanins,
            lib.root, params.cuts_per_node, params.zero_gain, params.preserve_levels,
            len(f0) // 2 + 1024)
        repl = np.full(1 + aig.num_inputs + len(g0), -1, dtype=np.int64)
        g0, g1, gouts, _ = rebuild_kernel(g0, g1, aig.num_inputs, gouts, repl)
        g0, g1, gouts, _ = compact_kernel(g0, g1, aig.num_inputs, gouts)
        result = AIG(aig.num_inputs, g0, g1, gouts, aig.input_names, aig.output_names)
        if not params.zero_gain and result.num_ands > len(f0):
            result = AIG(aig.num_inputs, f0, f1, outs, aig.input_names, aig.output_names)
        stats.extra = {"rewritten": int(counters[0]), "merged": int(counters[1]),
                       "estimated_gain": int(counters[2]), "created": int(counters[3])}
    return result, finish(stats, result)
