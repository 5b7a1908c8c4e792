"""Combinational equivalence checking of two AIGs: our own proof that a pass kept the function.

``prove_equivalent(a, b)`` runs, cheapest first:

1. random bit-parallel simulation of ``a`` and ``b`` (a wrong pass is refuted in milliseconds);
2. one strashed miter graph holding both circuits on shared inputs (``cleanup`` of the
   concatenation): output pairs that hash to the same literal are proven already, which is most
   of them when a pass changed little;
3. SAT sweeping of what is left (``logic/sat_sweep.py``): internal nodes with equal simulation
   signatures are proven equal bottom-up and merged, so the output miters become easy;
4. for an output pair still open, a short SAT query (cheap once the sweep merged its cone:
   sweeping gives up early, at 100 conflicts a pair, and leaves the hard ones here), then BDDs
   of both cones (``bdd.py``; popcounts and adders of different shapes, where CDCL is
   exponential) under a node limit, then one more SAT query with a larger conflict limit.

Every counterexample is re-checked by simulating ``a`` and ``b``. A pair that no engine decides
within its limits is reported ``undecided``; the verdict is then ``None``, never a guess.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..aig import AIG, random_inputs, simulate, simulate_words, unpack_bits
from ..logic.cnf import DEFAULT_SOLVER
from ..logic.sat_sweep import SatSweeper, SweepParams
from ..passes.cleanup import cleanup
from .bdd import Bdd, BddLimit, cone_bdds

PROVED = "proved"
DIFFERS = "differs"
UNDECIDED = "undecided"


@dataclass
class EquivalenceResult:
    """Verdict of :func:`prove_equivalent`.

    Attributes
    ----------
    equivalent:
        True (proven for all inputs), False (a counterexample exists), None (undecided).
    outputs:
        Per output: ``"proved"``, ``"differs"`` or ``"undecided"`` (after a refutation by
        simulation the other outputs are not examined and read ``"undecided"``).
    counterexample:
        An input vector (bool per input) on which the two AIGs differ, checked by simulation.
    failing_output:
        Index of an output that differs on ``counterexample``.
    seconds:
        Wall time of the check.
    stats:
        How each output was decided (``structural``, ``sweep``, ``bdd``, ``sat``) and the
        sweep counters.
    """

    equivalent: bool | None
    outputs: list[str]
    counterexample: np.ndarray | None = None
    failing_output: int | None = None
    seconds: float = 0.0
    stats: dict = field(default_factory=dict)
    message: str = ""

    def as_dict(self) -> dict:
        """JSON-friendly summary (for reports)."""
        counts = {s: self.outputs.count(s) for s in (PROVED, DIFFERS, UNDECIDED)}
        return {"equivalent": self.equivalent, "outputs": counts,
                "failing_output": self.failing_output,
                "counterexample": None if self.counterexample is None
                else "".join("1" if v else "0" for v in self.counterexample),
                "seconds": round(self.seconds, 3), "stats": self.stats, "message": self.message}


#: conflicts of the first, short SAT query on an output pair the sweep left open
QUICK_OUTPUT_CONFLICTS = 2000


def miter_graph(a: AIG, b: AIG) -> AIG:
    """``a`` and ``b`` on shared inputs, strashed into one graph; outputs ``a``'s then ``b``'s."""
    ni = a.num_inputs

    def shift(lits: np.ndarray) -> np.ndarray:
        node = lits >> 1
        return np.where(node > ni, lits + 2 * a.num_ands, lits)

    both = AIG(ni, np.concatenate((a.fanin0, shift(b.fanin0))),
               np.concatenate((a.fanin1, shift(b.fanin1))),
               np.concatenate((a.outputs, shift(b.outputs))), a.input_names)
    return cleanup(both)[0]


def prove_equivalent(a: AIG, b: AIG, *, sim_words: int = 64, conflict_limit: int = 100,
                     output_conflict_limit: int = 100_000, bdd_node_limit: int = 2_000_000,
                     solver: str = DEFAULT_SOLVER, time_limit: float | None = None,
                     seed: int = 0, progress: Callable[[str], None] | None = None
                     ) -> EquivalenceResult:
    """Prove that ``a`` and ``b`` compute the same outputs (same input/output order).

    Parameters
    ----------
    sim_words:
        64-pattern words of random simulation before any SAT (and for the candidate classes).
    conflict_limit:
        SAT conflicts per internal candidate pair during sweeping.
    output_conflict_limit:
        SAT conflicts for an output pair left open by sweeping and BDDs (0: unlimited).
    bdd_node_limit:
        BDD nodes allowed per open output pair (0: skip BDDs).
    solver:
        python-sat solver name.
    time_limit:
        Seconds for the sweep; output pairs are still tried afterwards with their own limits.
    progress:
        Called with one-line status messages.

    Returns
    -------
    EquivalenceResult
    """
    start = time.perf_counter()
    say = progress or (lambda _msg: None)
    if (a.num_inputs, a.num_outputs) != (b.num_inputs, b.num_outputs):
        return EquivalenceResult(False, [DIFFERS] * max(a.num_outputs, b.num_outputs),
                                 seconds=time.perf_counter() - start,
                                 message=f"interfaces differ: {a.num_inputs}/{a.num_outputs} vs "
                                         f"{b.num_inputs}/{b.num_outputs} inputs/outputs")
    check = _Verdicts(a, start)
    # 1. random simulation
    refuted = _random_refutation(a, b, sim_words, seed)
    if refuted is not None:
        return check.refuted_by_simulation(*refuted)
    # 2. structural hashing of both circuits in one graph
    m = miter_graph(a, b)
    open_ = check.structural(m, say)
    if not len(open_):
        return check.done(True, msg="proved (structurally identical after hashing)")
    # 3. SAT sweeping of the cones of the open pairs, 4. the pairs it leaves open
    params = SweepParams(sim_words=min(sim_words, 32), conflict_limit=conflict_limit,
                         solver=solver, seed=seed + 1, time_limit=time_limit)
    return _sweep_and_decide(check, a, b, m, open_, params, say, bdd_node_limit,
                             output_conflict_limit)


def _sweep_and_decide(check: _Verdicts, a: AIG, b: AIG, m: AIG, open_: np.ndarray,
                      params: SweepParams, say: Callable[[str], None], bdd_node_limit: int,
                      output_conflict_limit: int) -> EquivalenceResult:
    """Steps 3 and 4 of :func:`prove_equivalent` on the output pairs ``open_`` of ``m``."""
    la, lb = m.outputs[:a.num_outputs], m.outputs[a.num_outputs:]
    part = m.with_outputs(np.concatenate((la[open_], lb[open_])), ())
    sweeper = SatSweeper(part, params)
    try:
        sweep = sweeper.sweep(progress=say)
        prover = _PairProver(sweeper, part, a.num_inputs, bdd_node_limit, output_conflict_limit)
        cex, failing = _decide_open_pairs(sweeper, prover, la, lb, open_, check.status,
                                          check.how)
    finally:
        sweeper.close()
    extra = {"sweep": sweep.as_dict(), "miter_ands": int(m.num_ands)}
    if cex is not None:
        _check_counterexample(a, b, cex, failing)
        return check.done(False, cex, failing, f"output {a.output_names[failing]} differs "
                          "(SAT/BDD counterexample)", **extra)
    return check.decided(**extra)


class _Verdicts:
    """Per-output status and how each output was decided, for one :func:`prove_equivalent`."""

    def __init__(self, a: AIG, start: float):
        self.a, self.start = a, start
        self.status = [UNDECIDED] * a.num_outputs
        self.how: dict[str, int] = {}

    def done(self, eq, cex=None, out=None, msg="", **extra) -> EquivalenceResult:
        stats = {"decided_by": self.how, **extra}
        return EquivalenceResult(eq, self.status, cex, out, time.perf_counter() - self.start,
                                 stats, msg)

    def refuted_by_simulation(self, bad: np.ndarray, cex: np.ndarray) -> EquivalenceResult:
        for i in bad.tolist():
            self.status[i] = DIFFERS
        self.how["simulation"] = len(bad)
        o = int(bad[0])
        return self.done(False, cex, o, f"output {self.a.output_names[o]} differs "
                         "(random simulation)")

    def structural(self, m: AIG, say: Callable[[str], None]) -> np.ndarray:
        """Mark the outputs whose two literals coincide in the miter graph ``m`` proved;
        returns the indices of the others."""
        n_out = self.a.num_outputs
        la, lb = m.outputs[:n_out], m.outputs[n_out:]
        open_ = np.flatnonzero(la != lb)
        for i in np.flatnonzero(la == lb).tolist():
            self.status[i] = PROVED
        self.how["structural"] = n_out - len(open_)
        say(f"equivalence: {n_out - len(open_)} of {n_out} outputs equal after strashing "
            f"({m.num_ands} ANDs in the miter graph)")
        return open_

    def decided(self, **extra) -> EquivalenceResult:
        """The verdict once no output differs: proved, or undecided where some are open."""
        if UNDECIDED in self.status:
            k = self.status.count(UNDECIDED)
            return self.done(None, msg=f"undecided: {k} of {len(self.status)} outputs not "
                             "decided within the limits", **extra)
        return self.done(True, msg="proved", **extra)


def _random_refutation(a: AIG, b: AIG, sim_words: int, seed: int
                       ) -> tuple[np.ndarray, np.ndarray] | None:
    """(the outputs that differ on random patterns, an input vector on which the first one
    does), or None when random simulation finds no difference."""
    pats = random_inputs(a.num_inputs, sim_words, seed)
    diff = simulate_words(a, pats) ^ simulate_words(b, pats)
    bad = np.flatnonzero(diff.any(axis=1))
    if not len(bad):
        return None
    o = int(bad[0])
    word = int(np.flatnonzero(diff[o])[0])
    bit = (int(diff[o, word]) & -int(diff[o, word])).bit_length() - 1
    if a.num_inputs == 0:  # constant circuits: the counterexample is the empty input vector
        return bad, np.zeros(0, dtype=np.uint8)
    return bad, unpack_bits(pats[:, word:word + 1], 64)[bit]


def _decide_open_pairs(sweeper: SatSweeper, prover: _PairProver, la: np.ndarray,
                       lb: np.ndarray, open_: np.ndarray, status: list[str],
                       how: dict[str, int]) -> tuple[np.ndarray | None, int | None]:
    """Decide each open output pair after the sweep, filling ``status`` and ``how``; stops at
    the first pair that differs and returns (its counterexample, its output), else (None, None).
    """
    for i in open_.tolist():
        x, y = sweeper.resolve(int(la[i])), sweeper.resolve(int(lb[i]))
        if x == y:
            verdict, engine, cex = PROVED, "sweep", None
        else:
            verdict, engine, cex = prover.decide(x, y)
        status[i] = verdict
        if engine is not None:
            how[engine] = how.get(engine, 0) + 1
        if verdict == DIFFERS:
            return cex, i
    return None, None


class _PairProver:
    """Step 4 for one output pair the sweep left open: a short SAT query, BDDs, a longer one.

    The BDD manager is shared by the pairs and dropped for good once a cone exceeds its node
    limit (those cones are not BDD-friendly).
    """

    def __init__(self, sweeper: SatSweeper, part: AIG, num_inputs: int, bdd_node_limit: int,
                 output_conflict_limit: int):
        self.sweeper, self.part, self.num_inputs = sweeper, part, num_inputs
        self.bdd_node_limit, self.output_conflict_limit = bdd_node_limit, output_conflict_limit
        self.bdd: Bdd | None = None
        self.bdd_usable = bdd_node_limit > 0

    def decide(self, x: int, y: int) -> tuple[str, str | None, np.ndarray | None]:
        """(verdict, the engine that proved it or None, the counterexample if it differs)."""
        # 4a. a short SAT query: most open pairs sit on merged cut points and fall fast
        verdict = self._sat(x, y, QUICK_OUTPUT_CONFLICTS)
        if verdict[0] != UNDECIDED:
            return verdict
        # 4b. BDDs of both cones (arithmetic restructured beyond SAT sweeping's reach)
        verdict = self._bdds(x, y)
        if verdict[0] != UNDECIDED:
            return verdict
        # 4c. one bigger SAT query
        return self._sat(x, y, self.output_conflict_limit)

    def _sat(self, x: int, y: int, conflicts: int) -> tuple[str, str | None, np.ndarray | None]:
        ok, model = self.sweeper.prove(x, y, conflicts)
        if ok:
            return PROVED, "sat", None
        if ok is False:
            return DIFFERS, None, model
        return UNDECIDED, None, None

    def _bdds(self, x: int, y: int) -> tuple[str, str | None, np.ndarray | None]:
        if not self.bdd_usable:
            return UNDECIDED, None, None
        try:
            bdd = self.bdd = self.bdd or Bdd(self.bdd_node_limit)
            edges = cone_bdds(self.part, np.array([x, y]), bdd, self.sweeper.cnf.repl)
            fx = edges[x >> 1] ^ (x & 1)
            fy = edges[y >> 1] ^ (y & 1)
            if fx == fy:
                return PROVED, "bdd", None
            miter = bdd.and_(fx, fy ^ 1)
            miter = miter if miter != 1 else bdd.and_(fx ^ 1, fy)
            return DIFFERS, None, bdd.satisfying(miter, self.num_inputs)
        except (BddLimit, RecursionError):
            self.bdd, self.bdd_usable = None, False  # these cones are not BDD-friendly
            return UNDECIDED, None, None


def _check_counterexample(a: AIG, b: AIG, cex: np.ndarray, failing: int) -> None:
    """Re-simulate a SAT/BDD counterexample; a RuntimeError if it does not tell a from b."""
    got = simulate(a, cex[None, :])[0] != simulate(b, cex[None, :])[0]
    if not got[failing]:
        raise RuntimeError("internal error: the equivalence counterexample does not "
                           "distinguish the circuits")
