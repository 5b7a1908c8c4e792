"""``resub``: windowed Boolean resubstitution (ABC ``rs``; ``zero_gain`` = ``rs -z``).

One sweep over the AND nodes in topological order on the editable graph of ``dag_edit``. For
each live node ``v``:

1. a reconvergence-driven cut of at most ``cut_size`` leaves (``window.find_cut``) and ``v``'s
   MFFC bounded by it (the nodes that die when ``v`` is replaced);
2. *divisors*: the leaves, the cone nodes outside the MFFC, then live fanouts of divisors whose
   two fanins are divisors (ABC ``Abc_ManResubCollectDivs``; never ``v``'s MFFC, so never its
   fanout cone), at most ``max_divisors``; all are functions of the leaves, simulated into
   truth tables;
3. ``v`` is re-expressed over the divisors, cheapest first: a constant or a divisor (0 nodes),
   the AND/OR of two divisors (1 node), of three, or ``d1 | (d2 & d3)`` / ``d1 & (d2 | d3)``
   (2 nodes, with ``max_added >= 2``). Divisors are first sorted by unateness against ``v``'s
   function ``f``: ``d <= f`` may join an OR, ``d >= f`` an AND; the rest (binate) only enter
   2-node forms through a pair whose AND lies below ``f`` (or OR above);
4. the first form found is built when it saves nodes (MFFC size minus nodes added ``> 0``;
   ``>= 0`` with ``zero_gain``) and, with ``preserve_levels``, does not exceed ``v``'s
   required level.

Divisors outside the cone need fanouts, which the lazily replaced graph does not keep: this
pass keeps its own fanout lists (entries are checked when read, moved on replacement).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..aig import AIG
from ..aig.kernels import and_fold
from ..logic.dag_edit import (
    add_and,
    edit_finish,
    edit_start,
    in_mffc,
    lev_bound,
    lookup,
    mffc_mark,
    replace,
    resolve,
    room,
    visit,
)
from ..logic.factor import ALL, is_const
from ..logic.window import cone_truth, find_cut
from .base import PassStats, run_sweep

_MAX_CONE = 256  # windows whose cone has more internal nodes are skipped
_FANOUT_SKIP = 100  # divisors with more references are not searched for fanouts (as ABC)
_MAX_UNATE = 64  # unate divisors kept per polarity
_MAX_BINATE = 48  # binate divisors paired for the 2-node forms
_MAX_PAIRS = 500  # pairs kept per kind (ABC_RS_DIV2_MAX)


@dataclass(frozen=True)
class ResubParams:
    """Options of :func:`resub`.

    Attributes
    ----------
    zero_gain:
        Also accept resubstitutions that keep the AND count (ABC ``resub -z``).
    cut_size:
        Most leaves of the window's cut (ABC ``-K``, default 8).
    max_added:
        Most nodes a resubstitution may add, 0..2 (ABC ``-N``).
    max_divisors:
        Most divisors collected per window (ABC: 150).
    preserve_levels:
        Never let a node exceed its required level in the input graph (depth never grows).
    """

    zero_gain: bool = False
    cut_size: int = 8
    max_added: int = 2
    max_divisors: int = 150
    preserve_levels: bool = True

    def __post_init__(self) -> None:
        if not 3 <= self.cut_size <= 12:
            raise ValueError(f"cut_size must be in 3..12, got {self.cut_size}")
        if not 0 <= self.max_added <= 2:
            raise ValueError(f"max_added must be in 0..2, got {self.max_added}")
        if self.max_divisors < self.cut_size:
            raise ValueError(f"max_divisors must be >= cut_size, got {self.max_divisors}")


# -- fanout lists --------------------------------------------------------------------------------

@njit(cache=True)
def _fo_add(fo, x, w):
    """Record ``w`` as a fanout of ``x`` (silently dropped when the pool is full)."""
    head, nxt, node, cnt = fo[0], fo[1], fo[2], fo[3]
    e = cnt[0]
    if e >= len(nxt):
        return
    node[e] = w
    nxt[e] = head[x]
    head[x] = e
    cnt[0] = e + 1


@njit(cache=True)
def _fo_move(g, fo, v):
    """``v`` was replaced: its live fanouts become fanouts of the replacement's node."""
    head, nxt, node = fo[0], fo[1], fo[2]
    ref = g[3]
    u = g[2][v] >> 1
    e = head[v]
    while e >= 0:
        w = node[e]
        if ref[w] > 0:
            _fo_add(fo, u, w)
        e = nxt[e]


