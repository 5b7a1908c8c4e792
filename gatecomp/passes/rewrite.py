"""``rewrite``: DAG-aware 4-input cut rewriting with the NPN library (ABC ``rw`` / ``rwz``).

Mishchenko, Chatterjee, Brayton, "DAG-aware AIG rewriting", DAC 2006. One sweep over the AND
nodes in topological order, on the editable graph of ``dag_edit`` (shared with ``refactor`` and
``resub``: lazy replacement, reference counts, MFFC, structure pricing and building):

1. the node's fanins are resolved through earlier replacements; a node that became trivial or a
   structural duplicate is merged away;
2. its 4-feasible cuts are enumerated from the fanins' cuts (at most ``cuts_per_node`` kept,
   smallest first, dominated cuts dropped) with their truth tables (``logic.truth_tables``);
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
priority-limited instead of all 4-feasible cuts (12 per node by default: 8 lost 5% on ``div``),
and required levels are not updated as the
graph shrinks (ABC recomputes them, which lets later nodes use freed slack).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..aig import AIG
from ..logic.dag_edit import (
    BIG_LEVEL,
    build_struct,
    count_struct,
    edit_finish,
    edit_start,
    lev_bound,
    mffc_mark,
    replace,
    room,
    visit,
)
from ..logic.npn import npn_table
from ..logic.truth_tables import (
    SWAP_MASK,
    VAR_TT,
    leaves_subset,
    tt_drop_vacuous,
    tt_stretch,
)
from .base import PassStats, run_sweep
from .rewrite_forest import load_forest

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
    structures:
        Structures tried per cut, of the class's forest (``rewrite_forest``; 1: the library's
        smallest only, ABC ``drw -N``): more find more sharing with the graph.
    zero_gain_deepens:
        Whether a zero-gain replacement may be deeper than the node it replaces (below the
        required level). ``False`` keeps only those that do not deepen it, so levels freed by
        ``preserve_levels=False`` are not spent on moves that save nothing.
    """

    zero_gain: bool = False
    cuts_per_node: int = 12
    preserve_levels: bool = True
    structures: int = 1
    zero_gain_deepens: bool = True

    def __post_init__(self) -> None:
        if self.cuts_per_node < 1:
            raise ValueError(f"cuts_per_node must be >= 1, got {self.cuts_per_node}")
        if self.structures < 1:
            raise ValueError(f"structures must be >= 1, got {self.structures}")


@njit(cache=True)
def _compute_cuts(x, a, b, C, first, has_cuts, ncut, cl, cs, ct, sl, ss, st, pa, pb, masks,
                  var_tt):
    """Cuts of node ``x = a & b`` from its fanins' cuts (trivial cuts implicit).

    The loop over pairs of fanin cuts (leaf merge, tables, dominance) stays inline: it is the
    pass's hot path, and helpers per cut pair measured slower in ``lutmap``'s same loop."""
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
            t, s = tt_drop_vacuous(t, sl[n_sc], s, masks, var_tt)
            # duplicates / dominance against the scratch cuts kept so far
            dominated = False
            for y in range(n_sc):
                if ss[y] <= s and leaves_subset(sl[y], ss[y], sl[n_sc], s):
                    dominated = True
                    break
            if dominated:
                continue
            y = 0
            while y < n_sc:  # remove scratch cuts the new one dominates
                if s < ss[y] and leaves_subset(sl[n_sc], s, sl[y], ss[y]):
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
    _keep_smallest(x, C, n_sc, sl, ss, st, cl, cs, ct, ncut)
    has_cuts[x] = True


@njit(cache=True)
def _keep_smallest(x, C, n_sc, sl, ss, st, cl, cs, ct, ncut):
    """Store the ``C`` smallest of the ``n_sc`` scratch cuts as ``x``'s (stable by size)."""
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


