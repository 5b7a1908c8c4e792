"""A small reduced ordered BDD package with complement edges, for the equivalence checker.

SAT sweeping proves two circuits equal through the internal points they share; two popcounts or
adders built from different trees share almost none, and CDCL solvers (ABC's ``cec`` too) take
exponential time on the XOR-heavy miter. Their BDDs, however, are small under any variable order
(every bit of a count is a symmetric function: at most ``n * (n + 1) / 2`` nodes), so two such
outputs are equal exactly when their BDDs are the same node. ``node_limit`` bounds the work; a
cone whose BDD grows past it (a multiplier) is left to SAT.

Edges are ``2 * node + complement``; node 0 is the terminal, so edge 0 is TRUE and 1 is FALSE.
The high edge of a stored node is never complemented, which makes the form canonical.
"""

from __future__ import annotations

import numpy as np

from ..aig import AIG

TRUE = 0
FALSE = 1
_LEAF = 1 << 60  # variable index of the terminal: below every real variable


class BddLimit(Exception):
    """The BDD grew past its node limit."""


class Bdd:
    """Unique table, computed table and the AND operation (all Python dicts and lists)."""

    def __init__(self, node_limit: int = 1_000_000):
        self.var = [_LEAF]
        self.hi = [TRUE]
        self.lo = [TRUE]
        self.unique: dict[tuple[int, int, int], int] = {}
        self.cache: dict[tuple[int, int], int] = {}
        self.node_limit = node_limit

    def __len__(self) -> int:
        return len(self.var)

    def variable(self, index: int) -> int:
        """Edge of the single-variable function ``x[index]``."""
        return self._mk(index, TRUE, FALSE)

    def _mk(self, v: int, hi: int, lo: int) -> int:
        if hi == lo:
            return hi
        if hi & 1:
            return self._mk(v, hi ^ 1, lo ^ 1) ^ 1
        key = (v, hi, lo)
        node = self.unique.get(key)
        if node is None:
            if len(self.var) >= self.node_limit:
                raise BddLimit(f"BDD exceeded {self.node_limit} nodes")
            node = len(self.var)
            self.var.append(v)
            self.hi.append(hi)
            self.lo.append(lo)
            self.unique[key] = node
        return 2 * node

    def and_(self, f: int, g: int) -> int:
        """Edge of ``f & g``."""
        if f == FALSE or g == FALSE or f == (g ^ 1):
            return FALSE
        if f in (TRUE, g):
            return g
        if g == TRUE:
            return f
        if f > g:
            f, g = g, f
        key = (f, g)
        res = self.cache.get(key)
        if res is not None:
            return res
        var, hi, lo = self.var, self.hi, self.lo
        nf, ng = f >> 1, g >> 1
        vf, vg = var[nf], var[ng]
        v = min(vf, vg)
        cf, cg = f & 1, g & 1
        f1, f0 = (hi[nf] ^ cf, lo[nf] ^ cf) if vf == v else (f, f)
        g1, g0 = (hi[ng] ^ cg, lo[ng] ^ cg) if vg == v else (g, g)
        res = self._mk(v, self.and_(f1, g1), self.and_(f0, g0))
        self.cache[key] = res
        return res

    def satisfying(self, f: int, num_vars: int) -> np.ndarray:
        """One assignment (bool per variable) that makes ``f`` true (``f`` must not be FALSE)."""
        vals = np.zeros(num_vars, dtype=bool)
        while f >> 1:
            n, c = f >> 1, f & 1
            hi, lo = self.hi[n] ^ c, self.lo[n] ^ c
            if lo != FALSE:
                f = lo
            else:
                vals[self.var[n]] = True
                f = hi
        return vals


def cone_bdds(aig: AIG, roots: np.ndarray, bdd: Bdd, repl: np.ndarray | None = None
              ) -> dict[int, int]:
    """BDD edges of every node in the fanin cone of the literals ``roots``.

    Variable ``k`` is primary input ``k``. ``repl`` (node -> literal of a proven-equal earlier
    node) is followed, as in :class:`~gatecomp.logic.cnf.AigCnf`. Raises :class:`BddLimit`.
    """
    first = aig.first_and
    rep = (2 * np.arange(aig.num_nodes)) if repl is None else repl
    need = np.zeros(aig.num_nodes, dtype=bool)
    stack = [int(rep[int(r) >> 1]) >> 1 for r in roots]
    while stack:
        u = stack.pop()
        if need[u]:
            continue
        need[u] = True
        if u >= first:
            k = u - first
            stack.append(int(rep[aig.fanin0[k] >> 1]) >> 1)
            stack.append(int(rep[aig.fanin1[k] >> 1]) >> 1)
    edges: dict[int, int] = {0: FALSE}
    for u in np.flatnonzero(need).tolist():
        if u == 0:
            continue
        if u < first:
            edges[u] = bdd.variable(u - 1)
            continue
        k = u - first
        a, b = int(aig.fanin0[k]), int(aig.fanin1[k])
        ra, rb = int(rep[a >> 1]) ^ (a & 1), int(rep[b >> 1]) ^ (b & 1)
        edges[u] = bdd.and_(edges[ra >> 1] ^ (ra & 1), edges[rb >> 1] ^ (rb & 1))
    return edges