@njit(cache=True)
def _is_fanout(g, w, d):
    """Whether live node ``w`` has ``d`` as a (resolved) fanin."""
    F0, F1, rep, ref = g[0], g[1], g[2], g[3]
    if ref[w] <= 0 or rep[w] >= 0:
        return False
    return (resolve(F0[w], rep) >> 1) == d or (resolve(F1[w], rep) >> 1) == d


# -- truth-table tests ---------------------------------------------------------------------------

@njit(cache=True)
def _classify(t, f, nw):
    """Bits: 1 ``t <= f``, 2 ``~t <= f``, 4 ``f <= t``, 8 ``f <= ~t``."""
    c = 15
    for w in range(nw):
        if t[w] & ~f[w]:
            c &= ~1
        if ~t[w] & ~f[w]:
            c &= ~2
        if f[w] & ~t[w]:
            c &= ~4
        if f[w] & t[w]:
            c &= ~8
        if c == 0:
            break
    return c


@njit(cache=True, inline="always")
def _lit_table(tabs, slot, lit, out, nw):
    """``out`` = truth table of divisor literal ``lit``."""
    m = ALL if lit & 1 else np.uint64(0)
    t = tabs[slot[lit >> 1]]
    for q in range(nw):
        out[q] = t[q] ^ m


@njit(cache=True)
def _peek_and(g, a, b):
    """Literal of ``a & b`` if it folds or exists (live), else -1."""
    a, b, folded = and_fold(a, b)
    if folded >= 0:
        return folded
    u = lookup(g, a, b)
    return 2 * u if u >= 0 else -1


@njit(cache=True)
def _try_form(g, v, p, q, si, r, so, limit, preserve, rv, nodes):
    """Price and build ``(((p & q) ^ si) & r) ^ so`` (``nodes == 2``) or ``(p & q) ^ so``
    (``nodes == 1``) as the replacement of ``v``: returns ``(literal, nodes added)``, or
    ``(-1, -1)`` when it adds more than ``limit`` nodes, is ``v`` itself or is too deep."""
    first = g[11][0]
    x = _peek_and(g, p, q)
    if x >= 0 and (x >> 1) == v:
        return -1, -1
    price = 1 if x < 0 or (x >> 1 >= first and in_mffc(g, x >> 1)) else 0
    if x >= 0:
        lev_x = lev_bound(g, x >> 1, v)
    else:
        lp = lev_bound(g, p >> 1, v)
        lq = lev_bound(g, q >> 1, v)
        lev_x = (lp if lp > lq else lq) + 1
    top_lev = lev_x
    if nodes == 2:
        y = _peek_and(g, x ^ si, r) if x >= 0 else -1
        if y >= 0 and (y >> 1) == v:
            return -1, -1
        price += 1 if y < 0 or (y >> 1 >= first and in_mffc(g, y >> 1)) else 0
        if y >= 0:
            top_lev = lev_bound(g, y >> 1, v)
        else:
            lr = lev_bound(g, r >> 1, v)
            top_lev = (lev_x if lev_x > lr else lr) + 1
    if price > limit or (preserve and top_lev > rv):
        return -1, -1
    x = add_and(g, v, p, q)
    if nodes == 1:
        return x ^ so, price
    return add_and(g, v, x ^ si, r) ^ so, price


@njit(cache=True)
def _collect_divisors(g, fo, v, leaves, nl, order, ni, divs, max_divs, dmark, seen, stamp, slot,
                      tabs, vw, preserve, rv):
    """Divisors of ``v``'s window (module docstring) into ``divs``; fanout divisors get table
    rows after the cone's. Returns their number."""
    F0, F1, rep, ref = g[0], g[1], g[2], g[3]
    head, nxt, node = fo[0], fo[1], fo[2]
    nd = 0
    for i in range(nl):
        divs[nd] = leaves[i]
        dmark[leaves[i]] = stamp
        nd += 1
    for k in range(ni - 1):  # order[ni - 1] is v
        x = order[k]
        if not in_mffc(g, x) and nd < max_divs:
            divs[nd] = x
            dmark[x] = stamp
            nd += 1
    nt = nl + ni  # next free table row
    k = 0
    while k < nd and nd < max_divs:
        d = divs[k]
        k += 1
        if ref[d] > _FANOUT_SKIP:
            continue
        e = head[d]
        while e >= 0 and nd < max_divs:
            w = node[e]
            e = nxt[e]
            if dmark[w] == stamp or seen[w] == stamp or w == v or not _is_fanout(g, w, d):
                continue
            if preserve and lev_bound(g, w, v) > rv:
                continue
            a = resolve(F0[w], rep)
            b = resolve(F1[w], rep)
            if dmark[a >> 1] != stamp or dmark[b >> 1] != stamp:
                continue
            ta = tabs[slot[a >> 1]]
            tb = tabs[slot[b >> 1]]
            ma = ALL if a & 1 else np.uint64(0)
            mb = ALL if b & 1 else np.uint64(0)
            for q in range(vw):
                tabs[nt, q] = (ta[q] ^ ma) & (tb[q] ^ mb)
            slot[w] = nt
            nt += 1
            divs[nd] = w
            dmark[w] = stamp
            nd += 1
    return nd


