"""Integer-only quantized layers: the reference every low-bit network is folded into.

A quantized network (Brevitas k-bit, QONNX, our own ``QuantLinear``) is, after folding its float
scales, zero points, biases and batch norms, a chain of integer layers over *unsigned codes*:

``IntLinear`` (a hidden layer)
    ``acc_j = sum_i W[j, i] * c_i + b_j`` (int64) over the unsigned input codes ``c_i`` (each
    ``in_bits`` wide), and the output code ``q_j = #{l : acc_j >= T[j, l]}`` in ``[0, L]`` with
    ``L`` thresholds per neuron, ascending along ``l`` (a multi-threshold activation; ``L = 1``
    is a binary neuron). Its output codes are ``out_bits = ceil(log2(L + 1))`` wide.
``IntScores`` (the classifier)
    ``acc_j = sum_i W[j, i] * c_i + b_j`` per class; the prediction is the first-index argmax.

Conventions, stated once:

* every layer reads unsigned codes; whatever a code *means* (a signed value ``c - 2**(k-1)``, a
  bipolar ``2c - 1``, a scaled real ``s * c``) is folded into ``W`` and ``b`` by the reader;
* a neuron whose activation compares ``<=`` (negative batch-norm or quantizer scale) is stored
  negated: ``acc <= T  <=>  -acc >= -T``;
* a zero weight is no connection: the non-zero count of a row is the neuron's fan-in (sparse,
  LogicNets-style layers are just rows with few non-zeros);
* thresholds are plain integers: ``T <= min acc`` is always passed, ``T > max acc`` never.

The forward runs in int64 on any integer or bool tensor of codes, in train and eval mode alike,
so it cannot disagree with gates on a float tie.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .dims import LayerDims


def _int_tensor(value: torch.Tensor | np.ndarray, name: str) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(value))
    if t.is_floating_point() and not (bool(torch.isfinite(t).all())
                                      and bool((t == t.round()).all())):
        raise ValueError(f"{name} must hold integers")
    return t.to(torch.int64).contiguous()


def code_bits(levels: int) -> int:
    """Bits of an unsigned code with ``levels`` thresholds (values ``0..levels``), at least 1."""
    return max(1, int(levels).bit_length())


class _IntAffine(LayerDims, nn.Module):
    """Shared part: integer weight (out, in), bias (out,), input code width."""

    def __init__(self, weight, bias, in_bits: int):
        super().__init__()
        w = _int_tensor(weight, "weight")
        if w.ndim != 2:
            raise ValueError(f"weight must be (out, in), got shape {tuple(w.shape)}")
        b = torch.zeros(w.shape[0], dtype=torch.int64) if bias is None else _int_tensor(bias,
                                                                                       "bias")
        if b.shape != (w.shape[0],):
            raise ValueError(f"bias must have shape ({w.shape[0]},), got {tuple(b.shape)}")
        if int(in_bits) < 1:
            raise ValueError(f"in_bits must be >= 1, got {in_bits}")
        self.in_bits = int(in_bits)
        self.register_buffer("weight", w)
        self.register_buffer("bias", b)

    def fan_in(self) -> torch.Tensor:
        """(out,) number of non-zero weights per neuron."""
        return (self.weight != 0).sum(dim=1)

    def accumulate(self, codes: torch.Tensor) -> torch.Tensor:
        """(samples, out) int64 ``W c + b`` of (samples, in) unsigned codes."""
        if codes.shape[-1] != self.in_dim:
            raise ValueError(f"expected {self.in_dim} input codes, got {codes.shape[-1]}")
        c = codes.to(torch.int64)
        if bool((c < 0).any()) or bool((c >> self.in_bits).any()):
            raise ValueError(f"input codes must be unsigned {self.in_bits}-bit values")
        return c @ self.weight.T + self.bias

    def acc_range(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(min, max) of ``acc`` per neuron over all input codes (exact bounds)."""
        top = (1 << self.in_bits) - 1
        w = self.weight
        lo = self.bias + top * w.clamp(max=0).sum(dim=1)
        hi = self.bias + top * w.clamp(min=0).sum(dim=1)
        return lo, hi


class IntLinear(_IntAffine):
    """Hidden integer layer: multi-threshold activation of ``W c + b`` (see module docstring).

    Buffers: ``weight`` (out, in) int64, ``bias`` (out,) int64, ``thresholds`` (out, L) int64
    ascending per row. ``in_bits`` is the width of the input codes.
    """

    def __init__(self, weight, bias, thresholds, in_bits: int = 1):
        super().__init__(weight, bias, in_bits)
        t = _int_tensor(thresholds, "thresholds")
        if t.ndim == 1:
            t = t[:, None]
        if t.ndim != 2 or t.shape[0] != self.out_dim or t.shape[1] < 1:
            raise ValueError(f"thresholds must be ({self.out_dim}, L >= 1), got "
                             f"{tuple(t.shape)}")
        if bool((t[:, 1:] < t[:, :-1]).any()):
            raise ValueError("thresholds must be ascending along each row")
        self.register_buffer("thresholds", t.contiguous())

    @property
    def levels(self) -> int:
        """Number of thresholds ``L`` per neuron."""
        return int(self.thresholds.shape[1])

    @property
    def out_bits(self) -> int:
        return code_bits(self.levels)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        acc = self.accumulate(codes)
        return (acc[:, :, None] >= self.thresholds[None]).sum(dim=2)

    def extra_repr(self) -> str:
        return (f"{self.in_dim}, {self.out_dim}, in_bits={self.in_bits}, "
                f"levels={self.levels}, max_fan_in={int(self.fan_in().max())}")


class IntScores(_IntAffine):
    """Integer classifier: ``W c + b`` per class (int64); prediction = first-index argmax."""

    def __init__(self, weight, bias=None, in_bits: int = 1):
        super().__init__(weight, bias, in_bits)

    @property
    def num_classes(self) -> int:
        return self.out_dim

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.accumulate(codes)

    def extra_repr(self) -> str:
        return f"{self.in_dim}, classes={self.num_classes}, in_bits={self.in_bits}"


def check_chain(layers: list[nn.Module]) -> None:
    """Raise ``ValueError`` unless ``layers`` is ``IntLinear* IntScores`` with matching widths."""
    if not layers or not isinstance(layers[-1], IntScores):
        raise ValueError("an integer network must end with an IntScores layer")
    for i, m in enumerate(layers[:-1]):
        if not isinstance(m, IntLinear):
            raise ValueError(f"layer {i} ({type(m).__name__}) must be an IntLinear")
    for i in range(1, len(layers)):
        prev, cur = layers[i - 1], layers[i]
        if cur.in_dim != prev.out_dim:
            raise ValueError(f"layer {i} reads {cur.in_dim} codes but layer {i - 1} "
                             f"produces {prev.out_dim}")
        if cur.in_bits != prev.out_bits:
            raise ValueError(f"layer {i} reads {cur.in_bits}-bit codes but layer {i - 1} "
                             f"produces {prev.out_bits}-bit codes")
