"""From an optimized AIG to structure: k-LUT covers and pipeline stage assignment.

``lutmap`` (priority-cut mapping with area recovery, ``lutmap_cuts``/``lutmap_absorb`` its
kernels) yields a :class:`LutNetwork`; ``stages`` places register ranks (pipeline stages) on
AIG levels, ``lut_align`` on LUT-cover boundaries.
"""

from .lutmap import LutMapParams, LutMapStats, lutmap
from .lutnet import LutNetwork
from .stages import PipelineParams, PipelinePlan, plan_pipeline

__all__ = ["LutMapParams", "LutMapStats", "LutNetwork", "PipelineParams", "PipelinePlan",
           "lutmap", "plan_pipeline"]
