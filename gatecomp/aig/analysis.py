"""Structural analysis of an AIG: levels, depth, fanout, reachability."""

from __future__ import annotations

import numpy as np

from .graph import AIG
from .kernels import fanout_kernel, levels_kernel, reachable_kernel


def levels(aig: AIG) -> np.ndarray:
    """Logic level per node (inputs and constant at level 0)."""
    return levels_kernel(aig.fanin0, aig.fanin1, aig.num_inputs)


def depth(aig: AIG) -> int:
    """Largest level over the outputs (0 for an AIG whose outputs are inputs/constants)."""
    if aig.num_outputs == 0:
        return 0
    return int(levels(aig)[aig.outputs >> 1].max())


def fanout_counts(aig: AIG) -> np.ndarray:
    """References per node, counting AND fanins and primary outputs."""
    return fanout_kernel(aig.fanin0, aig.fanin1, aig.num_inputs, aig.outputs)


def reachable(aig: AIG) -> np.ndarray:
    """Boolean mask of nodes in the transitive fanin of the outputs."""
    return reachable_kernel(aig.fanin0, aig.fanin1, aig.num_inputs, aig.outputs)
