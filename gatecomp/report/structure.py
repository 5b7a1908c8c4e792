"""Depth structure of the optimized AIG: ANDs per logic level, each output port's depth, and
one critical path (the chain of ANDs that sets the depth).

The AIG's layers are logic levels, not the network's layers (the optimizer works across the
network's layer boundaries, so its ANDs are not attributed to network layers afterwards);
this is the level view that sets combinational delay and the pipeline's cuts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..aig import AIG, levels
from ..sidecar import Sidecar


@dataclass(frozen=True)
class CriticalPath:
    """A longest input-to-output chain: its ANDs (node ids, input side first) and ends."""

    nodes: tuple[int, ...]
    start: str  # the input bit (or "constant")
    end: str  # the output bit

    @property
    def length(self) -> int:
        return len(self.nodes)


@dataclass(frozen=True)
class Structure:
    ands: int
    depth: int
    ands_per_level: tuple[int, ...]  # index i: ANDs at level i + 1
    port_depths: tuple[tuple[str, int], ...]  # (HDL output port, its deepest bit's level)
    critical: CriticalPath | None


def output_ports(aig: AIG, sidecar: Sidecar | None) -> list[tuple[str, int, int]]:
    """(port, first output bit, width) in output order: the sidecar's ports, else one per
    output bit name's stem (``count3[2]`` -> ``count3``)."""
    if sidecar is not None and sum(o.width for o in sidecar.outputs) == aig.num_outputs:
        out, at = [], 0
        for o in sidecar.outputs:
            out.append((o.port, at, o.width))
            at += o.width
        return out
    ports: list[tuple[str, int, int]] = []
    for i, name in enumerate(aig.output_names):
        stem = name.split("[")[0]
        if ports and ports[-1][0] == stem:
            ports[-1] = (stem, ports[-1][1], ports[-1][2] + 1)
        else:
            ports.append((stem, i, 1))
    return ports


def critical_path(aig: AIG, lev: np.ndarray) -> CriticalPath | None:
    """Walk back from the deepest output (the first, on ties) along the deeper fanin."""
    if aig.num_outputs == 0:
        return None
    out_levels = lev[aig.outputs >> 1]
    k = int(np.argmax(out_levels))
    node, first, path = int(aig.outputs[k] >> 1), aig.num_inputs + 1, []
    while node >= first:
        path.append(node)
        a, b = int(aig.fanin0[node - first] >> 1), int(aig.fanin1[node - first] >> 1)
        node = a if lev[a] >= lev[b] else b
    start = "constant" if node == 0 else aig.input_names[node - 1]
    return CriticalPath(tuple(reversed(path)), start, aig.output_names[k])


def analyse(aig: AIG, sidecar: Sidecar | None) -> Structure:
    """The level profile, per-port depths and a critical path of ``aig``."""
    lev = levels(aig)
    and_levels = lev[aig.num_inputs + 1:]
    depth = int(lev[aig.outputs >> 1].max()) if aig.num_outputs else 0
    counts = np.bincount(and_levels, minlength=depth + 1)[1:] if aig.num_ands else []
    ports = []
    for port, at, width in output_ports(aig, sidecar):
        bits = aig.outputs[at:at + width] >> 1
        ports.append((port, int(lev[bits].max()) if width else 0))
    return Structure(aig.num_ands, depth, tuple(int(c) for c in counts), tuple(ports),
                     critical_path(aig, lev))