@njit(cache=True)
def _fo_new(g, fo):
    """Register the fanins of the nodes created since the last call."""
    F0, F1, meta = g[0], g[1], g[11]
    done = fo[4]
    for u in range(done[0], meta[4]):
        _fo_add(fo, F0[u] >> 1, u)
        _fo_add(fo, F1[u] >> 1, u)
    done[0] = meta[4]


# -- the sweep -----------------------------------------------------------------------------------

@njit(cache=True)
def resub_kernel(f0, f1, num_inputs, outputs, K, max_added, max_divs, zero_gain, preserve,
                 extra):
    """One resubstitution sweep (module docstring). Returns new fanins/outputs and counters."""
    g = edit_start(f0, f1, num_inputs, outputs, extra, preserve)
    F0, F1, req, meta = g[0], g[1], g[5], g[11]
    first = 1 + num_inputs
    n = first + len(f0)
    cap = meta[2]
    # fanout lists of the input graph: head, next, node, used, nodes registered so far
    fo_len = 4 * cap + 1024
    fo = (np.full(cap, -1, dtype=np.int64), np.zeros(fo_len, dtype=np.int64),
          np.zeros(fo_len, dtype=np.int64), np.zeros(1, dtype=np.int64),
          np.array([n], dtype=np.int64))
    for w in range(first, n):
        _fo_add(fo, F0[w] >> 1, w)
        _fo_add(fo, F1[w] >> 1, w)
    nw = 1 << max(0, K - 6)
    mark = np.zeros(cap, dtype=np.int64)
    seen = np.zeros(cap, dtype=np.int64)
    slot = np.zeros(cap, dtype=np.int64)
    dmark = np.zeros(cap, dtype=np.int64)
    leaves = np.zeros(K + 2, dtype=np.int64)
    tabs = np.zeros((K + _MAX_CONE + max_divs + 1, nw), dtype=np.uint64)
    stack = np.zeros(2 * _MAX_CONE + K + 8, dtype=np.int64)
    order = np.zeros(_MAX_CONE + K, dtype=np.int64)
    divs = np.zeros(max_divs, dtype=np.int64)  # divisor nodes; their tables: tabs[slot[d]]
    f = np.zeros(nw, dtype=np.uint64)
    # unate divisor literals: side 0 OR-able (lit <= f), side 1 AND-able (lit >= f)
    un = np.zeros((2, _MAX_UNATE), dtype=np.int64)
    nun = np.zeros(2, dtype=np.int64)
    bi = np.zeros(_MAX_BINATE, dtype=np.int64)  # binate divisor nodes
    # pairs of binate literals: side 0 with AND <= f, side 1 with OR >= f; and those tables
    pairs = np.zeros((2, _MAX_PAIRS, 2), dtype=np.int64)
    ptab = np.zeros((2, _MAX_PAIRS, nw), dtype=np.uint64)
    npair = np.zeros(2, dtype=np.int64)
    lt = np.zeros((3, nw), dtype=np.uint64)  # tables of candidate literals
    counters = np.zeros(6, dtype=np.int64)  # forms with 0/1/2 nodes, merged, gain, created
    stamp = 0
    for v in range(first, n):
        state = visit(g, v)
        if state == 1:
            counters[3] += 1
            _fo_move(g, fo, v)
        if state != 2:
            continue
        stamp += 1
        nl = find_cut(g, v, K, 1 << 40, leaves, mark, stamp)
        ni = cone_truth(g, v, leaves, nl, mark, stamp, seen, slot, tabs, stack, order)
        if ni < 0:
            continue
        vw = 1 << max(0, nl - 6)
        f[:vw] = tabs[slot[v], :vw]
        saved = mffc_mark(g, v, leaves, nl)
        limit = saved if zero_gain else saved - 1  # most nodes a form may add
        rv = req[v]
        nd = _collect_divisors(g, fo, v, leaves, nl, order, ni, divs, max_divs, dmark, seen,
                               stamp, slot, tabs, vw, preserve, rv)
        # cheapest first: 0 nodes (a constant or a divisor), 1 node, 2 nodes
        kind = 0
        price = 0
        built = _resub0(g, v, f, vw, divs, nd, tabs, slot, preserve, rv)
        if built < 0:
            if limit < 1 or max_added < 1 or not room(g, 2):
                continue
            nbi = _sort_divisors(g, v, f, vw, divs, nd, tabs, slot, preserve, rv, un, nun, bi)
            kind = 1
            built, price = _resub1(g, v, f, vw, tabs, slot, un, nun, lt, limit, preserve, rv)
            if built < 0:
                if limit < 2 or max_added < 2:
                    continue
                kind = 2
                built, price = _resub2(g, v, f, vw, tabs, slot, un, nun, bi, nbi, lt, pairs,
                                       ptab, npair, limit, preserve, rv)
        if built >= 0:
            _commit(g, fo, v, built)
            counters[kind] += 1
            counters[4] += saved - price
    g0, g1, nout, created = edit_finish(g, outputs)
    counters[5] = created
    return g0, g1, nout, counters


