"""Formal check of a kernel: the frontend's flat layer equals the kernel slid over the map.

For each window layer this builds, over the layer's input map, (a) the frontend's own flat
lowering of the layer (:func:`~gatecomp.frontends.torchlogix.lower.lower_stage` on its stages,
exactly what the flat compile emits) and (b) the kernel circuit copied once per output position
with its window wired to the map and the padding tied to 0, and proves (a) == (b) with
gatecomp's equivalence checker. Small layers are proved at every position; for big ones a
sample (the four corners, the border midpoints, the centre, a few seeded others) is proved,
and the index-level invariance check of :mod:`.layers` covers every position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..aig import AIG, AIGBuilder
from ..errors import InternalError
from ..frontends.torchlogix.lower import lower_stage
from ..passes.script import run_script
from ..synth.subgraph import replay
from ..verify.equivalence import prove_equivalent
from .layers import Geometry, WindowLayer

#: prove every position when positions x kernel ANDs stays under this
FULL_PROOF_ANDS = 40_000
SAMPLED_EXTRA = 4


@dataclass(frozen=True)
class KernelProof:
    layer: str
    positions: int  # proved
    of: int  # all positions
    ands: int  # of the flat side

    def as_dict(self) -> dict:
        return {"layer": self.layer, "positions_proved": self.positions,
                "positions": self.of, "flat_ands": self.ands}


def sample_positions(g: Geometry, kernel_ands: int, seed: int = 0) -> np.ndarray:
    if g.positions * max(1, kernel_ands) <= FULL_PROOF_ANDS:
        return np.arange(g.positions)
    h, w = g.out_height - 1, g.out_width - 1
    pts = {(0, 0), (0, w), (h, 0), (h, w), (0, w // 2), (h, w // 2), (h // 2, 0), (h // 2, w),
           (h // 2, w // 2)}
    rng = np.random.default_rng(seed)
    pts |= {(int(rng.integers(0, h + 1)), int(rng.integers(0, w + 1)))
            for _ in range(SAMPLED_EXTRA)}
    return np.array(sorted(y * g.out_width + x for y, x in pts), dtype=np.int64)


def _selected(positions: np.ndarray, g: Geometry, channels: int) -> np.ndarray:
    """Output bit indices (C-order (k, position)) of the selected positions."""
    return (np.arange(channels)[:, None] * g.positions + positions[None]).reshape(-1)


def flat_side(layer: WindowLayer, positions: np.ndarray) -> AIG:
    g = layer.geometry
    b = AIGBuilder(g.channels * g.height * g.width)
    first = layer.stages[0].src
    first = first[0] if isinstance(first, tuple) else first
    values = [None] * first + [b.inputs()]  # the frontend's value numbering
    for stage in layer.stages:
        values.append(lower_stage(b, stage, values))
    aig = b.build(values[-1][_selected(positions, g, layer.out_channels)])
    return run_script(aig, "cleanup")[0]


def kernel_side(layer: WindowLayer, positions: np.ndarray) -> AIG:
    g = layer.geometry
    b = AIGBuilder(g.channels * g.height * g.width)
    x = np.append(b.inputs(), 0)  # index -1: constant 0 (padding)
    y0, x0 = g.origins()
    f = g.field
    c, dy, dx = np.unravel_index(np.arange(g.window_bits), (g.channels, f, f))
    outs = np.zeros((layer.out_channels, len(positions)), dtype=np.int64)
    for i, p in enumerate(positions.tolist()):
        hh, ww = y0[p] + dy, x0[p] + dx
        inside = (hh >= 0) & (hh < g.height) & (ww >= 0) & (ww < g.width)
        idx = np.where(inside, (c * g.height + hh) * g.width + ww, -1)
        outs[:, i] = replay(b, layer.kernel.aig, x[idx])
    return b.build(outs.reshape(-1))


def prove_kernel(layer: WindowLayer, kernel: AIG | None = None) -> KernelProof:
    """Prove the (optimized) kernel slid over the map equal to the flat layer; raise if not."""
    if kernel is not None:
        layer = _with_kernel(layer, kernel)
    pos = sample_positions(layer.geometry, layer.kernel.aig.num_ands)
    flat = flat_side(layer, pos)
    res = prove_equivalent(flat, kernel_side(layer, pos))
    if res.equivalent is not True:
        raise InternalError(f"layer {layer.name}: the streaming kernel is not proved equal to "
                            f"the flat layer ({res.message or res.outputs[:3]})")
    return KernelProof(layer.name, len(pos), layer.geometry.positions, flat.num_ands)


def _with_kernel(layer: WindowLayer, aig: AIG) -> WindowLayer:
    from dataclasses import replace

    return replace(layer, kernel=layer.kernel.with_aig(aig))
