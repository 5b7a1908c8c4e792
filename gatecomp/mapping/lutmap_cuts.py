"""Numba kernels of ``lutmap``: one priority-cut mapping round, and marking the chosen cover.

Data layout (no per-cut Python objects). Every AND node ``v`` keeps a *best cut* across rounds
in ``best_leaves[v, :best_size[v]]`` (sorted node ids), ``best_truth[v]`` (its function over
those leaves, see ``logic.truth_tables``), ``arrival[v]`` (LUT depth when ``v`` is implemented
by that cut), ``area[v]`` (area flow, or exact area in exact-area rounds) and ``edge[v]`` (edge
flow). Inputs have arrival, area and edge 0; the constant node 0 has the empty cut.

Within a round, the up to ``C`` priority cuts of a node live in a *slot* of the arrays ``sl``
(leaves), ``ss`` (sizes), ``st`` (truths), ``sg`` (64-bit leaf signatures) that is reused once
the node's last fanout has been processed (``assign_slots``), so memory follows the width of the
AIG rather than its size. The trivial cut ``{v}`` is implicit.

A round (Mishchenko, Cho, Chatterjee, Brayton, "Combinational and sequential mapping with
priority cuts", ICCAD 2007; ABC's ``if``) visits the ANDs in topological order, merges every
pair of fanin cuts into k-feasible cuts, computes each one's truth table (optionally dropping
leaves it does not depend on), discards dominated cuts, ranks the rest and keeps the best ``C``:

* mode 0, delay: rank by arrival, then size, then area flow (``sort_mode`` 2: arrival, area
  flow, edge flow, size; 1: area flow first). In a *preprocess* round (mode 0 after the first)
  a node whose required time is known keeps a cut only if it meets it.
* mode 1, area flow: only cuts that meet the node's required time (from the previous cover)
  compete, ranked by area flow, edge flow, average leaf references, size, arrival.
* mode 2, exact area: the same, with the area each cut adds to the current cover measured by
  referencing and dereferencing it (reference counts kept incrementally along the round).

The previous best cut always re-enters the competition, so area rounds never break the depth.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..logic.truth_tables import (
    ALL_ONES,
    SWAP_MASK,
    VAR_TT,
    leaves_subset,
    tt_drop_vacuous,
    tt_stretch,
)

INF_REQUIRED = 1 << 40
EPS = 0.005


@njit(cache=True)
def assign_slots(f0, f1, num_inputs):
    """Cut-set slot per AND node, reused after the node's last fanout; returns (slot, count)."""
    first = 1 + num_inputs
    n = first + len(f0)
    last = np.full(n, -1, dtype=np.int64)
    for k in range(len(f0)):
        last[f0[k] >> 1] = first + k
        last[f1[k] >> 1] = first + k
    slot = np.full(n, -1, dtype=np.int64)
    free = np.empty(len(f0) + 1, dtype=np.int64)
    nfree = 0
    nslots = 0
    for k in range(len(f0)):
        v = first + k
        if nfree > 0:
            nfree -= 1
            s = free[nfree]
        else:
            s = nslots
            nslots += 1
        slot[v] = s
        a = f0[k] >> 1
        b = f1[k] >> 1
        if a >= first and last[a] == v:
            free[nfree] = slot[a]
            nfree += 1
        if b != a and b >= first and last[b] == v:
            free[nfree] = slot[b]
            nfree += 1
        if last[v] == -1:
            free[nfree] = s
            nfree += 1
    return slot, max(nslots, 1)


@njit(cache=True, inline="always")
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


@njit(cache=True, inline="always")
def _dominated(x, s, g, order, cnt, xl, xs, xg):
    """True if a kept cut is a subset of (or equal to) scratch cut ``x`` (size ``s``)."""
    for r in range(cnt):
        y = order[r]
        if xs[y] <= s and (xg[y] & g) == xg[y] and leaves_subset(xl[y], xs[y], xl[x], s):
            return True
    return False


