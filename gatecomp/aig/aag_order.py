"""Topological order of an ASCII AIGER file's ANDs, refusing combinational cycles.

Binary AIGER fixes the order (every fanin before its gate); ASCII ``aag`` does not, so a valid
file may list an AND before its fanins, and a broken one may hold a cycle. The AIG is arrays in
topological order, so the reader renumbers such files and refuses cycles with one line.
"""

from __future__ import annotations

import numpy as np

from .graph import LIT_DTYPE


class CycleError(ValueError):
    """The ANDs of an ASCII AIGER file form a combinational cycle."""


def and_order(lhs_var: np.ndarray, f0: np.ndarray, f1: np.ndarray, num_inputs: int
              ) -> np.ndarray:
    """Row indices of the ANDs in topological order (fanins first; by level, then row).

    ``lhs_var`` holds each row's variable (``num_inputs + 1 ..``, any order); ``f0``/``f1`` its
    fanin literals. Level by level, vectorised: a row is placed once both fanins are inputs,
    constants or placed rows. Raises :class:`CycleError` naming a variable on a cycle.
    """
    a = len(lhs_var)
    row_of = np.full(num_inputs + a + 1, -1, dtype=np.int64)
    row_of[lhs_var] = np.arange(a)
    deps = [row_of[np.asarray(f, dtype=LIT_DTYPE) >> 1] for f in (f0, f1)]
    level = np.full(a, -1, dtype=np.int64)
    placed = np.zeros(a + 1, dtype=bool)  # index a: "not an AND" (row -1 maps there)
    placed[a] = True
    d0, d1 = np.where(deps[0] < 0, a, deps[0]), np.where(deps[1] < 0, a, deps[1])
    for step in range(a + 1):
        ready = (level < 0) & placed[d0] & placed[d1]
        if not ready.any():
            break
        level[ready] = step
        placed[:a] |= ready
    if (level < 0).any():
        raise CycleError(f"combinational cycle through AND variable "
                         f"{int(lhs_var[np.flatnonzero(level < 0)[0]])}")
    return np.lexsort((np.arange(a), level))
