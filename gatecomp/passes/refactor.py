"""``refactor``: collapse each node's reconvergent cone and re-factor it (ABC ``rf`` / ``rfz``).

One sweep over the AND nodes in topological order on the editable graph of ``dag_edit``; for
each live node ``v``:

1. a *reconvergence-driven cut* of at most ``cut_size`` leaves (``window.find_cut``, ABC
   ``Abc_NodeFindCut``): start from the fanins and repeatedly expand the leaf whose fanins add
   the fewest new leaves (ties: the deepest), never an input, and a leaf with more than
   ``fanout_stop`` references only when that does not grow the cut;
2. the cone between the cut and ``v`` is simulated into a truth table over the leaves
   (``window.cone_truth``);
3. the function (or its complement) is re-factored (``factor``: ISOP, algebraic factoring);
4. the new structure is priced like ``rewrite`` prices library structures: nodes of ``v``'s
   MFFC (bounded by the cut) die, structure nodes that already exist outside it are free, and
   with ``preserve_levels`` the root must not exceed ``v``'s required level. The structure is
   built when it saves nodes (``> 0``; ``>= 0`` with ``zero_gain``, ABC ``refactor -z``).

Functions that are constant or equal to a leaf are caught on the way (0 nodes added). Nodes
created by the sweep are not refactored again in the same sweep (as in ABC).

Two shortcuts keep the sweep about as fast as ``rewrite`` (measured on the EPFL circuits, they
cost no ANDs): a node whose MFFC is the node alone is only checked for a constant or a leaf
function (a factored form would have to exist already, all but its root), and covers of more
than ``max_cubes`` cubes in both polarities are not factored (accepted structures come from
covers of at most ~15 cubes). Required levels are those of the input graph, as in ``rewrite``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..aig import AIG
from ..logic.dag_edit import (
    build_struct,
    count_struct,
    edit_finish,
    edit_start,
    lev_bound,
    mffc_mark,
    replace,
    resolve,
    room,
    visit,
)
from ..logic.factor import factor_truth, trivial_literal, workspace
from ..logic.window import cone_truth, find_cut
from .base import PassStats, run_sweep

_MAX_CONE = 512  # cones with more internal nodes are skipped
_MAX_STRUCT = 256  # ANDs a factored structure may have


@dataclass(frozen=True)
class RefactorParams:
    """Options of :func:`refactor`.

    Attributes
    ----------
    zero_gain:
        Also accept structures that keep the AND count (ABC ``refactor -z``).
    cut_size:
        Most leaves of the reconvergence-driven cut (ABC ``-N``, default 10).
    fanout_stop:
        A leaf with more references is expanded only if that does not add leaves.
    max_cubes:
        Covers with more cubes (in both polarities) are not factored.
    preserve_levels:
        Never let a node exceed its required level in the input graph (depth never grows).
    mffc_cut:
        The cut is the support of the node's MFFC, entered down to 10 levels below the node
        (ABC ``drf``, the refactoring of ``dc2``): the whole cone dies, so any cheaper factored
        form pays. Nodes whose MFFC is a single AND are skipped; a support of more than
        ``cut_size`` leaves falls back to the reconvergence-driven cut.
    """

    zero_gain: bool = False
    cut_size: int = 10
    fanout_stop: int = 2
    max_cubes: int = 32
    preserve_levels: bool = True
    mffc_cut: bool = False

    def __post_init__(self) -> None:
        if not 2 <= self.cut_size <= 12:
            raise ValueError(f"cut_size must be in 2..12, got {self.cut_size}")
        if self.max_cubes < 1:
            raise ValueError(f"max_cubes must be >= 1, got {self.max_cubes}")


@njit(cache=True)
def mffc_support(g, v, level_min, leaves, K, mark, stamp, stack, cone, undo):
    """Leaves of ``v``'s MFFC entered through nodes above ``level_min`` (ABC
    ``Aig_NodeMffcSupp``); returns their number, or -1 when there are more than ``K`` (or
    the cone overflows ``cone``). The cone and the leaves get ``mark[x] = stamp``."""
    F0, F1, rep, ref, lev, meta = g[0], g[1], g[2], g[3], g[4], g[11]
    first = meta[0]
    nc = 0
    nu = 0
    sp = 0
    stack[sp] = v
    sp += 1
    cone[nc] = v
    nc += 1
    ok = True
    while sp > 0:
        sp -= 1
        x = stack[sp]
        for side in range(2):
            y = resolve(F0[x] if side == 0 else F1[x], rep) >> 1
            if y < first or lev[y] <= level_min:
                continue
            ref[y] -= 1
            undo[nu] = y
            nu += 1
            if ref[y] == 0:
                if nc >= len(cone) or sp >= len(stack):
                    ok = False
                    break
                cone[nc] = y
                nc += 1
                stack[sp] = y
                sp += 1
        if not ok:
            break
    for i in range(nu):
        ref[undo[i]] += 1
    if not ok:
        return -1
    for i in range(nc):
        mark[cone[i]] = stamp
    nl = 0
    for i in range(nc):
        x = cone[i]
        for side in range(2):
            y = resolve(F0[x] if side == 0 else F1[x], rep) >> 1
            if mark[y] != stamp:
                if nl >= K:
                    return -1
                mark[y] = stamp
                leaves[nl] = y
                nl += 1
    return nl


@njit(cache=True)
def refactor_kernel(f0, f1, num_inputs, outputs, K, fanout_stop, zero_gain, preserve, extra,
                    ws, mffc_cut=False):
    """One refactoring sweep (module docstring). Returns new fanins/outputs and counters."""
    g = edit_start(f0, f1, num_inputs, outputs, extra, preserve)
    req, meta = g[5], g[11]
    first = 1 + num_inputs
    n = first + len(f0)
    cap = meta[2]
    nw = 1 << max(0, K - 6)
    mark = np.zeros(cap, dtype=np.int64)
    seen = np.zeros(cap, dtype=np.int64)
    slot = np.zeros(cap, dtype=np.int64)
    leaves = np.zeros(K + 2, dtype=np.int64)
    tabs = np.zeros((K + _MAX_CONE, nw), dtype=np.uint64)
    stack = np.zeros(2 * _MAX_CONE + K + 8, dtype=np.int64)
    order = np.zeros(_MAX_CONE + K, dtype=np.int64)
    fan = np.zeros((_MAX_STRUCT, 2), dtype=np.int64)
    gn = np.zeros(2, dtype=np.int64)
    loc = np.zeros(2 + 2 * K + 2 * _MAX_STRUCT, dtype=np.int64)
    loclev = np.zeros(1 + K + _MAX_STRUCT, dtype=np.int64)
    counters = np.zeros(6, dtype=np.int64)  # refactored, merged, gain, created, skipped, trivial
    mstack = np.zeros(2 * _MAX_CONE + 8, dtype=np.int64)
    mcone = np.zeros(_MAX_CONE, dtype=np.int64)
    mundo = np.zeros(2 * _MAX_CONE + 8, dtype=np.int64)
    stamp = 0
    for v in range(first, n):
        state = visit(g, v)
        if state == 1:
            counters[1] += 1
        if state != 2:
            continue
        stamp += 1
        nl = -1
        if mffc_cut:
            nl = mffc_support(g, v, max(0, g[4][v] - 10), leaves, K, mark, stamp, mstack,
                              mcone, mundo)
            if nl == 0:
                continue
            if nl < 0:
                stamp += 1
        if nl < 0:
            nl = find_cut(g, v, K, fanout_stop, leaves, mark, stamp)
        ni = cone_truth(g, v, leaves, nl, mark, stamp, seen, slot, tabs, stack, order)
        if ni < 0:
            counters[4] += 1
            continue
        vw = 1 << max(0, nl - 6)
        tt = tabs[nl + ni - 1, :vw].copy()
        saved = mffc_mark(g, v, leaves, nl)
        if mffc_cut and saved < 2:
            continue
        if saved == 1:
            # only a constant or a leaf can pay (or, with zero_gain, one node over existing
            # logic, which rarely helps): do not factor
            root = trivial_literal(tt, nl)
            gn[0] = 0
            if root < 0:
                continue
        else:
            root = factor_truth(tt, nl, fan, gn, ws)
        if root < 0:
            counters[4] += 1
            continue
        nst = gn[0]
        node0 = 2 + 2 * nl
        loc[0] = 0
        loc[1] = 1
        loclev[0] = 0
        for i in range(nl):
            loc[2 + 2 * i] = 2 * leaves[i]
            loc[3 + 2 * i] = 2 * leaves[i] + 1
            loclev[1 + i] = lev_bound(g, leaves[i], v)
        added = count_struct(g, v, loc, loclev, fan, nst, node0,
                             saved if zero_gain else saved - 1)
        if added < 0:
            continue
        rlit = loc[root]
        rl = loclev[root >> 1]
        if rlit >= 0 and (rlit >> 1) == v:
            continue
        if preserve and rl > req[v]:
            continue
        gain = saved - added
        if gain < 0 or (gain == 0 and not zero_gain):
            continue
        if not room(g, nst):
            continue
        build_struct(g, v, loc, fan, nst, node0)
        replace(g, v, loc[root])
        counters[0] += 1
        counters[2] += gain
        if nst == 0:
            counters[5] += 1
    g0, g1, nout, created = edit_finish(g, outputs)
    counters[3] = created
    return g0, g1, nout, counters


def refactor(aig: AIG, params: RefactorParams | None = None) -> tuple[AIG, PassStats]:
    """Cone collapsing and re-factoring (ABC ``refactor``; ``zero_gain`` = ``refactor -z``) of
    any AIG (cleaned up first, see :func:`~gatecomp.passes.base.run_sweep`); ``params``
    ``None`` means the defaults.

    Returns the refactored AIG (same function; with ``zero_gain=False`` never more ANDs; with
    ``preserve_levels`` never deeper) and stats; ``stats.extra`` counts nodes refactored, nodes
    merged as duplicates, the estimated total gain, nodes created, nodes skipped (cone or cover
    too large) and nodes found constant or equal to a leaf.
    """
    p = params or RefactorParams()

    def kernel(f0, f1, outs, extra):
        ws = workspace(p.cut_size, p.max_cubes)
        return refactor_kernel(f0, f1, aig.num_inputs, outs, p.cut_size, p.fanout_stop,
                               p.zero_gain, p.preserve_levels, extra, ws, p.mffc_cut)

    return run_sweep(aig, "refactor", p.zero_gain, kernel,
                     ("refactored", "merged", "estimated_gain", "created", "skipped", "trivial"))