@njit(cache=True)
def _walk_cut(leaves, size, bl, bs, refs, first, stack, delta):
    """Reference (``delta`` 1) a cut in the cover, or undo that (-1); returns the (LUTs, edges)
    newly needed (no longer needed), the cut included."""
    follow = 1 if delta > 0 else 0
    area = 1
    edges = size
    top = 0
    for i in range(size):
        stack[top] = leaves[i]
        top += 1
    while top > 0:
        top -= 1
        u = stack[top]
        r = refs[u] + delta
        refs[u] = r
        if r == follow and u >= first:
            area += 1
            edges += bs[u]
            for i in range(bs[u]):
                stack[top] = bl[u, i]
                top += 1
    return area, edges


@njit(cache=True)
def _better(x, y, sort_mode, xd, xs, xa, xe, xr):
    """True if scratch cut ``x`` ranks strictly before ``y``."""
    if sort_mode == 0:
        if xd[x] != xd[y]:
            return xd[x] < xd[y]
        if xs[x] != xs[y]:
            return xs[x] < xs[y]
        if abs(xa[x] - xa[y]) > EPS:
            return xa[x] < xa[y]
        return xe[x] < xe[y] - EPS
    if sort_mode == 2:
        if xd[x] != xd[y]:
            return xd[x] < xd[y]
        if abs(xa[x] - xa[y]) > EPS:
            return xa[x] < xa[y]
        if abs(xe[x] - xe[y]) > EPS:
            return xe[x] < xe[y]
        return xs[x] < xs[y]
    if abs(xa[x] - xa[y]) > EPS:
        return xa[x] < xa[y]
    if abs(xe[x] - xe[y]) > EPS:
        return xe[x] < xe[y]
    if abs(xr[x] - xr[y]) > EPS:
        return xr[x] > xr[y]
    if xs[x] != xs[y]:
        return xs[x] < xs[y]
    return xd[x] < xd[y]


@njit(cache=True)
def _evaluate(x, mode, first, xl, xs, xd, xa, xe, xr, arrival, area, edge, refs, est,
              bl, bs, stack):
    """Fill arrival, area, edge and average references of scratch cut ``x``."""
    s = xs[x]
    d = 0
    fa = 1.0
    fe = float(s)
    rsum = 0.0
    for i in range(s):
        u = xl[x, i]
        if arrival[u] > d:
            d = arrival[u]
        rsum += refs[u]
        if u >= first and mode < 2:
            if refs[u] > 0:
                e = est[u] if est[u] > EPS else EPS
                fa += area[u] / e
                fe += edge[u] / e
            else:
                fa += area[u]
                fe += edge[u]
    xd[x] = d + 1
    xr[x] = rsum / s if s > 0 else 0.0
    if mode == 2:
        a1, e1 = _walk_cut(xl[x], s, bl, bs, refs, first, stack, 1)
        _walk_cut(xl[x], s, bl, bs, refs, first, stack, -1)
        xa[x] = float(a1)
        xe[x] = float(e1)
    else:
        xa[x] = fa
        xe[x] = fe


@njit(cache=True)
def _signature(leaves, s):
    """64-bit leaf signature of the cut ``leaves[:s]``."""
    g = np.uint64(0)
    for r in range(s):
        g |= np.uint64(1) << np.uint64(leaves[r] & 63)
    return g


