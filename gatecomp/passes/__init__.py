"""AIG -> AIG passes; each is ``pass(aig, params) -> (aig, stats)`` and preserves function."""

from .balance import BalanceParams, balance
from .base import PassStats
from .cleanup import CleanupParams, cleanup
from .lutmap import LutMapParams, LutMapStats, lutmap
from .lutnet import LutNetwork
from .pipeline import PipelineParams, PipelinePlan, plan_pipeline

__all__ = ["BalanceParams", "CleanupParams", "LutMapParams", "LutMapStats", "LutNetwork",
           "PassStats", "PipelineParams", "PipelinePlan", "balance", "cleanup", "lutmap",
           "plan_pipeline"]
