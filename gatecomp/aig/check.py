"""Invariant checks for an AIG: structural validity, and the canonical form passes produce."""

from __future__ import annotations

import numpy as np

from .graph import AIG


class AIGInvariantError(AssertionError):
    """An AIG breaks an invariant the rest of gatecomp relies on."""


def check_aig(aig: AIG, canonical: bool = True) -> None:
    """Raise :class:`AIGInvariantError` unless ``aig`` is well formed.

    Always checked: fanins refer to earlier nodes, ``fanin0 >= fanin1``, outputs are in range.
    With ``canonical``: no constant fanins, no ``x & x`` / ``x & ~x``, no two ANDs with the same
    fanin pair (structurally hashed), as guaranteed by the builder and by ``cleanup``.
    """
    f0, f1 = aig.fanin0, aig.fanin1
    own = 2 * np.arange(aig.first_and, aig.num_nodes)
    if len(f0):
        if (f1 < 0).any():
            raise AIGInvariantError("negative fanin literal")
        if (f0 >= own).any():
            bad = int(np.flatnonzero(f0 >= own)[0]) + aig.first_and
            raise AIGInvariantError(f"node {bad} has a fanin that is not earlier (not topological)")
        if (f0 < f1).any():
            raise AIGInvariantError("fanin0 < fanin1 (fanins not normalised)")
    if len(aig.outputs) and (aig.outputs.min() < 0 or aig.outputs.max() >= 2 * aig.num_nodes):
        raise AIGInvariantError("output literal out of range")
    if not canonical or not len(f0):
        return
    if (f1 <= 1).any():
        raise AIGInvariantError("AND with a constant fanin (not folded)")
    if ((f0 >> 1) == (f1 >> 1)).any():
        raise AIGInvariantError("AND of a literal with itself or its complement (not folded)")
    keys = (f0 << 32) | f1
    if len(np.unique(keys)) != len(keys):
        raise AIGInvariantError("two ANDs with the same fanins (not structurally hashed)")