@njit(cache=True)
def map_round(f0, f1, num_inputs, config, slot, nslots, best, costs):
    """One mapping round over all ANDs; updates the best-cut arrays in place.

    ``config`` is ``(K, C, mode, sort_mode, first_round, minimize)``, ``best`` the best-cut
    arrays ``(bl, bs, bt, arrival, area, edge)`` and ``costs`` ``(refs, est, required)``.
    ``refs`` must hold AIG fanout counts for mode 0 and the current cover's references (from
    ``mark_mapping``) for modes 1 and 2; ``required`` comes from ``mark_mapping`` of the
    previous round (ignored in the first round). Returns the number of cuts kept in total.

    The loop over pairs of fanin cuts stays inline here, the mapper's hot path: split into
    helpers (one call per cut pair, per leaf merge, per fanin cut) it measured 10-25% slower
    on EPFL ``square``, and numba's ``inline="always"`` slower still.
    """
    K, C, mode, sort_mode, first_round, minimize = config
    bl, bs, bt, arrival, area, edge = best
    refs, est, required = costs
    first = 1 + num_inputs
    n = first + len(f0)
    masks = SWAP_MASK  # module arrays as locals: referenced in the loop, they cost 10%
    var_tt = VAR_TT
    var0 = VAR_TT[0]
    sl = np.empty((nslots, C, K), dtype=np.int32)
    ss = np.zeros((nslots, C), dtype=np.int64)
    st = np.zeros((nslots, C), dtype=np.uint64)
    sg = np.zeros((nslots, C), dtype=np.uint64)
    nc = np.zeros(nslots, dtype=np.int64)
    cap = C + 2
    xl = np.zeros((cap, K), dtype=np.int32)
    xs = np.zeros(cap, dtype=np.int64)
    xt = np.zeros(cap, dtype=np.uint64)
    xg = np.zeros(cap, dtype=np.uint64)
    xd = np.zeros(cap, dtype=np.int64)
    xa = np.zeros(cap, dtype=np.float64)
    xe = np.zeros(cap, dtype=np.float64)
    xr = np.zeros(cap, dtype=np.float64)
    order = np.zeros(cap, dtype=np.int64)
    free = np.zeros(cap, dtype=np.int64)
    la = np.zeros(K, dtype=np.int32)
    blv = np.zeros((cap, K), dtype=np.int32)
    bsz = np.zeros(cap, dtype=np.int64)
    btt = np.zeros(cap, dtype=np.uint64)
    bsg = np.zeros(cap, dtype=np.uint64)
    pa = np.zeros(K, dtype=np.int64)
    pb = np.zeros(K, dtype=np.int64)
    stack = np.empty(K * (n + 1) + 1, dtype=np.int64)
    total_cuts = 0
    for v in range(first, n):
        k = v - first
        a = f0[k]
        b = f1[k]
        na = a >> 1
        nb = b >> 1
        if mode == 0:
            est[v] = refs[v]
        elif mode == 1:
            est[v] = (2.0 * est[v] + refs[v]) / 3.0
        if mode > 0 and refs[v] > 0:
            _walk_cut(bl[v], bs[v], bl, bs, refs, first, stack, -1)

        for i in range(cap):
            free[i] = cap - 1 - i
        nfree = cap
        cnt = 0
        saved = -1
        saved_d = 0
        saved_a = 0.0
        saved_e = 0.0
        if not first_round:
            nfree -= 1
            saved = free[nfree]
            _load_best(v, saved, bl, bs, bt, xl, xs, xt, xg)
            _evaluate(saved, mode, first, xl, xs, xd, xa, xe, xr, arrival, area, edge, refs,
                      est, bl, bs, stack)
            order[0] = saved
            cnt = 1
            saved_d = xd[saved]
            saved_a = xa[saved]
            saved_e = xe[saved]

        # number of cuts of each fanin (stored ones plus the trivial one)
        nca = 1 if na < first else nc[slot[na]] + 1
        ncb = 1 if nb < first else nc[slot[nb]] + 1
        # the cuts of fanin b, loaded once (complemented as the edge says)
        _load_cuts(b, ncb, first, slot, sl, ss, st, sg, blv, bsz, btt, bsg, var0)
        for i in range(nca):
            # cut i of fanin a
            if na == 0:
                sa = 0
                ta = np.uint64(0)
                ga = np.uint64(0)
            elif na < first or i == nca - 1:
                sa = 1
                la[0] = na
                ta = var0
                ga = np.uint64(1) << np.uint64(na & 63)
            else:
                q = slot[na]
                sa = ss[q, i]
                for t in range(sa):
                    la[t] = sl[q, i, t]
                ta = st[q, i]
                ga = sg[q, i]
            if a & 1:
                ta = ta ^ ALL_ONES
            for j in range(ncb):
                g = ga | bsg[j]
                if _popcount(g) > K:
                    continue
                sb = bsz[j]
                lb = blv[j]
                # merge the sorted leaf lists into scratch cut x
                x = free[nfree - 1]
                p = 0
                q = 0
                s = 0
                ok = True
                while p < sa or q < sb:
                    if s == K:
                        ok = False
                        break
                    if q == sb or (p < sa and la[p] < lb[q]):
                        xl[x, s] = la[p]
                        pa[p] = s
                        p += 1
                    elif p == sa or lb[q] < la[p]:
                        xl[x, s] = lb[q]
                        pb[q] = s
                        q += 1
                    else:
                        xl[x, s] = la[p]
                        pa[p] = s
                        pb[q] = s
                        p += 1
                        q += 1
                    s += 1
                if not ok:
                    continue
                # structurally dominated by (or equal to) a kept cut?
                if _dominated(x, s, g, order, cnt, xl, xs, xg):
                    continue
                t = tt_stretch(ta, pa, sa, masks) & tt_stretch(btt[j], pb, sb, masks)
                if minimize:
                    s0 = s
                    t, s = tt_drop_vacuous(t, xl[x], s, masks, var_tt)
                    if s < s0:
                        g = _signature(xl[x], s)
                        if _dominated(x, s, g, order, cnt, xl, xs, xg):
                            continue
                nfree -= 1  # x leaves the free list; pushed back if rejected below
                xs[x] = s
                xt[x] = t
                xg[x] = g
                d = 0
                for r in range(s):
                    if arrival[xl[x, r]] > d:
                        d = arrival[xl[x, r]]
                if mode > 0 and d + 1 > required[v]:
                    free[nfree] = x
                    nfree += 1
                    continue
                # ranked by arrival first and already slower than a full set's worst: it cannot
                # be kept (nor dominate a kept cut, which would be at least as slow)
                if sort_mode != 1 and cnt >= C and d + 1 > xd[order[cnt - 1]]:
                    free[nfree] = x
                    nfree += 1
                    continue
                # drop kept cuts that the new one dominates (never the previous best)
                r = 0
                while r < cnt:
                    y = order[r]
                    if (y != saved and xs[y] > s and (g & xg[y]) == g
                            and leaves_subset(xl[x], s, xl[y], xs[y])):
                        for u in range(r, cnt - 1):
                            order[u] = order[u + 1]
                        cnt -= 1
                        free[nfree] = y
                        nfree += 1
                    else:
                        r += 1
                _evaluate(x, mode, first, xl, xs, xd, xa, xe, xr, arrival, area, edge, refs,
                          est, bl, bs, stack)
                r = 0
                while r < cnt and not _better(x, order[r], sort_mode, xd, xs, xa, xe, xr):
                    r += 1
                if r >= C:
                    free[nfree] = x
                    nfree += 1
                    continue
                for u in range(cnt, r, -1):
                    order[u] = order[u - 1]
                order[r] = x
                cnt += 1
                if cnt > C:
                    cnt -= 1
                    if order[cnt] == saved:
                        saved = -1
                    free[nfree] = order[cnt]
                    nfree += 1

        _choose_best(v, order, cnt, mode, first_round, (saved_d, saved_a, saved_e), xl, xs, xt,
                     xd, xa, xe, best, required)
        if mode > 0 and refs[v] > 0:
            _walk_cut(bl[v], bs[v], bl, bs, refs, first, stack, 1)
        total_cuts += _keep_cuts(slot[v], order, cnt, C, xl, xs, xt, xg, sl, ss, st, sg, nc)
    return total_cuts


