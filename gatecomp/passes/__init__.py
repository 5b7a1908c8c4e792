"""AIG -> AIG passes; each is ``pass(aig, params) -> (aig, stats)`` and preserves function."""

from .base import PassStats
from .cleanup import CleanupParams, cleanup

__all__ = ["CleanupParams", "PassStats", "cleanup"]
