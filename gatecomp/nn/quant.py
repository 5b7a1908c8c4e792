"""Trainable low-bit quantized layers whose eval-mode forward is the integer contract.

Every layer reads *unsigned codes* (the input codes of
:class:`~gatecomp.nn.encoding.UniformEncoding`, or the previous layer's activation codes) and,
in eval mode, is exactly its :meth:`fold` — an :class:`~gatecomp.nn.integer.IntLinear` or
:class:`~gatecomp.nn.integer.IntScores` — computed in int64. Training uses float tensors that
hold the same code values, with straight-through estimators (STE).

``QuantLinear(in_dim, out_dim, weight_bits, act_bits, in_bits, fan_in, seed)``
    Weights: ``w_int = clamp(round(w / s), -Q, Q)`` with ``Q = 2**(weight_bits-1) - 1``
    (symmetric, narrow range: ``{-1, 0, 1}`` for 2 bits), a learned positive per-neuron scale
    ``s`` (LSQ-style: the rounding has an identity gradient, so ``s`` learns through
    ``w / s``), times a fixed random 0/1 *fan-in mask* (a buffer; each neuron reads exactly
    ``fan_in`` inputs, LogicNets-style, chosen to use every input about equally often).
    Activation: ``y = s * (w_int @ c)``, a batch norm ``z = a (y - mu) + beta`` with
    ``a = gamma / sqrt(var + eps)``, and the ``act_bits`` code
    ``q = clamp(floor(z + 1/2), 0, L)``, ``L = 2**act_bits - 1`` (clipped STE in training).
``QuantScores(in_dim, num_classes, weight_bits, in_bits, fan_in, seed)``
    The classifier: the same weights with one learned per-layer scale ``s`` and an integer
    bias (latent float, rounded with an STE). Training returns the logits
    ``s * (w_int @ c + b_int)``; eval returns the integer scores ``w_int @ c + b_int``, whose
    first-index argmax is the prediction (``s > 0`` does not change it).

The fold rule (stated once; :func:`fold_multi_threshold`). With the integer accumulator
``acc = w_int @ c`` the activation is ``q = #{l = 1..L : A acc + B >= l - 1/2}`` where
``A = a s`` and ``B = beta - a mu`` (evaluated in float64 from the float32 parameters). For
each level ``l`` the bound is ``t_l = (l - 1/2 - B) / A`` and:

* ``A > 0``: ``acc >= ceil(t_l)``: the row is kept, ``T_l = ceil(t_l)``;
* ``A < 0``: ``acc <= floor(t_l)  <=>  -acc >= ceil(-t_l)``: the row (weights) is stored
  negated and ``T_l = ceil(-t_l)`` (the :mod:`~gatecomp.nn.integer` convention);
* ``A = 0``: a constant: ``T_l = min acc`` (always) if ``B >= l - 1/2`` else ``max acc + 1``.

Thresholds are clipped to ``[min acc, max acc + 1]`` over all input codes, which changes no
output. An accumulator exactly on a bound passes it (``>=``), as ``floor(z + 1/2)`` rounds a
half up. The float eval forward (:meth:`QuantLinear.float_forward`, diagnostics only) agrees
with the integer one except where float rounding decides a tie.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .batch_norm import eval_affine
from .dims import LayerDims
from .integer import IntLinear, IntScores, code_bits


def _round_ste(x: torch.Tensor) -> torch.Tensor:
    """``round`` (half to even) forward, identity gradient."""
    return x + (torch.round(x) - x).detach()


def _check_int(value: int, name: str, low: int) -> int:
    if int(value) != value or int(value) < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def fan_in_mask(in_dim: int, out_dim: int, fan_in: int | None,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """(out_dim, in_dim) bool mask with exactly ``fan_in`` True per row (all True if None).

    Each row takes the ``fan_in`` least-used inputs so far, ties broken at random, so every
    input is read ``floor`` or ``ceil`` of ``out_dim * fan_in / in_dim`` times. Deterministic
    for a seeded ``generator``.
    """
    in_dim, out_dim = _check_int(in_dim, "in_dim", 1), _check_int(out_dim, "out_dim", 1)
    if fan_in is None:
        return torch.ones(out_dim, in_dim, dtype=torch.bool)
    k = _check_int(fan_in, "fan_in", 1)
    if k > in_dim:
        raise ValueError(f"fan_in {k} exceeds the {in_dim} inputs")
    noise = torch.rand(out_dim, in_dim, generator=generator, dtype=torch.float64)
    used = torch.zeros(in_dim, dtype=torch.float64)
    mask = torch.zeros(out_dim, in_dim, dtype=torch.bool)
    for j in range(out_dim):
        pick = torch.argsort(used + noise[j])[:k]
        mask[j, pick] = True
        used[pick] += 1.0
    return mask


def fold_multi_threshold(scale: np.ndarray, shift: np.ndarray, levels: int,
                         acc_lo: np.ndarray, acc_hi: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Integer form of ``q = #{l = 1..levels : scale * acc + shift >= l - 1/2}`` per neuron.

    Parameters
    ----------
    scale, shift:
        (out,) per-neuron ``A`` and ``B`` (evaluated in float64; must be finite).
    levels:
        Number of thresholds ``L``.
    acc_lo, acc_hi:
        (out,) integer bounds of ``acc`` over all inputs.

    Returns
    -------
    (negate, thresholds):
        ``negate`` (out,) bool: the row compares ``<=`` and must be stored negated (``A < 0``);
        ``thresholds`` (out, levels) int64 ascending, on ``acc`` (or ``-acc`` where negated),
        clipped to the range of that accumulator plus one. See the module docstring.
    """
    a = np.asarray(scale, dtype=np.float64).reshape(-1)
    b = np.asarray(shift, dtype=np.float64).reshape(-1)
    lo = np.asarray(acc_lo, dtype=np.int64).reshape(-1)
    hi = np.asarray(acc_hi, dtype=np.int64).reshape(-1)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("scale and shift must be finite")
    if not a.shape == b.shape == lo.shape == hi.shape:
        raise ValueError("scale, shift, acc_lo and acc_hi must have one entry per neuron")
    levels = _check_int(levels, "levels", 1)
    steps = np.arange(1, levels + 1, dtype=np.float64) - 0.5  # (L,)
    neg = a < 0
    zero = a == 0
    # bounds of the stored accumulator (acc, or -acc for negated rows)
    s_lo = np.where(neg, -hi, lo)[:, None].astype(np.float64)
    s_hi = np.where(neg, -lo, hi)[:, None].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = (steps[None, :] - b[:, None]) / a[:, None]  # (out, L)
    bound = np.where(neg[:, None], -bound, bound)
    t = np.ceil(np.clip(bound, s_lo - 1, s_hi + 2))
    const = np.where(b[:, None] >= steps[None, :], s_lo, s_hi + 1)
    t = np.where(zero[:, None], const, t)
    t = np.clip(t, s_lo, s_hi + 1).astype(np.int64)
    return neg, t


