"""LogicNet: an AIG plus the word-level view of its ports (what the network means).

The AIG knows bits; a LogicNet groups them into named ports (``x`` = the binarised input
vector, ``count0..countN`` = per-class popcounts, ``pred`` = the argmax class) that the
backends turn into HDL ports and the verifier turns back into integers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .graph import AIG


@dataclass(frozen=True)
class Port:
    """A word of ``width`` consecutive AIG inputs/outputs, least significant bit first."""

    name: str
    width: int


@dataclass(frozen=True, eq=False)
class LogicNet:
    """The network as logic: ``aig`` with inputs/outputs grouped into ports, plus metadata.

    ``group_sum`` (classes, block) holds the literals a GroupSum counts, where the network ends
    in one (DLGNs): FPGA backends may build those popcounts themselves (on carry chains).
    """

    aig: AIG
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]
    meta: dict = field(default_factory=dict)
    group_sum: np.ndarray | None = None

    def __post_init__(self) -> None:
        if sum(p.width for p in self.inputs) != self.aig.num_inputs:
            raise ValueError("input ports do not cover the AIG inputs")
        if sum(p.width for p in self.outputs) != self.aig.num_outputs:
            raise ValueError("output ports do not cover the AIG outputs")

    def with_aig(self, aig: AIG) -> LogicNet:
        """Same ports and metadata around a transformed (function-preserving) AIG."""
        return replace(self, aig=aig)

    def output_words(self, bits: np.ndarray) -> dict[str, np.ndarray]:
        """Turn (samples, num_outputs) output bits into one unsigned integer array per port."""
        bits = np.asarray(bits, dtype=np.int64)
        words, at = {}, 0
        for port in self.outputs:
            weights = 1 << np.arange(port.width, dtype=np.int64)
            words[port.name] = bits[:, at:at + port.width] @ weights
            at += port.width
        return words


def bit_names(ports: tuple[Port, ...] | list[Port]) -> tuple[str, ...]:
    """Bit-level names ``name[k]`` for a port list, in AIG order."""
    return tuple(f"{p.name}[{k}]" for p in ports for k in range(p.width))
