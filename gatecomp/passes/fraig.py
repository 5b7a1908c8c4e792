"""``fraig``: merge functionally equivalent (and complement-equivalent) nodes, proven by SAT.

Structural hashing only merges ANDs with identical fanins; two differently built copies of the
same function (a popcount written twice, a redundant decoder, logic a rewrite duplicated) survive
it. ``fraig`` finds them by simulation and proves each merge with SAT (see ``sat_sweep``), then
rebuilds through :func:`cleanup`'s substitution array, which also drops the logic the merges
orphaned. Nodes whose query exceeds the conflict limit are left alone, so the result is always
equivalent to the input.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..aig import AIG
from ..logic.cnf import DEFAULT_SOLVER
from ..logic.sat_sweep import SatSweeper, SweepParams
from .base import PassStats, finish, measured
from .cleanup import cleanup


@dataclass(frozen=True)
class FraigParams:
    """Options of :func:`fraig`.

    Attributes
    ----------
    sim_words:
        64-pattern words of random simulation that propose the candidate pairs.
    conflict_limit:
        SAT conflicts allowed per candidate (0: unlimited); harder candidates are not merged.
    solver:
        python-sat solver name.
    seed:
        Seed of the random simulation.
    time_limit:
        Seconds after which no more candidates are tried (0: no limit).
    """

    sim_words: int = 16
    conflict_limit: int = 1000
    solver: str = DEFAULT_SOLVER
    seed: int = 0
    time_limit: float = 0.0

    def __post_init__(self) -> None:
        if self.sim_words < 1:
            raise ValueError(f"sim_words must be >= 1, got {self.sim_words}")
        if self.conflict_limit < 0:
            raise ValueError(f"conflict_limit must be >= 0, got {self.conflict_limit}")


def fraig(aig: AIG, params: FraigParams | None = None) -> tuple[AIG, PassStats]:
    """Merge every node SAT proves equal (or complementary) to an earlier node.

    Returns the swept, cleaned-up AIG and stats whose ``extra`` holds the sweep counters
    (``proved`` merges, ``disproved`` candidates, ``undecided`` queries, ``sat_calls``).
    """
    p = params or FraigParams()
    with measured("fraig", aig) as stats:
        sweeper = SatSweeper(aig, SweepParams(sim_words=p.sim_words,
                                              conflict_limit=p.conflict_limit, solver=p.solver,
                                              seed=p.seed, time_limit=p.time_limit or None))
        try:
            counters = sweeper.sweep()
            repl = sweeper.substitution()
        finally:
            sweeper.close()
        out, _ = cleanup(aig, substitute=repl)
        stats.extra = {"merged": counters.proved, "disproved": counters.disproved,
                       "undecided": counters.undecided, "sat_calls": counters.sat_calls,
                       "timed_out": counters.timed_out}
    return out, finish(stats, out)
