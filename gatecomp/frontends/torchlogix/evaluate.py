"""gatecomp's reading of a torchlogix network, evaluated on bits with numpy.

The frontend's ``reference``: the class counts the stages of :mod:`.network` compute, as
integers, independently of the AIG built from the same stages. The model's own forward
(:mod:`.own_forward`) is the second, independent check.
"""

from __future__ import annotations

import numpy as np

from ..reference import class_words, input_bits
from .network import LutStage, Network, Stage


def _gather(values: list[np.ndarray], src: int, idx: np.ndarray) -> np.ndarray:
    """``value[src][:, idx]`` with index -1 reading 0: (samples, *idx.shape)."""
    v = values[src]
    ext = np.concatenate([v, np.zeros((len(v), 1), dtype=bool)], axis=1)
    return ext[:, idx]


def _apply(stage: Stage, values: list[np.ndarray]) -> np.ndarray:
    if isinstance(stage, LutStage):
        g = _gather(values, stage.src, stage.inputs)  # (N, k, n)
        m = np.zeros((g.shape[0], g.shape[2]), dtype=np.int64)
        for i in range(g.shape[1]):
            m |= g[:, i].astype(np.int64) << i
        return stage.tables[np.arange(stage.width)[None, :], m]
    out = np.zeros((len(values[stage.src[0]]), stage.width), dtype=bool)
    for src, idx in zip(stage.src, stage.inputs, strict=True):
        out |= _gather(values, src, idx).any(axis=1)
    return out


def _last_uses(net: Network) -> dict[int, int]:
    last: dict[int, int] = {}
    for i, stage in enumerate(net.stages):
        for src in (stage.src,) if isinstance(stage, LutStage) else stage.src:
            last[src] = i
    return last


def first_bits(net: Network, x: np.ndarray) -> np.ndarray:
    """Value 0 (the first layer's bits) of the circuit's inputs ``x``: the bits themselves, or
    the features (``bits`` LSB-first per feature) compared with the thresholds."""
    c = net.comparators
    if c is None:
        return x.astype(bool)
    weights = 1 << np.arange(c.bits, dtype=np.int64)
    features = x.reshape(len(x), c.features, c.bits).astype(np.int64) @ weights
    return features[:, c.feature_of_bit] >= c.const_of_bit[None, :]


def _cells(stage: Stage) -> int:
    """Bits one sample gathers for ``stage`` (sizes the evaluation chunks)."""
    rows = stage.inputs.shape[0] if isinstance(stage, LutStage) else stage.inputs[0].shape[0]
    return stage.width * rows


def class_counts(net: Network, x: np.ndarray) -> np.ndarray:
    """(samples, classes) int64 counts for 0/1 inputs ``x`` (samples, input_width)."""
    widest = max(net.input_width, net.bits_width, *(_cells(s) for s in net.stages))
    chunk = max(1, min(4096, (32 << 20) // widest))
    counts = np.zeros((len(x), net.num_classes), dtype=np.int64)
    last = _last_uses(net)
    for at in range(0, len(x), chunk):
        values: list[np.ndarray | None] = [first_bits(net, x[at:at + chunk])]
        for i, stage in enumerate(net.stages):
            values.append(_apply(stage, values))
            for src, use in last.items():
                if use == i and src < len(values) - 1:
                    values[src] = None
        out = values[-1]
        counts[at:at + chunk] = out.reshape(len(out), net.num_classes, -1).sum(axis=2)
    return counts


def reference_outputs(net: Network, x_bits: np.ndarray) -> dict[str, np.ndarray]:
    """``count0..`` and ``pred`` (first-index argmax) of gatecomp's reading."""
    x = input_bits(x_bits, net.input_width)
    return class_words(class_counts(net, x), "count")
