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
    n_out = a.num_outputs
    status = [UNDECIDED] * n_out
    how: dict[str, int] = {}

    def done(eq, cex=None, out=None, msg="", **extra) -> EquivalenceResult:
        stats = {"decided_by": how, **extra}
        return EquivalenceResult(eq, status, cex, out, time.perf_counter() - start, stats, msg)

    # 1. random simulation
    pats = random_inputs(a.num_inputs, sim_words, seed)
    diff = simulate_words(a, pats) ^ simulate_words(b, pats)
    bad = np.flatnonzero(diff.any(axis=1))
    if len(bad):
        o = int(bad[0])
        word = int(np.flatnonzero(diff[o])[0])
        bit = (int(diff[o, word]) & -int(diff[o, word])).bit_length() - 1
        cex = unpack_bits(pats[:, word:word + 1], 64)[bit]
        for i in bad.tolist():
            status[i] = DIFFERS
        how["simulation"] = len(bad)
        return done(False, cex, o, f"output {a.output_names[o]} differs (random simulation)")

    # 2. structural hashing of both circuits in one graph
    m = miter_graph(a, b)
    la, lb = m.outputs[:n_out], m.outputs[n_out:]
    open_ = np.flatnonzero(la != lb)
    for i in np.flatnonzero(la == lb).tolist():
        status[i] = PROVED
    how["structural"] = n_out - len(open_)
    say(f"equivalence: {n_out - len(open_)} of {n_out} outputs equal after strashing "
        f"({m.num_ands} ANDs in the miter graph)")
    if not len(open_):
        return done(True, msg="proved (structurally identical after hashing)")

    # 3. SAT sweeping of the cones of the open pairs
    part = m.with_outputs(np.concatenate((la[open_], lb[open_])), ())
    sweeper = SatSweeper(part, SweepParams(sim_words=min(sim_words, 32),
                                           conflict_limit=conflict_limit, solver=solver,
                                           seed=seed + 1, time_limit=time_limit))
    try:
        sweep = sweeper.sweep(progress=say)
        cex, failing = None, None
        bdd: Bdd | None = None
        bdd_usable = True
        for i in open_.tolist():
            x, y = sweeper.resolve(int(la[i])), sweeper.resolve(int(lb[i]))
            if x == y:
                status[i] = PROVED
                how["sweep"] = how.get("sweep", 0) + 1
                continue
            # 4a. a short SAT query: most open pairs sit on merged cut points and fall fast
            ok, model = sweeper.prove(x, y, QUICK_OUTPUT_CONFLICTS)
            if ok:
                status[i] = PROVED
                how["sat"] = how.get("sat", 0) + 1
                continue
            if ok is False:
                cex, failing = model, i
                status[i] = DIFFERS
                break
            # 4b. BDDs of both cones (arithmetic restructured beyond SAT sweeping's reach)
            if bdd_node_limit > 0 and bdd_usable:
                try:
                    bdd = bdd or Bdd(bdd_node_limit)
                    edges = cone_bdds(part, np.array([x, y]), bdd, sweeper.cnf.repl)
                    fx = edges[x >> 1] ^ (x & 1)
                    fy = edges[y >> 1] ^ (y & 1)
                    if fx == fy:
                        status[i] = PROVED
                        how["bdd"] = how.get("bdd", 0) + 1
                        continue
                    miter = bdd.and_(fx, fy ^ 1)
                    miter = miter if miter != 1 else bdd.and_(fx ^ 1, fy)
                    cex, failing = bdd.satisfying(miter, a.num_inputs), i
                    status[i] = DIFFERS
                    break
                except (BddLimit, RecursionError):
                    bdd, bdd_usable = None, False  # these cones are not BDD-friendly
            # 4c. one bigger SAT query
            ok, model = sweeper.prove(x, y, output_conflict_limit)
            if ok:
                status[i] = PROVED
                how["sat"] = how.get("sat", 0) + 1
            elif ok is False:
                cex, failing = model, i
                status[i] = DIFFERS
                break
    finally:
        sweeper.close()
    extra = {"sweep": sweep.as_dict(), "miter_ands": int(m.num_ands)}
    if cex is not None:
        got = simulate(a, cex[None, :])[0] != simulate(b, cex[None, :])[0]
        if not got[failing]:
            raise RuntimeError("internal error: the equivalence counterexample does not "
                               "distinguish the circuits")
        return done(False, cex, failing, f"output {a.output_names[failing]} differs (SAT/BDD "
                    "counterexample)", **extra)
    if UNDECIDED in status:
        k = status.count(UNDECIDED)
        return done(None, msg=f"undecided: {k} of {n_out} outputs not decided within the "
                    "limits", **extra)
    return done(True, msg="proved", **extra)