class _QuantWeights(LayerDims, nn.Module):
    """Latent weights, fan-in mask and the symmetric narrow-range integer quantizer."""

    def __init__(self, in_dim: int, out_dim: int, weight_bits: int, in_bits: int,
                 fan_in: int | None, seed: int | None, per_neuron_scale: bool):
        super().__init__()
        in_dim, out_dim = _check_int(in_dim, "in_dim", 1), _check_int(out_dim, "out_dim", 1)
        self.weight_bits = _check_int(weight_bits, "weight_bits", 2)
        self.in_bits = _check_int(in_bits, "in_bits", 1)
        gen = None if seed is None else torch.Generator().manual_seed(int(seed))
        mask = fan_in_mask(in_dim, out_dim, fan_in, gen)
        self.register_buffer("mask", mask)
        reads = mask.sum(dim=1, keepdim=True).clamp(min=1).float()
        w = torch.randn(out_dim, in_dim, generator=gen) / reads.sqrt()
        self.weight = nn.Parameter(w)
        # LSQ-like start: |w| / s is about 1 on average over the connections read
        mean_abs = (w.abs() * mask).sum(dim=1, keepdim=True) / reads
        init = mean_abs if per_neuron_scale else mean_abs.mean().reshape(1, 1)
        self.scale = nn.Parameter(init.clone())

    @property
    def qmax(self) -> int:
        """Largest weight magnitude ``2**(weight_bits - 1) - 1``."""
        return (1 << (self.weight_bits - 1)) - 1

    def step(self) -> torch.Tensor:
        """The positive weight scale ``s``, (out, 1) or (1, 1)."""
        return self.scale.abs().clamp(min=1e-8)

    def int_weight_ste(self) -> torch.Tensor:
        """Float tensor of the integer weights (masked), with STE gradients to ``w`` and ``s``."""
        q = _round_ste(torch.clamp(self.weight / self.step(), -self.qmax, self.qmax))
        return q * self.mask

    def int_weight(self) -> torch.Tensor:
        """(out, in) int64 integer weights, exact zeros outside the mask."""
        with torch.no_grad():
            return self.int_weight_ste().to(torch.int64)

    def _eval_codes(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.in_dim:
            raise ValueError(f"expected {self.in_dim} input codes, got {x.shape[-1]}")
        if x.is_floating_point() and not bool((x == x.round()).all()):
            raise ValueError("eval-mode input must hold integer codes")
        return x

    def _train_input(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.in_dim:
            raise ValueError(f"expected {self.in_dim} input codes, got {x.shape[-1]}")
        return x if x.is_floating_point() else x.to(torch.float32)


class QuantLinear(_QuantWeights):
    """Trainable k-bit hidden layer (sparse fan-in optional); an :class:`IntLinear` in eval.

    Parameters
    ----------
    in_dim, out_dim:
        Widths.
    weight_bits:
        Signed weight width (>= 2; ``Q = 2**(weight_bits-1) - 1``). Binary weights are
        :class:`~gatecomp.nn.binary.BinaryLinear`'s job.
    act_bits:
        Output code width; ``2**act_bits - 1`` thresholds per neuron.
    in_bits:
        Width of the unsigned input codes.
    fan_in:
        Inputs each neuron reads (a fixed random mask), or None for a dense layer.
    seed:
        Seed of the mask and the weight initialisation (``None``: torch's global RNG).
    """

    def __init__(self, in_dim: int, out_dim: int, weight_bits: int = 2, act_bits: int = 2,
                 in_bits: int = 2, fan_in: int | None = None, seed: int | None = None):
        super().__init__(in_dim, out_dim, weight_bits, in_bits, fan_in, seed,
                         per_neuron_scale=True)
        self.act_bits = _check_int(act_bits, "act_bits", 1)
        self.bn = nn.BatchNorm1d(self.out_dim)

    @property
    def levels(self) -> int:
        """Thresholds per neuron ``L = 2**act_bits - 1``."""
        return (1 << self.act_bits) - 1

    @property
    def out_bits(self) -> int:
        return code_bits(self.levels)

    def _affine(self) -> tuple[np.ndarray, np.ndarray]:
        """float64 ``(A, B)`` per neuron: ``z = A acc + B`` (eval batch norm, scale folded)."""
        with torch.no_grad():
            a, big_b = eval_affine(self.bn)
            big_a = a * self.step().double().reshape(-1)
        return big_a.cpu().numpy(), big_b.cpu().numpy()

    def fold(self) -> IntLinear:
        """The integer layer eval mode computes (rule in the module docstring)."""
        w = self.int_weight().cpu()
        top = (1 << self.in_bits) - 1
        lo = (top * w.clamp(max=0).sum(dim=1)).numpy()
        hi = (top * w.clamp(min=0).sum(dim=1)).numpy()
        a, b = self._affine()
        neg, thr = fold_multi_threshold(a, b, self.levels, lo, hi)
        sign = torch.from_numpy(np.where(neg, -1, 1).astype(np.int64))[:, None]
        return IntLinear(w * sign, torch.zeros(self.out_dim, dtype=torch.int64), thr,
                         in_bits=self.in_bits)

    def float_forward(self, x: torch.Tensor) -> torch.Tensor:
        """Float eval forward (running statistics, float32); diagnostics only — the reference
        is the integer :meth:`fold`. Returns float codes."""
        with torch.no_grad():
            y = (x.to(torch.float32) @ self.int_weight_ste().T) * self.step().reshape(1, -1)
            bn = self.bn
            z = (y - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps)
            if bn.affine:
                z = z * bn.weight + bn.bias
            return torch.clamp(torch.floor(z + 0.5), 0, self.levels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return self.fold().to(x.device)(self._eval_codes(x))
        x = self._train_input(x)
        y = (x @ self.int_weight_ste().T) * self.step().reshape(1, -1)
        z = self.bn(y).clamp(0, self.levels)
        return z + (torch.floor(z + 0.5) - z).detach()

    def extra_repr(self) -> str:
        fan = int(self.mask.sum(dim=1).max())
        return (f"{self.in_dim}, {self.out_dim}, weight_bits={self.weight_bits}, "
                f"act_bits={self.act_bits}, in_bits={self.in_bits}, fan_in={fan}, "
                f"{'train' if self.training else 'eval'}")


class QuantScores(_QuantWeights):
    """Trainable k-bit classifier: float logits in training, :class:`IntScores` in eval.

    Parameters as :class:`QuantLinear` (no activation); ``bias`` adds a learned integer bias in
    accumulator units. The weight scale is one per layer so the argmax is scale free.
    """

    def __init__(self, in_dim: int, num_classes: int, weight_bits: int = 2, in_bits: int = 2,
                 fan_in: int | None = None, seed: int | None = None, bias: bool = True):
        super().__init__(in_dim, num_classes, weight_bits, in_bits, fan_in, seed,
                         per_neuron_scale=False)
        self.register_parameter("bias", nn.Parameter(torch.zeros(self.out_dim)) if bias
                                else None)

    @property
    def num_classes(self) -> int:
        return self.out_dim

    def int_bias(self) -> torch.Tensor:
        """(classes,) int64 bias (zeros without one)."""
        if self.bias is None:
            return torch.zeros(self.out_dim, dtype=torch.int64)
        with torch.no_grad():
            return torch.round(self.bias).to(torch.int64).cpu()

    def fold(self) -> IntScores:
        """The integer classifier eval mode computes."""
        return IntScores(self.int_weight().cpu(), self.int_bias(), in_bits=self.in_bits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return self.fold().to(x.device)(self._eval_codes(x))
        x = self._train_input(x)
        acc = x @ self.int_weight_ste().T
        if self.bias is not None:
            acc = acc + _round_ste(self.bias)
        return acc * self.step().reshape(())

    def extra_repr(self) -> str:
        fan = int(self.mask.sum(dim=1).max())
        return (f"{self.in_dim}, classes={self.num_classes}, weight_bits={self.weight_bits}, "
                f"in_bits={self.in_bits}, fan_in={fan}, bias={self.bias is not None}")