@njit(cache=True)
def _resub0(g, v, f, vw, divs, nd, tabs, slot, preserve, rv):
    """``v`` as a constant or a divisor (0 nodes): its literal, or -1."""
    if is_const(f, vw, np.uint64(0)):
        return 0
    if is_const(f, vw, ALL):
        return 1
    for i in range(nd):
        d = divs[i]
        if preserve and lev_bound(g, d, v) > rv:
            continue
        c = _classify(tabs[slot[d]], f, vw)
        if c & 5 == 5:  # t <= f and f <= t
            return 2 * d
        if c & 10 == 10:
            return 2 * d + 1
    return -1


@njit(cache=True)
def _sort_divisors(g, v, f, vw, divs, nd, tabs, slot, preserve, rv, un, nun, bi):
    """Sort the divisors that can sit below a new node by unateness against ``f``: unate
    literals into ``un`` (side 0 OR-able, side 1 AND-able), binate nodes into ``bi``; returns
    the number of binate ones."""
    nun[0] = 0
    nun[1] = 0
    nbi = 0
    for i in range(nd):
        d = divs[i]
        ld = lev_bound(g, d, v)
        if preserve and ld > rv - 1:
            continue
        c = _classify(tabs[slot[d]], f, vw)
        if c == 0:
            if nbi < _MAX_BINATE and (not preserve or ld <= rv - 2):
                bi[nbi] = d
                nbi += 1
            continue
        for j in range(4):
            side = j >> 1  # bits 1, 2: OR-able (d, ~d); 4, 8: AND-able
            if (c >> j) & 1 and nun[side] < _MAX_UNATE:
                un[side, nun[side]] = 2 * d + (j & 1)
                nun[side] += 1
    return nbi


@njit(cache=True)
def _resub1(g, v, f, vw, tabs, slot, un, nun, lt, limit, preserve, rv):
    """1 node: the OR of two OR-able literals or the AND of two AND-able ones, built; returns
    ``(literal, nodes added)`` or ``(-1, 0)``."""
    for side in range(2):
        m = nun[side]
        inv = 1 - side  # a | b = ~(~a & ~b)
        for i in range(m):
            _lit_table(tabs, slot, un[side, i], lt[0], vw)
            for j in range(i + 1, m):
                _lit_table(tabs, slot, un[side, j], lt[1], vw)
                if not _combines_to(lt[0], lt[1], lt[1], f, side, vw):
                    continue
                built, price = _try_form(g, v, un[side, i] ^ inv, un[side, j] ^ inv, 0, 0,
                                         inv, limit, preserve, rv, 1)
                if built >= 0:
                    return built, price
    return -1, 0