@njit(cache=True)
def _load_best(v, x, bl, bs, bt, xl, xs, xt, xg):
    """Scratch cut ``x`` = ``v``'s best cut of the previous round."""
    s = bs[v]
    for i in range(s):
        xl[x, i] = bl[v, i]
    xs[x] = s
    xt[x] = bt[v]
    xg[x] = _signature(bl[v], s)


@njit(cache=True)
def _load_cuts(b, ncb, first, slot, sl, ss, st, sg, blv, bsz, btt, bsg, var0):
    """The ``ncb`` cuts of fanin literal ``b`` (stored ones, then the trivial one) into
    ``blv``/``bsz``/``btt``/``bsg``, truths complemented as the edge says."""
    nb = b >> 1
    for j in range(ncb):
        if nb == 0:
            bsz[j] = 0
            btt[j] = np.uint64(0)
            bsg[j] = np.uint64(0)
        elif nb < first or j == ncb - 1:
            bsz[j] = 1
            blv[j, 0] = nb
            btt[j] = var0
            bsg[j] = np.uint64(1) << np.uint64(nb & 63)
        else:
            q = slot[nb]
            bsz[j] = ss[q, j]
            for t in range(bsz[j]):
                blv[j, t] = sl[q, j, t]
            btt[j] = st[q, j]
            bsg[j] = sg[q, j]
        if b & 1:
            btt[j] = btt[j] ^ ALL_ONES


