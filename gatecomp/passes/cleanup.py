"""``cleanup``: constant propagation, structural hashing and dead-gate removal in one sweep.

A trained DLGN is full of gates that are constant (FALSE/TRUE), plain wires (A, ~B), duplicates
of each other, or never used by a class; this pass removes all of them. The sweep is a single
topological pass (numba) that rebuilds every live AND through a hash table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..aig import AIG
from ..aig.kernels import compact_kernel, reachable_kernel, rebuild_kernel
from .base import PassStats, finish, measured


@dataclass(frozen=True)
class CleanupParams:
    """No options yet; kept so every pass has the same ``pass(aig, params)`` shape."""


def cleanup(aig: AIG, params: CleanupParams | None = None,
            substitute: np.ndarray | None = None) -> tuple[AIG, PassStats]:
    """Fold constants, merge structurally identical ANDs and drop gates that reach no output.

    ``substitute`` (optional, one literal or -1 per node) replaces nodes first; sweeping passes
    use it to merge nodes proven equivalent.
    """
    with measured("cleanup", aig) as stats:
        repl = np.full(aig.num_nodes, -1, dtype=np.int64) if substitute is None else substitute
        live = reachable_kernel(aig.fanin0, aig.fanin1, aig.num_inputs, aig.outputs)
        f0, f1, outs, _ = rebuild_kernel(aig.fanin0, aig.fanin1, aig.num_inputs, aig.outputs,
                                         np.asarray(repl, dtype=np.int64))
        rebuilt = len(f0)
        # folding can orphan gates created before the fold was discovered: compact once more
        f0, f1, outs, _ = compact_kernel(f0, f1, aig.num_inputs, outs)
        out = AIG(aig.num_inputs, f0, f1, outs, aig.input_names, aig.output_names)
        dead = aig.num_ands - int(live[aig.first_and:].sum())
        stats.extra = {"dead_removed": dead,
                       "folded_or_merged": aig.num_ands - dead - len(f0),
                       "orphaned_by_folding": rebuilt - len(f0)}
    return out, finish(stats, out)
