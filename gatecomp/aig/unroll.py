"""Time frames of a sequential step AIG, copied into one builder (bounded unrolling).

A step AIG (last ``L`` inputs the latches' values, last ``L`` outputs their next values, the
layout of :mod:`.aiger_seq`) is copied once per clock cycle; frame ``t``'s latch inputs are
frame ``t - 1``'s next values. The copy goes a logic level at a time through
:meth:`AIGBuilder.add_and_vec`, so constants fold and the frames share hashed logic.
"""

from __future__ import annotations

import numpy as np

from .analysis import levels
from .builder import AIGBuilder
from .graph import AIG, LIT_DTYPE


class FrameCopier:
    """Copies ``step`` into a builder, frame by frame."""

    def __init__(self, step: AIG, num_latches: int):
        if not 0 <= num_latches <= min(step.num_inputs, step.num_outputs):
            raise ValueError("more latches than step inputs or outputs")
        self.step, self.num_latches = step, num_latches
        lev = levels(step)[step.first_and:]
        order = np.argsort(lev, kind="stable")
        bounds = np.flatnonzero(np.diff(lev[order])) + 1
        self._groups = np.split(order, bounds) if len(order) else []

    @property
    def num_port_inputs(self) -> int:
        return self.step.num_inputs - self.num_latches

    def frame(self, builder: AIGBuilder, ports: np.ndarray, state: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
        """One cycle: builder literals of the port inputs and the latch values in; the port
        outputs' and the next latch values' literals out."""
        step = self.step
        ports = np.asarray(ports, dtype=LIT_DTYPE)
        state = np.asarray(state, dtype=LIT_DTYPE)
        if len(ports) != self.num_port_inputs or len(state) != self.num_latches:
            raise ValueError("frame inputs do not match the step's inputs and latches")
        node = np.zeros(step.num_nodes, dtype=LIT_DTYPE)
        node[1:step.first_and] = np.concatenate((ports, state))
        for group in self._groups:
            a, b = step.fanin0[group], step.fanin1[group]
            node[step.first_and + group] = builder.add_and_vec(node[a >> 1] ^ (a & 1),
                                                               node[b >> 1] ^ (b & 1))
        outs = node[step.outputs >> 1] ^ (step.outputs & 1)
        cut = step.num_outputs - self.num_latches
        return outs[:cut], outs[cut:]