@njit(cache=True)
def _choose_best(v, order, cnt, mode, first_round, saved_cost, xl, xs, xt, xd, xa, xe, best,
                 required):
    """Make the best kept cut ``v``'s; a later delay round keeps the old one (restoring its
    ``saved_cost``) if nothing else is in time."""
    bl, bs, bt, arrival, area, edge = best
    chosen = order[0]
    if mode == 0 and not first_round and required[v] < INF_REQUIRED:
        chosen = -1
        for r in range(cnt):
            if xd[order[r]] <= required[v]:
                chosen = order[r]
                break
    if chosen >= 0:
        s = xs[chosen]
        for r in range(s):
            bl[v, r] = xl[chosen, r]
        bs[v] = s
        bt[v] = xt[chosen]
        arrival[v] = xd[chosen]
        area[v] = xa[chosen]
        edge[v] = xe[chosen]
    else:
        arrival[v], area[v], edge[v] = saved_cost


@njit(cache=True)
def _keep_cuts(q, order, cnt, C, xl, xs, xt, xg, sl, ss, st, sg, nc):
    """Store the priority cuts in slot ``q`` for the fanouts; returns how many."""
    kept = cnt if cnt < C else C
    for r in range(kept):
        y = order[r]
        for u in range(xs[y]):
            sl[q, r, u] = xl[y, u]
        ss[q, r] = xs[y]
        st[q, r] = xt[y]
        sg[q, r] = xg[y]
    nc[q] = kept
    return kept


@njit(cache=True)
def mark_mapping(num_inputs, outputs, bl, bs, arrival, refs, required, target):
    """Cover reachable from the outputs: references, required times, (LUTs, depth, edges).

    The outputs are required at ``target`` levels, or at the cover's depth if ``target < 0``.
    """
    first = 1 + num_inputs
    n = len(bs)
    refs[:] = 0
    for o in outputs:
        refs[o >> 1] += 1
    for v in range(n - 1, first - 1, -1):
        if refs[v] > 0:
            for i in range(bs[v]):
                refs[bl[v, i]] += 1
    depth = 0
    for o in outputs:
        d = arrival[o >> 1]
        if d > depth:
            depth = d
    required[:] = INF_REQUIRED
    req = depth if target < 0 else max(target, depth)
    for o in outputs:
        required[o >> 1] = req
    luts = 0
    edges = 0
    for v in range(n - 1, first - 1, -1):
        if refs[v] > 0:
            luts += 1
            edges += bs[v]
            rq = required[v] - 1
            for i in range(bs[v]):
                u = bl[v, i]
                if rq < required[u]:
                    required[u] = rq
    return luts, depth, edges
