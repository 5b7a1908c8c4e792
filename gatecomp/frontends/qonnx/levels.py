"""What a QONNX quantizer means as levels, and those levels as integer thresholds.

Every activation quantizer gatecomp folds is a count of passed levels: level ``l`` passes iff
``value > tau_l`` or (``value == tau_l`` and ``incl_l``), and the output is ``a * count + b``
(per feature). :func:`quantizer_levels` gives ``(tau, incl, a, b)`` per op:

* ``Quant`` / ``IntQuant`` (``q = round(clamp(v / s + zp))``, ``value = s (q - zp)``): level
  ``m = lo+1 .. hi`` passes iff ``round(v / s + zp) >= m``, i.e. ``tau_m = s (beta_m - zp)``
  with ``(beta_m, incl_m)`` from :func:`round_rule` (``ROUND`` = half to even:
  ``beta = m - 1/2``, ``incl = m even``); ``a = s``, ``b = s (lo - zp)`` (signed codes are
  offset binary). A 1-bit signed ``Quant`` is bipolar, as in qonnx.
* ``BipolarQuant``: ``value >= 0``; ``a = 2 s``, ``b = -s``.
* ``MultiThreshold``: ``value >= t`` per channel; ``a = out_scale``, ``b = out_bias``.
* ``Sign`` (``sign(0) = 0``): ``value >= 0`` and ``value > 0``; ``a = 1``, ``b = -1``.

:func:`integer_thresholds` turns the levels of ``value = alpha z + beta`` into thresholds on
the integer ``z``: ``r = (tau - beta) / alpha`` in float64, ``T = ceil(r)``, or on an exact
integer ``r``: ``r`` (``incl``) / ``r + 1``; a negative ``alpha`` compares ``-z`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import GatecompError
from .execute import int_range, quant_params
from .graph import Node


def round_rule(mode: str, m: int) -> tuple[float, bool]:
    """``(beta, incl)``: ``round(u) >= m`` iff ``u > beta`` or (``u == beta`` and ``incl``)."""
    if mode in ("ROUND", "HALF_EVEN"):
        return m - 0.5, m % 2 == 0
    if mode == "HALF_UP":
        return m - 0.5, m >= 1
    if mode == "HALF_DOWN":
        return m - 0.5, m <= 0
    if mode == "FLOOR":
        return float(m), True
    if mode == "CEIL":
        return m - 1.0, False
    if mode == "DOWN":  # toward zero
        return (float(m), True) if m >= 1 else (m - 1.0, False)
    if mode == "UP":  # away from zero
        return (m - 1.0, False) if m >= 1 else (float(m), True)
    raise GatecompError(f"unknown rounding mode {mode!r}")


ROUND_RULES = ("ROUND", "HALF_EVEN", "HALF_UP", "HALF_DOWN", "FLOOR", "CEIL", "DOWN", "UP")


@dataclass
class Activation:
    """A quantizer as levels: pass ``l`` iff ``v > tau[:, l]`` or (``==`` and ``incl[:, l]``);
    output value ``a * count + b`` (all per feature)."""

    tau: np.ndarray
    incl: np.ndarray
    a: np.ndarray
    b: np.ndarray

    def passes(self, v: np.ndarray) -> np.ndarray:
        """(features, L) bool: which levels per-feature values ``v`` pass."""
        return (v[:, None] > self.tau) | ((v[:, None] == self.tau) & self.incl)


def per_feature(arr, shape: tuple[int, ...], what: str, node: Node) -> np.ndarray:
    """A broadcastable parameter as one float64 per feature of a (batch, \\*shape) tensor."""
    a = np.asarray(arr, dtype=np.float64)
    try:
        return np.broadcast_to(a, (1, *shape)).reshape(-1).copy()
    except ValueError:
        raise GatecompError(f"{node.label}: {what} of shape {a.shape} does not broadcast to the "
                            f"tensor's shape {shape}") from None


def per_channel(arr, shape: tuple[int, ...], what: str, node: Node) -> np.ndarray:
    """A (C,) per-channel (axis 1) parameter as one float64 per feature."""
    a = np.asarray(arr, dtype=np.float64).reshape(-1)
    if a.size not in (1, shape[0]):
        raise GatecompError(f"{node.label}: {what} has {a.size} entries for {shape[0]} channels")
    a = np.broadcast_to(a, (shape[0],))
    return np.repeat(a, int(np.prod(shape[1:], dtype=np.int64)))


def mt_rows(thr: np.ndarray, shape: tuple[int, ...], node: Node) -> np.ndarray:
    """MultiThreshold thresholds (C, B) / (1, B) as (features, B), channels on axis 1.

    qonnx reads a tensor without ``data_layout`` by its rank (2: NC, 3: NWC, 4: NCHW); a
    channels-last reading is refused, as is a layout of another rank than the tensor's.
    """
    layout = str(node.attr("data_layout", "") or "")
    rank = len(shape) + 1
    if (not layout and rank == 3) or (layout and len(layout) != rank) or \
            layout not in ("", "NC", "NCW", "NCHW"):
        raise GatecompError(f"{node.label}: data_layout {layout!r} on a rank-{rank} tensor is "
                            "not supported (qonnx puts its channels elsewhere than axis 1)")
    t = np.asarray(thr, dtype=np.float64)
    if t.ndim != 2 or t.shape[0] not in (1, shape[0]):
        raise GatecompError(f"{node.label}: thresholds of shape {t.shape} do not fit "
                            f"{shape[0]} channels")
    t = np.broadcast_to(t, (shape[0], t.shape[1]))
    return np.repeat(t, int(np.prod(shape[1:], dtype=np.int64)), axis=0)


def quantizer_levels(node: Node, shape: tuple[int, ...], params: list[np.ndarray]
                     ) -> Activation:
    """The quantizer ``node`` (``Quant``/``IntQuant``, ``BipolarQuant``, ``MultiThreshold``,
    ``Sign``) on data of per-sample ``shape``, as levels; ``params``: its constant inputs
    after the data (scale, zero point, bit width / scale / thresholds)."""
    n = int(np.prod(shape, dtype=np.int64))
    op = node.op
    if op == "Sign":
        return Activation(np.zeros((n, 2)), np.tile([True, False], (n, 1)), np.ones(n),
                          -np.ones(n))
    if op == "BipolarQuant":
        s = per_feature(params[0], shape, "scale", node)
        if not (np.isfinite(s).all() and (s != 0).all()):
            raise GatecompError(f"{node.label}: the scale must be finite and non-zero")
        return Activation(np.zeros((n, 1)), np.ones((n, 1), bool), 2 * s, -s)
    if op == "MultiThreshold":
        thr = mt_rows(params[0], shape, node)
        return Activation(thr, np.ones(thr.shape, bool),
                          np.full(n, float(node.attr("out_scale", 1.0))),
                          np.full(n, float(node.attr("out_bias", 0.0))))
    arrs = [np.asarray(a, dtype=np.float64) for a in params[:3]]
    bits, signed, narrow, mode = quant_params(node, [None, *arrs])
    s = per_feature(arrs[0], shape, "scale", node)
    zp = per_feature(arrs[1], shape, "zero point", node)
    if not (np.isfinite(s).all() and (s > 0).all() and np.isfinite(zp).all()):
        raise GatecompError(f"{node.label}: the scale must be positive and finite")
    if bits == 1 and signed:  # qonnx: bipolar
        return Activation((-s * zp)[:, None], np.ones((n, 1), bool), 2 * s, -s * (1 + zp))
    mode = mode.upper()
    if mode not in ROUND_RULES:
        raise GatecompError(f"{node.label}: unknown rounding mode {mode!r}")
    lo, hi = int_range(bits, signed, narrow)
    if hi <= lo:
        raise GatecompError(f"{node.label}: a {bits}-bit narrow quantizer has one level")
    rules = [round_rule(mode, m) for m in range(lo + 1, hi + 1)]
    edge = np.array([r[0] for r in rules])
    incl = np.tile(np.array([r[1] for r in rules]), (n, 1))
    return Activation(s[:, None] * (edge[None, :] - zp[:, None]), incl, s, s * (lo - zp))


def integer_thresholds(alpha: np.ndarray, beta: np.ndarray, act: Activation,
                       always: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(sign (F,), T (F, L) float)``: level ``l`` of neuron ``j`` (``value_j = alpha_j z_j +
    beta_j``) passes iff ``sign_j z_j >= T_jl``; ``+-inf``: always / never; ``always`` (F, L)
    marks levels forced to pass (a ``Relu`` before a quantizer whose level passes at 0)."""
    sign = np.sign(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (act.tau - beta[:, None]) / alpha[:, None] * np.where(sign < 0, -1.0, 1.0)[:, None]
    exact = r == np.floor(r)
    t = np.where(exact, r + np.where(act.incl, 0.0, 1.0), np.ceil(r))
    zero = sign == 0
    if zero.any():
        const_pass = act.passes(beta)[zero]
        t[zero] = np.where(const_pass, -np.inf, np.inf)
    t[always] = -np.inf
    return sign, t
