"""AIG -> AIG passes; each is ``pass(aig, params) -> (aig, stats)`` and preserves function."""

from .base import PassStats
from .cleanup import CleanupParams, cleanup
from .pipeline import PipelineParams, PipelinePlan, plan_pipeline

__all__ = ["CleanupParams", "PassStats", "PipelineParams", "PipelinePlan", "cleanup",
           "plan_pipeline"]
