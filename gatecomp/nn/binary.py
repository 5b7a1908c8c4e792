"""Binary (XNOR-popcount) layers: trainable with straight-through estimators, integer in eval.

Values are bits on the wire: bit ``b`` stands for the sign ``2b - 1``, for activations and
weights alike, so a layer reads the thermometer bits of :mod:`gatecomp.nn.encoding` directly.

``BinaryLinear(in, out)``
    Training: ``y = sign(x) @ sign(w).T`` (straight-through estimator for both signs), batch
    norm, and ``bit = (bn(y) >= 0)`` (straight-through, clipped). Eval: the integer form of
    :meth:`BinaryLinear.fold` — ``p = popcount(xnor(x, w_bits))`` per neuron and
    ``bit = p >= T`` (``direction`` +1) or ``p <= T`` (``direction`` -1, a negative batch-norm
    scale). It is computed in int64, so it cannot disagree with gates on a float tie.
``BinaryScores(in, k)``
    The classifier: ``k`` XNOR-popcounts of the last hidden bits. Training returns
    ``(2p - n) / tau`` as logits; eval returns the integer counts ``p``. The prediction is their
    argmax, first index on ties (``torch.argmax``), which ``tau > 0`` does not change.

Folding (the rule, stated once): with ``y = 2p - n`` and the batch norm
``z = a (y - mu) + beta``, ``a = gamma / sqrt(var + eps)``, the output is 1 iff ``z >= 0``:

* ``a > 0``: ``p >= ceil((n + mu - beta / a) / 2)``,
* ``a < 0``: ``p <= floor((n + mu - beta / a) / 2)``,
* ``a = 0``: constant ``beta >= 0`` (``p >= 0`` or ``p >= n + 1``).

Thresholds are evaluated in float64 and clipped to ``[0, n + 1]`` (``>=``) or ``[-1, n]``
(``<=``). :class:`ThresholdLinear` and :class:`PopcountScores` are the integer-only modules
(what a checkpoint stores, what the hardware computes); ``fold()`` produces them.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .batch_norm import eval_affine
from .dims import LayerDims, ScoreDims


class _SignSTE(torch.autograd.Function):
    """``sign`` with ``sign(0) = +1`` forward, identity gradient clipped to ``|x| <= 1``."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        ctx.save_for_backward(x)
        return torch.where(x >= 0, 1.0, -1.0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # noqa: D102
        (x,) = ctx.saved_tensors
        return grad * (x.abs() <= 1).to(grad.dtype)


def sign_ste(x: torch.Tensor) -> torch.Tensor:
    """``+1`` where ``x >= 0`` else ``-1``, with the clipped straight-through gradient."""
    return _SignSTE.apply(x)


def xnor_popcount(x_bits: torch.Tensor, w_bits: torch.Tensor) -> torch.Tensor:
    """(samples, out) int64 ``sum_i [x_i == w_i]`` of 0/1 inputs and (out, in) 0/1 weights."""
    x = x_bits.to(torch.int64)
    w = w_bits.to(torch.int64)
    return x @ w.T + (1 - x) @ (1 - w).T


def _check_bits(x: torch.Tensor, width: int) -> None:
    if x.shape[-1] != width:
        raise ValueError(f"expected input width {width}, got {x.shape[-1]}")


def fold_thresholds(scale: np.ndarray, shift: np.ndarray, n: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Integer thresholds and directions of ``bit = (scale * (2p - n) + shift >= 0)``.

    ``scale`` and ``shift`` are per neuron (any float, evaluated in float64); returns
    ``(threshold int64, direction int8)`` with the rule of the module docstring.
    """
    a = np.asarray(scale, dtype=np.float64)
    s = np.asarray(shift, dtype=np.float64)
    if not np.isfinite(a).all() or not np.isfinite(s).all():
        raise ValueError("batch-norm scale/shift must be finite")
    thr = np.zeros(a.shape, dtype=np.int64)
    direction = np.ones(a.shape, dtype=np.int8)
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = (n - s / a) / 2.0  # p compared with this: 2p - n >= -s/a  <=>  p >= bound
    pos, neg, zero = a > 0, a < 0, a == 0
    thr[pos] = np.clip(np.ceil(np.clip(bound[pos], -1, n + 2)), 0, n + 1)
    thr[neg] = np.clip(np.floor(np.clip(bound[neg], -2, n + 1)), -1, n)
    direction[neg] = -1
    thr[zero] = np.where(s[zero] >= 0, 0, n + 1)
    return thr, direction


class ThresholdLinear(LayerDims, nn.Module):
    """Integer-only binary neuron layer: ``bit = popcount(xnor(x, w)) >= T`` (or ``<= T``).

    Buffers: ``weight_bits`` (out, in) uint8, ``threshold`` (out,) int64, ``direction`` (out,)
    int8 (+1 for ``>=``, -1 for ``<=``). The forward is the same in train and eval mode and
    returns 0/1 in the input's dtype.
    """

    _dims_tensor = "weight_bits"

    def __init__(self, weight_bits: torch.Tensor | np.ndarray,
                 threshold: torch.Tensor | np.ndarray, direction: torch.Tensor | np.ndarray):
        super().__init__()
        w = torch.as_tensor(np.asarray(weight_bits)).to(torch.uint8)
        t = torch.as_tensor(np.asarray(threshold)).to(torch.int64)
        d = torch.as_tensor(np.asarray(direction)).to(torch.int8)
        if w.ndim != 2 or t.shape != (w.shape[0],) or d.shape != (w.shape[0],):
            raise ValueError(f"weight_bits must be (out, in) and threshold/direction (out,); got "
                             f"{tuple(w.shape)}, {tuple(t.shape)}, {tuple(d.shape)}")
        if bool((w > 1).any()):
            raise ValueError("weight_bits must be 0/1")
        if not bool(((d == 1) | (d == -1)).all()):
            raise ValueError("direction must be +1 (>=) or -1 (<=)")
        self.register_buffer("weight_bits", w.contiguous())
        self.register_buffer("threshold", t.contiguous())
        self.register_buffer("direction", d.contiguous())

    def popcounts(self, x: torch.Tensor) -> torch.Tensor:
        """(samples, out) int64 XNOR-popcounts."""
        _check_bits(x, self.in_dim)
        return xnor_popcount(x, self.weight_bits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.popcounts(x)
        ge = p >= self.threshold
        le = p <= self.threshold
        out = torch.where(self.direction > 0, ge, le)
        return out.to(x.dtype if x.dtype != torch.bool else torch.bool)

    def extra_repr(self) -> str:
        return f"{self.in_dim}, {self.out_dim}"


class PopcountScores(ScoreDims, nn.Module):
    """Integer-only classifier: ``k`` XNOR-popcounts (int64) of the input bits."""

    _dims_tensor = "weight_bits"

    def __init__(self, weight_bits: torch.Tensor | np.ndarray):
        super().__init__()
        w = torch.as_tensor(np.asarray(weight_bits)).to(torch.uint8)
        if w.ndim != 2 or bool((w > 1).any()):
            raise ValueError("weight_bits must be a (classes, in) 0/1 array")
        self.register_buffer("weight_bits", w.contiguous())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_bits(x, self.in_dim)
        return xnor_popcount(x, self.weight_bits)

    def extra_repr(self) -> str:
        return f"{self.in_dim}, classes={self.num_classes}"


class BinaryLinear(LayerDims, nn.Module):
    """Trainable binary layer (latent weights, batch norm, sign); integer in eval mode.

    Parameters
    ----------
    in_dim, out_dim:
        Widths.
    seed:
        Seed of the latent weight initialisation (``None``: torch's global RNG).
    """

    def __init__(self, in_dim: int, out_dim: int, seed: int | None = None):
        super().__init__()
        gen = None if seed is None else torch.Generator().manual_seed(int(seed))
        self.weight = nn.Parameter(0.1 * torch.randn(int(out_dim), int(in_dim), generator=gen))
        self.bn = nn.BatchNorm1d(int(out_dim))

    def fold(self) -> ThresholdLinear:
        """The integer layer eval mode computes (batch norm folded into thresholds)."""
        with torch.no_grad():
            a, shift = eval_affine(self.bn)
            thr, direction = fold_thresholds(a.numpy(), shift.numpy(), self.in_dim)
            w_bits = (self.weight.detach() >= 0).to(torch.uint8)
        return ThresholdLinear(w_bits, thr, direction)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_bits(x, self.in_dim)
        if not self.training:
            return self.fold().to(x.device)(x)
        y = sign_ste(2 * x - 1) @ sign_ste(self.weight).T
        return (sign_ste(self.bn(y)) + 1) / 2

    def extra_repr(self) -> str:
        return f"{self.in_dim}, {self.out_dim}, {'train' if self.training else 'eval'}"


class BinaryScores(ScoreDims, nn.Module):
    """Trainable binary classifier: ``(2p - n) / tau`` logits in training, counts ``p`` in eval."""

    def __init__(self, in_dim: int, num_classes: int, tau: float | None = None,
                 seed: int | None = None):
        super().__init__()
        gen = None if seed is None else torch.Generator().manual_seed(int(seed))
        self.weight = nn.Parameter(0.1 * torch.randn(int(num_classes), int(in_dim),
                                                     generator=gen))
        self.tau = float(tau) if tau is not None else math.sqrt(in_dim)
        if not self.tau > 0:
            raise ValueError(f"tau must be positive, got {tau}")

    def fold(self) -> PopcountScores:
        return PopcountScores((self.weight.detach() >= 0).to(torch.uint8))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_bits(x, self.in_dim)
        if not self.training:
            return self.fold().to(x.device)(x)
        return (sign_ste(2 * x - 1) @ sign_ste(self.weight).T) / self.tau

    def extra_repr(self) -> str:
        return f"{self.in_dim}, classes={self.num_classes}, tau={self.tau:g}"


def fold_binary(module: nn.Module) -> nn.Sequential:
    """An ``nn.Sequential`` of integer-only layers equal to ``module`` in eval mode.

    Accepts a (nested) ``nn.Sequential`` of :class:`BinaryLinear` / :class:`ThresholdLinear`
    layers ending with :class:`BinaryScores` / :class:`PopcountScores` (``nn.Flatten`` is
    skipped). Raises ``ValueError`` for anything else.
    """
    out: list[nn.Module] = []
    stack = [module]
    flat: list[nn.Module] = []
    while stack:
        m = stack.pop(0)
        if isinstance(m, nn.Sequential):
            stack = list(m) + stack
        else:
            flat.append(m)
    for m in flat:
        if isinstance(m, nn.Flatten):
            continue
        if isinstance(m, (BinaryLinear, BinaryScores)):
            out.append(m.fold())
        elif isinstance(m, (ThresholdLinear, PopcountScores)):
            out.append(m)
        else:
            raise ValueError(f"unsupported layer {type(m).__module__}.{type(m).__qualname__}")
    return nn.Sequential(*out).eval()
