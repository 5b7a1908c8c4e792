"""The streaming decomposition evaluated in software: kernels slid over padded maps, then tail.

This is what the streaming hardware computes, position by position, with the kernel circuits
the RTL is built from; compile holds it to the model's own forward on every vector before
anything is written, so a kernel read wrong can never reach the hardware unnoticed.
"""

from __future__ import annotations

import numpy as np

from ..aig import LogicNet, simulate
from .layers import Geometry, StreamingNet


def windows(maps: np.ndarray, g: Geometry) -> np.ndarray:
    """(samples, positions, C*f*f) window bits, ``(c, dy, dx)`` order, zeros in the padding."""
    n = len(maps)
    padded = np.zeros((n, g.channels, g.height + 2 * g.pad, g.width + 2 * g.pad), dtype=bool)
    padded[:, :, g.pad:g.pad + g.height, g.pad:g.pad + g.width] = maps
    f, s = g.field, g.stride
    rows = []
    for oy in range(g.out_height):
        for ox in range(g.out_width):
            win = padded[:, :, oy * s:oy * s + f, ox * s:ox * s + f]
            rows.append(win.reshape(n, -1))
    return np.stack(rows, axis=1)


def apply_kernel(kernel: LogicNet, maps: np.ndarray, g: Geometry) -> np.ndarray:
    """(samples, K, OH, OW): ``kernel`` at every output position of ``maps`` (samples, C, H, W)."""
    win = windows(maps, g)
    n, p, bits = win.shape
    out = simulate(kernel.aig, win.reshape(n * p, bits)).astype(bool)
    return out.reshape(n, g.out_height, g.out_width, -1).transpose(0, 3, 1, 2)


def feature_maps(snet: StreamingNet, bits: np.ndarray, kernels: list[LogicNet] | None = None,
                 chunk: int = 64) -> np.ndarray:
    """(samples, last map bits) C-order: the tail's input, from the circuit's input bits."""
    kernels = kernels or [layer.kernel for layer in snet.layers]
    g0 = snet.layers[0].geometry
    out = []
    for at in range(0, len(bits), chunk):
        maps = np.asarray(bits[at:at + chunk], dtype=bool).reshape(
            -1, g0.channels, g0.height, g0.width)
        for layer, kernel in zip(snet.layers, kernels, strict=True):
            maps = apply_kernel(kernel, maps, layer.geometry)
        out.append(maps.reshape(len(maps), -1))
    return np.concatenate(out, axis=0)


def streaming_outputs(snet: StreamingNet, tail: LogicNet, bits: np.ndarray,
                      kernels: list[LogicNet] | None = None) -> dict[str, np.ndarray]:
    """Output words (``count0..``, ``pred``) of the whole streaming decomposition."""
    feats = feature_maps(snet, bits, kernels)
    return tail.output_words(simulate(tail.aig, feats))
