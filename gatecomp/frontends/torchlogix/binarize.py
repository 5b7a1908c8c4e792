"""torchlogix's binarization layers: what they compare, and the comparators that replace them.

``Fixed``/``Soft``/``LearnableBinarization`` compute in eval mode ``x.unsqueeze(-1) >
thresholds`` (per-channel thresholds broadcast over (C, H, W) images) and fold the threshold
axis into ``feature_dim`` (``merge_dim_with_last``). By default the circuit takes that output's
bits. With ``input_bits=N`` it takes the N-bit unsigned features themselves and compares them
in hardware: which feature and which threshold feed each output bit is found by running the
same broadcasting and merge on index tensors, so the order is torchlogix's by construction.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...errors import GatecompError
from .network import Binarization, Comparators
from .standins import short_name


def thresholds(m: nn.Module) -> torch.Tensor:
    """``get_thresholds()`` of the layer, with torch's own ops (learnable: cumsum of the first
    difference and softplus-scaled others)."""
    if short_name(m) != "LearnableBinarization":
        return m._buffers["thresholds"]
    raw = m._parameters["raw_diffs"].detach()
    first = raw[..., :1]
    if raw.shape[-1] == 1:
        return torch.cumsum(first, dim=-1)
    scale = m.temperature_softplus + 1e-6
    rest = scale * F.softplus(raw[..., 1:] / scale)
    return torch.cumsum(torch.cat([first, rest], dim=-1), dim=-1)


def binarization(m: nn.Module, bits_shape: tuple[int, ...], where: str) -> Binarization:
    """The record of the leading binarization (its thresholds as the eval forward uses them)."""
    t = thresholds(m)
    if not isinstance(t, torch.Tensor) or t.ndim == 0 or not bool(torch.isfinite(t).all()):
        raise GatecompError(f"{where}: thresholds missing, scalar or not finite")
    if t.ndim > 2:
        raise GatecompError(f"{where}: thresholds of shape {tuple(t.shape)}: torchlogix "
                            "compares with (bits,) or (features, bits) thresholds")
    return Binarization(short_name(m), t.detach().cpu().numpy().reshape(-1, t.shape[-1]),
                        int(m.feature_dim), bits_shape)


def _merge_dim_with_last(x: torch.Tensor, k: int) -> torch.Tensor:
    """torchlogix's ``merge_dim_with_last``: fold the last axis into axis ``k``."""
    n = x.ndim
    k = k + n if k < 0 else k
    if not 0 <= k < n - 1:
        raise ValueError(f"feature_dim {k} cannot take the threshold bits")
    perm = list(range(n - 1))
    perm.insert(k + 1, n - 1)
    y = x.permute(*perm)
    shape = list(y.shape)
    shape[k] *= shape.pop(k + 1)
    return y.reshape(*shape)


def feature_shape(b: Binarization, flattened: bool) -> tuple[int, ...]:
    """The feature tensor (without batch) whose binarization gives the first layer's bits."""
    bits, per = math.prod(b.bits_shape), b.thresholds.shape[-1]
    rows = b.thresholds.shape[0]
    if flattened or len(b.bits_shape) == 1:
        if rows == 1:
            return (bits // per,)
        return (rows,) if bits == rows * per else (bits // (rows * per), rows)
    shape = list(b.bits_shape)
    k = b.feature_dim - 1 if b.feature_dim > 0 else len(shape) + 1 + b.feature_dim
    if not 0 <= k < len(shape) or shape[k] % per:
        raise GatecompError(f"binarization feature_dim {b.feature_dim} does not fit the first "
                            f"layer's input {tuple(shape)}")
    shape[k] //= per
    return tuple(shape)


def comparators(b: Binarization, t: torch.Tensor, flattened: bool, bits: int, where: str
                ) -> Comparators:
    """Which feature and constant each output bit compares (``x >= floor(t) + 1``)."""
    if not 1 <= bits <= 24:
        raise GatecompError(f"{where}: --input-bits {bits}: features must be 1..24-bit "
                            "integers (exact in torchlogix's float32 comparison)")
    shape = feature_shape(b, flattened)
    feat = torch.arange(math.prod(shape)).reshape(1, *shape).unsqueeze(-1)
    tid = torch.arange(t.numel()).reshape(t.shape)
    if t.dim() == 2 and feat.dim() == 5:  # torchlogix's per-channel case for images
        tid = tid.view(1, -1, 1, 1, t.shape[1])
    try:
        fb, tb = torch.broadcast_tensors(feat, tid)
        fb, tb = (_merge_dim_with_last(v, b.feature_dim)[0] for v in (fb, tb))
    except (RuntimeError, ValueError) as exc:
        raise GatecompError(f"{where}: thresholds {tuple(t.shape)} do not broadcast over "
                            f"features {shape}: {exc}") from None
    if fb.numel() != math.prod(b.bits_shape):
        raise GatecompError(f"{where}: binarizing features {shape} gives {fb.numel()} bits, "
                            f"the first layer reads {math.prod(b.bits_shape)}")
    thr = t.detach().double().flatten().numpy()[tb.flatten().numpy()]
    const = np.clip(np.floor(thr) + 1, 0, 1 << bits).astype(np.int64)
    return Comparators(shape, bits, fb.flatten().numpy().astype(np.int64), const)
