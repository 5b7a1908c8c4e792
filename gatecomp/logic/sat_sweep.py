"""SAT sweeping: find every pair of functionally equivalent nodes (simulation, then SAT).

The engine behind ``fraig`` and the equivalence checker (``verify/equivalence.py``):

1. Bit-parallel random simulation gives every node a signature; nodes whose signatures are equal
   up to complement form *candidate classes* (node 0, constant false, is in one of them, so
   constant nodes are found too). The representative of a class is its lowest node.
2. In topological order each candidate is checked against its representative with an
   incremental SAT query (:class:`~gatecomp.logic.cnf.AigCnf`). A proof merges the node into
   the representative, so every later query is posed on the merged graph, where the logic
   above two proven-equal cones is structurally identical again and the query is easy (this is
   what makes different popcount or adder structures tractable). A counterexample is simulated
   on the whole graph, which splits its class and every other class it distinguishes.
3. Rounds repeat until no unproven candidate is left; a query that exceeds the conflict limit
   leaves its node unmerged (counted as undecided), never merged on a guess.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..aig import AIG
from ..aig.kernels import reachable_kernel, simulate_kernel
from ..aig.simulate import pack_bits, random_inputs
from .cnf import DEFAULT_SOLVER, AigCnf

_MIX = np.uint64(0x9E3779B97F4A7C15)
_SIM_BYTES = 96 << 20  # cap on the signature table; fewer words are simulated above it


@dataclass(frozen=True)
class SweepParams:
    """Options of :class:`SatSweeper`.

    Attributes
    ----------
    sim_words:
        64-pattern words of random simulation that form the first candidate classes.
    conflict_limit:
        SAT conflicts allowed per query polarity (0: unlimited).
    solver:
        python-sat solver name.
    seed:
        Seed of the random patterns.
    time_limit:
        Seconds after which the sweep stops (remaining candidates stay unmerged); None: none.
    """

    sim_words: int = 16
    conflict_limit: int = 1000
    solver: str = DEFAULT_SOLVER
    seed: int = 0
    time_limit: float | None = None


@dataclass
class SweepStats:
    """Counters of one sweep."""

    candidates: int = 0
    proved: int = 0
    disproved: int = 0
    undecided: int = 0
    sat_calls: int = 0
    refinements: int = 0
    rounds: int = 0
    timed_out: bool = False
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"candidates": self.candidates, "proved": self.proved,
                "disproved": self.disproved, "undecided": self.undecided,
                "sat_calls": self.sat_calls, "refinements": self.refinements,
                "rounds": self.rounds, "timed_out": self.timed_out,
                "seconds": round(self.seconds, 4), **self.extra}


def _mix(h: np.ndarray, word: np.ndarray) -> np.ndarray:
    h = (h ^ word) * _MIX
    return h ^ (h >> np.uint64(29))


class SatSweeper:
    """Candidate classes by simulation, proven or split by SAT, over the live part of ``aig``.

    After :meth:`sweep`, :meth:`substitution` is the ``repl`` array that
    :func:`~gatecomp.passes.cleanup.cleanup` takes to merge every proven node, and
    :meth:`prove` answers further queries (e.g. output pairs) on the merged graph.
    """

    def __init__(self, aig: AIG, params: SweepParams | None = None):
        self.aig = aig
        self.params = params or SweepParams()
        self.stats = SweepStats()
        n = aig.num_nodes
        self.live = reachable_kernel(aig.fanin0, aig.fanin1, aig.num_inputs, aig.outputs)
        self.live[: aig.first_and] = True
        self.cnf = AigCnf(aig, self.params.solver)
        self.done = np.zeros(n, dtype=bool)  # merged, or given up on
        self.counterexamples: list[np.ndarray] = []
        words = max(1, min(self.params.sim_words, _SIM_BYTES // (8 * n)))
        vals = self._simulate(random_inputs(aig.num_inputs, words, self.params.seed))
        self.phase = (vals[:, 0] & np.uint64(1)).astype(bool)
        self._flip = np.where(self.phase, ~np.uint64(0), np.uint64(0))
        self.hash = np.zeros(n, dtype=np.uint64)
        for j in range(vals.shape[1]):
            self.hash = _mix(self.hash, vals[:, j] ^ self._flip)
        self.rep = np.arange(n, dtype=np.int64)
        self._classes()
        self._pending: list[np.ndarray] = []
        self._pending_vals: np.ndarray | None = None

    # -- simulation and classes ---------------------------------------------------------------
    def _simulate(self, words: np.ndarray) -> np.ndarray:
        a = self.aig
        return simulate_kernel(a.fanin0, a.fanin1, a.num_inputs,
                               np.ascontiguousarray(words, dtype=np.uint64))

    def _classes(self) -> None:
        """Representative (lowest live node of equal signature) of every live node."""
        idx = np.flatnonzero(self.live)
        order = idx[np.argsort(self.hash[idx], kind="stable")]
        hs = self.hash[order]
        start = np.ones(len(order), dtype=bool)
        start[1:] = hs[1:] != hs[:-1]
        group = np.cumsum(start) - 1
        self.rep[order] = order[start][group]
        merged = self.done & (self.cnf.repl != 2 * np.arange(len(self.rep)))
        self.rep[merged] = self.cnf.repl[merged] >> 1

    def _add_counterexample(self, cex: np.ndarray) -> None:
        self.counterexamples.append(cex)
        self._pending.append(cex)
        self._pending_vals = self._simulate(pack_bits(np.array(self._pending)))[:, 0]
        self._pending_vals ^= self._flip
        if len(self._pending) == 64:
            self._refine()

    def _refine(self) -> None:
        if not self._pending:
            return
        self.hash = _mix(self.hash, self._pending_vals)
        self._pending, self._pending_vals = [], None
        self.stats.refinements += 1
        self._classes()

    def _split_by_pending(self, v: int, r: int) -> bool:
        pv = self._pending_vals
        return pv is not None and pv[v] != pv[r]

    # -- the sweep ----------------------------------------------------------------------------
    def _out_of_time(self, start: float) -> bool:
        limit = self.params.time_limit
        if limit is not None and time.perf_counter() - start > limit:
            self.stats.timed_out = True
            return True
        return False

    def sweep(self, progress: Callable[[str], None] | None = None) -> SweepStats:
        """Prove or refute every candidate pair; returns the counters."""
        start = time.perf_counter()
        st = self.stats
        first = self.aig.first_and
        arange = np.arange(len(self.rep))
        st.candidates = int(((self.rep != arange) & self.live).sum())
        while True:
            cand = np.flatnonzero((self.rep != arange) & self.live & ~self.done)
            cand = cand[cand >= first]
            if not len(cand):
                break
            st.rounds += 1
            for v in cand.tolist():
                r = int(self.rep[v])
                if r == v or self._split_by_pending(v, r):
                    continue
                if self._out_of_time(start):
                    break
                target = 2 * r ^ int(self.phase[v] ^ self.phase[r])
                st.sat_calls += 1
                ok, cex = self.cnf.prove_equal(2 * v, target, self.params.conflict_limit)
                if ok:
                    self.cnf.merge(v, target)
                    self.done[v] = True
                    st.proved += 1
                elif ok is None:
                    self.done[v] = True
                    st.undecided += 1
                else:
                    st.disproved += 1
                    self._add_counterexample(cex)
            self._refine()
            if st.timed_out:
                break
            if progress:
                progress(f"sweep round {st.rounds}: {st.proved} merged, {st.disproved} "
                         f"counterexamples, {st.undecided} undecided")
        st.seconds += time.perf_counter() - start
        return st

    # -- results ------------------------------------------------------------------------------
    def substitution(self) -> np.ndarray:
        """``repl`` for :func:`cleanup`: the representative literal of merged nodes, else -1."""
        repl = self.cnf.repl.copy()
        repl[repl == 2 * np.arange(len(repl))] = -1
        return repl

    def resolve(self, literal: int) -> int:
        """``literal`` after merging (equal literals are proven equal)."""
        return self.cnf.resolve(literal)

    def prove(self, a: int, b: int, conflict_limit: int | None = None
              ) -> tuple[bool | None, np.ndarray]:
        """Prove literal ``a`` equals ``b`` on the merged graph (see ``AigCnf.prove_equal``)."""
        limit = self.params.conflict_limit if conflict_limit is None else conflict_limit
        self.stats.sat_calls += 1
        return self.cnf.prove_equal(a, b, limit)

    def close(self) -> None:
        self.cnf.close()