@njit(cache=True)
def _resub2(g, v, f, vw, tabs, slot, un, nun, bi, nbi, lt, pairs, ptab, npair, limit,
            preserve, rv):
    """2 nodes: the OR (AND) of three unate literals, else a unate literal and a pair of
    binate ones, ``u | (a & b)`` or ``u & (a | b)``; built, returns ``(literal, nodes
    added)`` or ``(-1, 0)``."""
    for side in range(2):
        m = min(nun[side], 24)
        inv = 1 - side
        for i in range(m):
            _lit_table(tabs, slot, un[side, i], lt[0], vw)
            for j in range(i + 1, m):
                _lit_table(tabs, slot, un[side, j], lt[1], vw)
                for k in range(j + 1, m):
                    _lit_table(tabs, slot, un[side, k], lt[2], vw)
                    if not _combines_to(lt[0], lt[1], lt[2], f, side, vw):
                        continue
                    built, price = _try_form(g, v, un[side, i] ^ inv, un[side, j] ^ inv, 0,
                                             un[side, k] ^ inv, inv, limit, preserve, rv, 2)
                    if built >= 0:
                        return built, price
    _binate_pairs(f, vw, tabs, slot, bi, nbi, lt, pairs, ptab, npair)
    for side in range(2):
        inv = 1 - side
        for i in range(nun[side]):
            _lit_table(tabs, slot, un[side, i], lt[0], vw)
            for p in range(npair[side]):
                if not _combines_to(lt[0], ptab[side, p], ptab[side, p], f, side, vw):
                    continue
                # side 0: ~(~(a & b) & ~u); side 1: ~(~a & ~b) & u
                built, price = _try_form(g, v, pairs[side, p, 0] ^ side,
                                         pairs[side, p, 1] ^ side, 1,
                                         un[side, i] ^ inv, inv, limit, preserve, rv, 2)
                if built >= 0:
                    return built, price
    return -1, 0


@njit(cache=True)
def _binate_pairs(f, vw, tabs, slot, bi, nbi, lt, pairs, ptab, npair):
    """Pairs of binate literals whose AND lies below ``f`` (side 0) or whose OR lies above it
    (side 1), with those tables."""
    npair[0] = 0
    npair[1] = 0
    for i in range(nbi):
        for j in range(i + 1, nbi):
            for pol in range(4):
                la = 2 * bi[i] + (pol & 1)
                lb = 2 * bi[j] + (pol >> 1)
                _lit_table(tabs, slot, la, lt[0], vw)
                _lit_table(tabs, slot, lb, lt[1], vw)
                below = True  # la & lb <= f
                above = True  # la | lb >= f
                for q in range(vw):
                    if lt[0, q] & lt[1, q] & ~f[q]:
                        below = False
                    if f[q] & ~(lt[0, q] | lt[1, q]):
                        above = False
                for side in range(2):
                    ok = below if side == 0 else above
                    p = npair[side]
                    if ok and p < _MAX_PAIRS:
                        pairs[side, p, 0] = la
                        pairs[side, p, 1] = lb
                        for q in range(vw):
                            ptab[side, p, q] = ((lt[0, q] & lt[1, q]) if side == 0
                                                else (lt[0, q] | lt[1, q]))
                        npair[side] += 1


@njit(cache=True)
def _combines_to(a, b, c, f, side, nw):
    """``a | b | c == f`` (side 0) or ``a & b & c == f`` (side 1)."""
    same = True
    for q in range(nw):
        x = (a[q] | b[q] | c[q]) if side == 0 else (a[q] & b[q] & c[q])
        if x != f[q]:
            same = False
            break
    return same


@njit(cache=True)
def _commit(g, fo, v, lit):
    """Replace ``v`` by ``lit`` and bring the fanout lists up to date."""
    replace(g, v, lit)
    _fo_move(g, fo, v)
    _fo_new(g, fo)


def resub(aig: AIG, params: ResubParams | None = None) -> tuple[AIG, PassStats]:
    """Windowed resubstitution (ABC ``resub``; ``zero_gain`` = ``resub -z``) of any AIG
    (cleaned up first, see :func:`~gatecomp.passes.base.run_sweep`); ``params`` ``None`` means
    the defaults.

    Returns the resubstituted AIG (same function; with ``zero_gain=False`` never more ANDs;
    with ``preserve_levels`` never deeper) and stats; ``stats.extra`` counts the nodes replaced
    by 0-, 1- and 2-node forms, nodes merged as duplicates, the estimated total gain and nodes
    created.
    """
    p = params or ResubParams()

    def kernel(f0, f1, outs, extra):
        return resub_kernel(f0, f1, aig.num_inputs, outs, p.cut_size, p.max_added,
                            p.max_divisors, p.zero_gain, p.preserve_levels, extra)

    return run_sweep(aig, "resub", p.zero_gain, kernel,
                     ("resub0", "resub1", "resub2", "merged", "estimated_gain", "created"))
