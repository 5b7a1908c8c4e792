"""Windows around a node: reconvergence-driven cuts and cone simulation (``refactor``, ``resub``).

Both work on the editable graph of ``dag_edit`` (fanins resolved through replacements). A cut
is grown from the node's fanins by expanding, one at a time, the leaf whose fanins add the
fewest new leaves (ABC ``Abc_NodeFindCut``); the cone between the cut and the node is then
simulated over the leaves with ``uint64`` truth tables (the layout of ``factor``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .dag_edit import resolve
from .factor import ALL, var_table


@njit(cache=True)
def find_cut(g, v, K, fanout_stop, leaves, mark, stamp):
    """Reconvergence-driven cut of ``v`` (module docstring); returns the number of leaves.
    Every node of the cone, ``v`` and the leaves included, gets ``mark[x] = stamp``."""
    F0, F1, rep, ref, lev, meta = g[0], g[1], g[2], g[3], g[4], g[11]
    first = meta[0]
    a = F0[v] >> 1
    b = F1[v] >> 1
    mark[v] = stamp
    mark[a] = stamp
    mark[b] = stamp
    leaves[0] = a
    leaves[1] = b
    nl = 2
    while True:
        best = -1
        best_cost = 100
        for i in range(nl):
            x = leaves[i]
            if x < first:
                continue
            xa = resolve(F0[x], rep) >> 1
            xb = resolve(F1[x], rep) >> 1
            cost = (1 if mark[xa] != stamp else 0)
            if xb != xa and mark[xb] != stamp:
                cost += 1
            if cost >= 2 and ref[x] > fanout_stop:
                continue
            if cost < best_cost or (cost == best_cost and lev[x] > lev[leaves[best]]):
                best_cost = cost
                best = i
                if cost == 0:
                    break
        if best < 0 or nl - 1 + best_cost > K:
            return nl
        x = leaves[best]
        nl -= 1
        for i in range(best, nl):
            leaves[i] = leaves[i + 1]
        for side in range(2):
            y = resolve(F0[x] if side == 0 else F1[x], rep) >> 1
            if mark[y] != stamp:
                mark[y] = stamp
                leaves[nl] = y
                nl += 1


@njit(cache=True)
def cone_truth(g, v, leaves, nl, mark, stamp, seen, slot, tabs, stack, order):
    """Simulate the cone of ``v`` over ``leaves[:nl]`` (the nodes stamped by :func:`find_cut`).

    Leaf ``i`` gets the table of variable ``i``; the ``ni`` internal nodes (the return value;
    -1 when they do not fit in ``tabs`` or ``stack``) get ``slot[x] = nl + k`` and their tables
    ``tabs[nl + k]`` in topological order ``order[:ni]``, ``v`` last; ``seen[x] == stamp``
    marks the simulated nodes.
    """
    F0, F1, rep = g[0], g[1], g[2]
    nw = tabs.shape[1]
    for i in range(nl):
        seen[leaves[i]] = stamp
        slot[leaves[i]] = i
        tabs[i] = var_table(i, nw)
    # post-order DFS from v over the stamped cone (seen: finished; duplicates are skipped)
    ni = 0
    sp = 0
    stack[sp] = v
    sp += 1
    while sp > 0:
        x = stack[sp - 1]
        if seen[x] == stamp:
            sp -= 1
            continue
        pushed = False
        for side in range(2):
            y = resolve(F0[x] if side == 0 else F1[x], rep) >> 1
            if mark[y] == stamp and seen[y] != stamp:
                if sp + 1 >= len(stack):
                    return -1
                stack[sp] = y
                sp += 1
                pushed = True
        if pushed:
            continue
        sp -= 1
        s = nl + ni
        if s >= tabs.shape[0] or ni >= len(order):
            return -1
        a = resolve(F0[x], rep)
        b = resolve(F1[x], rep)
        ma = ALL if a & 1 else np.uint64(0)
        mb = ALL if b & 1 else np.uint64(0)
        ta = tabs[slot[a >> 1]]
        tb = tabs[slot[b >> 1]]
        for w in range(nw):
            tabs[s, w] = (ta[w] ^ ma) & (tb[w] ^ mb)
        slot[x] = s
        seen[x] = stamp
        order[ni] = x
        ni += 1
    return ni
