"""The And-Inverter Graph: a flat, immutable, array-based gate-level IR.

Node numbering follows AIGER so that reading and writing is a copy: node 0 is constant false,
nodes ``1..num_inputs`` are primary inputs, and AND nodes follow in topological order. A
*literal* is ``2 * node + complement``. For AND node ``v`` (index ``k = v - num_inputs - 1``)
its fanins are ``fanin0[k] >= fanin1[k]`` (literals of earlier nodes). Outputs are literals.

Everything is numpy arrays so a million gates costs tens of MB and no Python object per gate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CONST0 = 0
CONST1 = 1
LIT_DTYPE = np.int64


def lit(node: int, complemented: bool | int = False) -> int:
    """Literal of ``node``, optionally complemented."""
    return 2 * int(node) + int(bool(complemented))


def lit_node(literal):
    """Node index of a literal (works on scalars and arrays)."""
    return literal >> 1


def lit_is_complemented(literal):
    """1 where the literal is complemented (works on scalars and arrays)."""
    return literal & 1


@dataclass(frozen=True, eq=False)
class AIG:
    """An immutable combinational AIG.

    Parameters
    ----------
    num_inputs:
        Number of primary inputs (nodes ``1..num_inputs``).
    fanin0, fanin1:
        Literal arrays, one entry per AND node, in topological order.
    outputs:
        Literal array, one entry per primary output.
    input_names, output_names:
        Bit-level names (e.g. ``x[3]``); used by AIGER symbol tables and the backends.
    """

    num_inputs: int
    fanin0: np.ndarray
    fanin1: np.ndarray
    outputs: np.ndarray
    input_names: tuple[str, ...] = field(default=())
    output_names: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("fanin0", "fanin1", "outputs"):
            arr = np.ascontiguousarray(getattr(self, name), dtype=LIT_DTYPE)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        if not self.input_names:
            names = tuple(f"i{k}" for k in range(self.num_inputs))
            object.__setattr__(self, "input_names", names)
        if not self.output_names:
            names = tuple(f"o{k}" for k in range(len(self.outputs)))
            object.__setattr__(self, "output_names", names)
        if len(self.fanin0) != len(self.fanin1):
            raise ValueError("fanin0 and fanin1 differ in length")
        if len(self.input_names) != self.num_inputs or len(self.output_names) != len(self.outputs):
            raise ValueError("name lists do not match the number of inputs/outputs")

    @property
    def num_ands(self) -> int:
        return len(self.fanin0)

    @property
    def num_outputs(self) -> int:
        return len(self.outputs)

    @property
    def num_nodes(self) -> int:
        """Constant + inputs + ANDs."""
        return 1 + self.num_inputs + self.num_ands

    @property
    def first_and(self) -> int:
        """Node index of the first AND node."""
        return 1 + self.num_inputs

    def with_outputs(self, outputs: np.ndarray, output_names: tuple[str, ...]) -> AIG:
        """Same gates, different outputs (unused gates stay until ``cleanup``)."""
        return AIG(self.num_inputs, self.fanin0, self.fanin1, outputs,
                   self.input_names, tuple(output_names))

    def __repr__(self) -> str:
        return (f"AIG(inputs={self.num_inputs}, ands={self.num_ands}, "
                f"outputs={self.num_outputs})")
