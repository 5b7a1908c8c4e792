"""AIG -> AIG passes; each is ``pass(aig, params) -> (aig, stats)`` and preserves function.

Only passes and the script registry live here: the engines they use (SAT/CNF, NPN, windows,
factoring, DAG edits, truth tables) are in :mod:`gatecomp.logic`, LUT mapping and pipeline
stage assignment in :mod:`gatecomp.mapping`.
"""

from .balance import BalanceParams, balance
from .base import PassStats
from .cleanup import CleanupParams, cleanup

__all__ = ["BalanceParams", "CleanupParams", "PassStats", "balance", "cleanup"]