@njit(cache=True)
def rewrite_kernel(f0, f1, num_inputs, outputs, cls_of, perm_of, neg_of, out_of, cls_first,
                   st_off, st_fan, st_root, S, C, zero_gain, deepen, preserve, extra):
    """One rewriting sweep (module docstring); class ``c`` may use structures
    ``cls_first[c]`` onwards, at most ``S``. Returns new fanins/outputs and counters."""
    g = edit_start(f0, f1, num_inputs, outputs, extra, preserve)
    F0, F1, lev, req, meta = g[0], g[1], g[4], g[5], g[11]
    first = 1 + num_inputs
    n = first + len(f0)
    cap = meta[2]
    has_cuts = np.zeros(cap, dtype=np.bool_)
    ncut = np.zeros(cap, dtype=np.int64)
    cl = np.zeros((cap, C, 4), dtype=np.int32)
    cs = np.zeros((cap, C), dtype=np.int8)
    ct = np.zeros((cap, C), dtype=np.uint64)
    ns = (C + 1) * (C + 1) + 1
    sl = np.zeros((ns + 1, 4), dtype=np.int64)
    ss = np.zeros(ns + 1, dtype=np.int64)
    st = np.zeros(ns + 1, dtype=np.uint64)
    pa = np.zeros(4, dtype=np.int64)
    pb = np.zeros(4, dtype=np.int64)
    loc = np.zeros(_NODE0 + 2 * _MAX_STRUCT, dtype=np.int64)
    loclev = np.zeros(_NODE0 // 2 + _MAX_STRUCT, dtype=np.int64)
    n_rewritten = 0
    n_merged = 0
    total_gain = 0
    for v in range(first, n):
        state = visit(g, v)
        if state == 1:
            n_merged += 1
        if state != 2:
            continue
        _compute_cuts(v, F0[v], F1[v], C, first, has_cuts, ncut, cl, cs, ct, sl, ss, st, pa, pb,
                      SWAP_MASK, VAR_TT)
        # -- evaluate every cut -----------------------------------------------------------
        best_gain = -1
        best_cut = -1
        best_struct = -1
        best_lev = BIG_LEVEL
        for c in range(ncut[v]):
            size = cs[v, c]
            if _stale(g, cl[v, c], size):
                continue
            t16 = np.int64(ct[v, c] & np.uint64(0xFFFF))
            cls = cls_of[t16]
            _place_leaves(v, c, size, t16, cl, perm_of, neg_of, loc)
            for i in range(4):
                loclev[1 + perm_of[t16, i]] = (lev_bound(g, cl[v, c, i], v) if i < size else 0)
            saved = mffc_mark(g, v, cl[v, c], size)
            s_end = min(cls_first[cls + 1], cls_first[cls] + S)
            for s in range(cls_first[cls], s_end):
                o0 = st_off[s]
                added = count_struct(g, v, loc, loclev, st_fan[o0:], st_off[s + 1] - o0,
                                     _NODE0, saved if zero_gain else saved - 1)
                if added < 0:
                    continue
                root = st_root[s]
                rl = loclev[root >> 1]
                rlit = loc[root]
                if rlit >= 0 and (rlit >> 1) == v:
                    continue
                if preserve and rl > req[v]:
                    continue
                gain = saved - added
                if gain == 0 and rl > lev[v] and not deepen:
                    continue
                if gain > best_gain or (gain == best_gain and rl < best_lev):
                    best_gain = gain
                    best_cut = c
                    best_struct = s
                    best_lev = rl
        if best_cut < 0 or (best_gain == 0 and not zero_gain):
            continue
        if not room(g, _MAX_STRUCT):
            continue  # out of room: leave the rest as it is
        # -- build the chosen structure -----------------------------------------------------
        c = best_cut
        t16 = np.int64(ct[v, c] & np.uint64(0xFFFF))
        _place_leaves(v, c, cs[v, c], t16, cl, perm_of, neg_of, loc)
        s = best_struct
        o0 = st_off[s]
        top0 = meta[4]
        build_struct(g, v, loc, st_fan[o0:], st_off[s + 1] - o0, _NODE0)
        for u in range(top0, meta[4]):
            _compute_cuts(u, F0[u], F1[u], C, first, has_cuts, ncut, cl, cs, ct, sl, ss, st,
                          pa, pb, SWAP_MASK, VAR_TT)
        replace(g, v, loc[st_root[s]] ^ out_of[t16])
        n_rewritten += 1
        total_gain += best_gain
    g0, g1, nout, created = edit_finish(g, outputs)
    counters = np.array([n_rewritten, n_merged, total_gain, created], dtype=np.int64)
    return g0, g1, nout, counters


@njit(cache=True)
def _stale(g, leaves, size):
    """Whether a leaf of the cut was replaced since the cut was computed (a new node's cut
    may have an unvisited node as a leaf): the leaves are then no cut of ``v``'s current cone,
    and a structure over them could reach ``v`` itself and close a cycle."""
    rep = g[2]
    replaced = 0
    for i in range(size):
        replaced += rep[leaves[i]] >= 0
    return replaced > 0


@njit(cache=True)
def _place_leaves(v, c, size, t16, cl, perm_of, neg_of, loc):
    """Library input ``perm[i]`` <- leaf ``i`` ^ ``neg_i`` (vacuous positions: constant 0)."""
    for i in range(4):
        leaf = 2 * cl[v, c, i] if i < size else 0
        lit = leaf ^ ((neg_of[t16] >> i) & 1)
        loc[2 + 2 * perm_of[t16, i]] = lit
        loc[3 + 2 * perm_of[t16, i]] = lit ^ 1
    loc[0] = 0
    loc[1] = 1


def rewrite(aig: AIG, params: RewriteParams | None = None) -> tuple[AIG, PassStats]:
    """DAG-aware 4-input cut rewriting (ABC ``rewrite``; ``zero_gain`` = ``rewrite -z``) of any
    AIG (cleaned up first, see :func:`~gatecomp.passes.base.run_sweep`); ``params`` ``None``
    means the defaults.

    Returns the rewritten AIG (same function; with ``zero_gain=False`` never more ANDs; with
    ``preserve_levels`` never deeper) and stats; ``stats.extra`` counts nodes rewritten, nodes
    merged as duplicates, the estimated total gain and nodes created.
    """
    p = params or RewriteParams()

    def kernel(f0, f1, outs, extra):
        _, cls_of, perm, neg, out = npn_table()
        lib = load_forest()
        return rewrite_kernel(f0, f1, aig.num_inputs, outs, cls_of, perm, neg, out, lib.first,
                              lib.offset, lib.fanins, lib.root, p.structures,
                              p.cuts_per_node, p.zero_gain, p.zero_gain_deepens,
                              p.preserve_levels, extra)

    return run_sweep(aig, "rewrite", p.zero_gain, kernel,
                     ("rewritten", "merged", "estimated_gain", "created"))
