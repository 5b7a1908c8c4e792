"""Tseitin encoding of AIG cones into an incremental SAT solver (python-sat).

The SAT half of sweeping (``fraig``) and of equivalence checking: nodes are encoded lazily,
one cone at a time, so a solver only ever sees the logic its queries need. Each AND ``z = a & b``
becomes three clauses ``(~z | a) (~z | b) (z | ~a | ~b)``, generated for a whole cone at once
with numpy. A *substitution* (``repl``: node -> literal of an earlier, equivalent node) is
applied while encoding, so logic above merged nodes is encoded on top of their representatives,
exactly like the structural merging a fraig does.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..aig import AIG

#: python-sat solver used by default (Glucose 4; ``cadical153``, ``minisat22`` also work)
DEFAULT_SOLVER = "glucose4"


@njit(cache=True)
def _collect_cone(f0, f1, first, repl, var_of, roots, stack, out):
    """Unencoded AND nodes in the fanin cone of ``roots`` (through ``repl``); marks them -1.

    ``stack`` and ``out`` are caller-owned scratch buffers of at least ``len(var_of)`` entries.
    Returns how many nodes were written to ``out``.
    """
    sp = 0
    cnt = 0
    for r in roots:
        node = repl[r >> 1] >> 1
        if var_of[node] == 0:
            var_of[node] = -1
            stack[sp] = node
            sp += 1
    while sp > 0:
        sp -= 1
        u = stack[sp]
        out[cnt] = u
        cnt += 1
        k = u - first
        for f in (f0[k], f1[k]):
            node = repl[f >> 1] >> 1
            if var_of[node] == 0:
                var_of[node] = -1
                stack[sp] = node
                sp += 1
    return cnt


class AigCnf:
    """An incremental solver holding a lazily encoded copy of ``aig``.

    Parameters
    ----------
    aig:
        The graph to encode. Constant and input nodes get variables ``1 .. num_inputs + 1``
        up front; AND nodes get the next free variable when a query first needs them.
    solver:
        A python-sat solver name (``"glucose4"``, ``"cadical153"``, ``"minisat22"``, ...).
    """

    def __init__(self, aig: AIG, solver: str = DEFAULT_SOLVER):
        from pysat.solvers import Solver

        self.aig = aig
        n = aig.num_nodes
        self.first = aig.first_and
        self.var_of = np.zeros(n, dtype=np.int64)
        self.var_of[: self.first] = np.arange(1, self.first + 1)
        self.num_vars = self.first
        #: node -> literal of its representative (``2 * node`` while unmerged)
        self.repl = 2 * np.arange(n, dtype=np.int64)
        self._stack = np.empty(n, dtype=np.int64)
        self._out = np.empty(n, dtype=np.int64)
        self.solver = Solver(name=solver)
        self.solver.add_clause([-1])  # node 0 is constant false
        self.clauses = 1

    def close(self) -> None:
        """Free the solver."""
        self.solver.delete()

    # -- encoding ------------------------------------------------------------------------------
    def resolve(self, literal: int) -> int:
        """``literal`` with its node replaced by the node's representative."""
        return int(self.repl[literal >> 1]) ^ (literal & 1)

    def lits(self, literals: np.ndarray) -> np.ndarray:
        """DIMACS literals of AIG literals, encoding whatever cone they still need."""
        literals = np.asarray(literals, dtype=np.int64).reshape(-1)
        self._encode(literals)
        res = self.repl[literals >> 1] ^ (literals & 1)
        var = self.var_of[res >> 1]
        return np.where(res & 1, -var, var)

    def lit(self, literal: int) -> int:
        """DIMACS literal of one AIG literal (see :meth:`lits`)."""
        return int(self.lits(np.array([literal]))[0])

    def _encode(self, roots: np.ndarray) -> None:
        a = self.aig
        cnt = _collect_cone(a.fanin0, a.fanin1, self.first, self.repl, self.var_of, roots,
                            self._stack, self._out)
        if not cnt:
            return
        nodes = self._out[:cnt].copy()
        self.var_of[nodes] = self.num_vars + 1 + np.arange(cnt)
        self.num_vars += cnt
        k = nodes - self.first
        z = self.var_of[nodes]
        fa = self.repl[a.fanin0[k] >> 1] ^ (a.fanin0[k] & 1)
        fb = self.repl[a.fanin1[k] >> 1] ^ (a.fanin1[k] & 1)
        va = self.var_of[fa >> 1]
        vb = self.var_of[fb >> 1]
        la = np.where(fa & 1, -va, va)
        lb = np.where(fb & 1, -vb, vb)
        two = np.empty((2 * cnt, 2), dtype=np.int64)
        two[0::2, 0] = -z
        two[0::2, 1] = la
        two[1::2, 0] = -z
        two[1::2, 1] = lb
        three = np.stack((z, -la, -lb), axis=1)
        self.solver.append_formula(two.tolist())
        self.solver.append_formula(three.tolist())
        self.clauses += 3 * cnt

    def merge(self, node: int, literal: int) -> None:
        """Record ``node == literal`` (proven); ``literal`` must be an unmerged earlier node's.

        Cones encoded later use the representative directly; if ``node`` already has a variable,
        two binary clauses tie it to the representative for the clauses that mention it.
        """
        self.repl[node] = literal
        if self.var_of[node] > 0:
            v = int(self.var_of[node])
            r = self.lit(literal)
            self.solver.add_clause([-v, r])
            self.solver.add_clause([v, -r])
            self.clauses += 2

    # -- queries -------------------------------------------------------------------------------
    def prove_equal(self, a: int, b: int, conflict_limit: int) -> tuple[bool | None, np.ndarray]:
        """Is AIG literal ``a`` equal to ``b`` for every input?

        Returns ``(True, [])`` when proven, ``(False, cex)`` with a distinguishing input vector,
        or ``(None, [])`` when ``conflict_limit`` conflicts (per polarity) did not decide it.
        """
        da, db = (int(x) for x in self.lits(np.array([a, b])))
        if da == db:
            return True, np.zeros(0, dtype=bool)
        for assumptions in ([da, -db], [-da, db]):
            if conflict_limit > 0:
                self.solver.conf_budget(int(conflict_limit))
                sat = self.solver.solve_limited(assumptions=assumptions)
            else:
                sat = self.solver.solve(assumptions=assumptions)
            if sat is None:
                return None, np.zeros(0, dtype=bool)
            if sat:
                return False, self._input_values(self.solver.get_model())
        return True, np.zeros(0, dtype=bool)

    def _input_values(self, model: list[int] | None) -> np.ndarray:
        """The primary-input part of a model (inputs the model leaves out are 0)."""
        ni = self.aig.num_inputs
        vals = np.zeros(ni, dtype=bool)
        if model:
            m = np.asarray(model[1: ni + 1], dtype=np.int64)
            vals[: len(m)] = m > 0
        return vals
