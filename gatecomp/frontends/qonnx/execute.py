"""A small NumPy executor for the QONNX ops gatecomp folds: the float model the fold is checked on.

It computes what ``qonnx.core.onnx_exec.execute_onnx`` computes (the qonnx custom ops are
ported formula for formula: ``Quant`` divides by the scale, adds the zero point, clamps, then
rounds; a 1-bit signed ``Quant`` is bipolar, as in qonnx; ``MultiThreshold`` counts thresholds
``<=`` the input along the channel axis), in float32, without ``onnxruntime``. The batch size is
free: a ``Reshape`` keeps the batch dimension and applies the rest of its shape constant.

The integer fold never uses these float results; :mod:`.qonnx_agree` compares the two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from ...errors import GatecompError
from .graph import Node, QonnxGraph


def _round_half_up(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _round_half_down(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.ceil(np.abs(x) - 0.5)


#: qonnx rounding modes (``ROUND`` is half-to-even, like ``torch.round``)
ROUNDING: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "ROUND": np.round, "HALF_EVEN": np.round, "CEIL": np.ceil, "FLOOR": np.floor,
    "UP": lambda x: np.sign(x) * np.ceil(np.abs(x)), "DOWN": np.fix,
    "HALF_UP": _round_half_up, "HALF_DOWN": _round_half_down,
}


def int_range(bits: int, signed: bool, narrow: bool) -> tuple[int, int]:
    """``(min, max)`` integer of a ``bits``-wide (signed / narrow-range) quantizer, as qonnx."""
    if signed:
        return -(1 << (bits - 1)) + int(narrow), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1 - int(narrow)


def rounding(mode: str) -> Callable[[np.ndarray], np.ndarray]:
    try:
        return ROUNDING[str(mode).upper()]
    except KeyError:
        raise GatecompError(f"unknown rounding mode {mode!r} (known: "
                            f"{', '.join(ROUNDING)})") from None


def int_quant(x: np.ndarray, scale, zero_point, bits: int, signed: bool, narrow: bool,
              mode: str = "ROUND") -> np.ndarray:
    """qonnx ``Quant``: ``(q - zp) * scale`` with ``q = round(clamp(x / scale + zp))``."""
    y = x / scale + zero_point
    if bits == 1 and signed:  # qonnx: a 1-bit signed quantizer is bipolar
        y = np.where(y >= 0, 1.0, -1.0).astype(y.dtype)
    else:
        lo, hi = int_range(bits, signed, narrow)
        y = rounding(mode)(np.clip(y, lo, hi))
    return (y - zero_point) * scale


def bipolar_quant(x: np.ndarray, scale) -> np.ndarray:
    """qonnx ``BipolarQuant``: ``scale * (+1 if x >= 0 else -1)``."""
    return np.where(x >= 0, 1.0, -1.0).astype(x.dtype) * scale


def multithreshold(x: np.ndarray, thresholds: np.ndarray, out_scale: float = 1.0,
                   out_bias: float = 0.0) -> np.ndarray:
    """FINN ``MultiThreshold`` on (N, C, ...): ``out_scale * #{t : x >= t} + out_bias``.

    ``thresholds`` is (C, B) or (1, B), per channel (axis 1).
    """
    thr = np.asarray(thresholds)
    if thr.ndim != 2 or thr.shape[0] not in (1, x.shape[1]):
        raise GatecompError(f"MultiThreshold thresholds of shape {thr.shape} do not fit an "
                            f"input with {x.shape[1]} channels")
    count = np.empty(x.shape, dtype=x.dtype)
    for c in range(x.shape[1]):  # #{t <= x} by a sorted search, channel by channel
        t = np.sort(thr[min(c, thr.shape[0] - 1)])
        count[:, c] = np.searchsorted(t, x[:, c], side="right")
    return out_scale * count + out_bias


def quant_params(node: Node, args: list[np.ndarray]) -> tuple[int, bool, bool, str]:
    """``(bits, signed, narrow, rounding mode)`` of a ``Quant`` / ``IntQuant`` node."""
    bits = np.asarray(args[3])
    if bits.size != 1 or float(bits.reshape(-1)[0]) != int(bits.reshape(-1)[0]) \
            or int(bits.reshape(-1)[0]) < 1:
        raise GatecompError(f"{node.label}: the bit width must be one positive integer, "
                            f"got {bits.tolist()}")
    return (int(bits.reshape(-1)[0]), bool(node.attr("signed", 1)), bool(node.attr("narrow", 0)),
            str(node.attr("rounding_mode", "ROUND")))


def _reshape(x: np.ndarray, shape: np.ndarray, batched: bool, allowzero: int) -> np.ndarray:
    target = [int(s) for s in np.asarray(shape).reshape(-1)]
    src = x.shape
    if batched:  # keep the batch dimension, whatever the exported constant says
        target, src = target[1:], x.shape[1:]
        if not allowzero:
            target = [src[i] if s == 0 and i < len(src) else s for i, s in enumerate(target)]
        return x.reshape(x.shape[0], *target)
    if not allowzero:
        target = [src[i] if s == 0 and i < len(src) else s for i, s in enumerate(target)]
    return x.reshape(target)


def _slice(x: np.ndarray, args: list[np.ndarray]) -> np.ndarray:
    starts, ends = (np.asarray(a).reshape(-1) for a in args[1:3])
    axes = np.asarray(args[3]).reshape(-1) if len(args) > 3 and args[3] is not None \
        else np.arange(len(starts))
    steps = np.asarray(args[4]).reshape(-1) if len(args) > 4 and args[4] is not None \
        else np.ones(len(starts), dtype=np.int64)
    idx = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps, strict=True):
        big = np.iinfo(np.int64).max // 2
        idx[int(a)] = slice(int(np.clip(s, -big, big)), int(np.clip(e, -big, big)), int(st))
    return x[tuple(idx)]


def _batch_norm(node: Node, x: np.ndarray, args: list[np.ndarray]) -> np.ndarray:
    gamma, beta, mean, var = (np.asarray(a, dtype=x.dtype) for a in args[1:5])
    shape = (1, -1) + (1,) * (x.ndim - 2)
    eps = x.dtype.type(node.attr("epsilon", 1e-5))
    inv = gamma.reshape(shape) / np.sqrt(var.reshape(shape) + eps)
    return (x - mean.reshape(shape)) * inv + beta.reshape(shape)


def _gemm(node: Node, args: list[np.ndarray]) -> np.ndarray:
    a, b = args[0], args[1]
    if node.attr("transA", 0):
        a = a.T
    if node.attr("transB", 0):
        b = b.T
    y = node.attr("alpha", 1.0) * (a @ b)
    if len(args) > 2 and args[2] is not None:
        y = y + node.attr("beta", 1.0) * args[2]
    return y


def eval_node(node: Node, args: list[np.ndarray | None], batched: bool = True) -> np.ndarray:
    """The output of ``node`` given its input arrays (``batched``: the data carries a batch)."""
    x = args[0]
    op = node.op
    if op in ("Quant", "IntQuant"):
        bits, signed, narrow, mode = quant_params(node, args)
        return int_quant(x, args[1], args[2], bits, signed, narrow, mode)
    if op == "BipolarQuant":
        return bipolar_quant(x, args[1])
    if op == "MultiThreshold":
        return multithreshold(x, args[1], node.attr("out_scale", 1.0), node.attr("out_bias", 0.0))
    if op == "MatMul":
        return x @ args[1]
    if op == "Gemm":
        return _gemm(node, args)
    if op in ("Add", "Sub", "Mul", "Div"):
        fn = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op]
        return fn(x, args[1])
    if op == "BatchNormalization":
        return _batch_norm(node, x, args)
    if op == "Relu":
        return np.maximum(x, 0).astype(x.dtype)
    if op == "Sign":
        return np.sign(x)
    if op in ("Identity", "Dropout"):
        return x
    if op == "Reshape":
        return _reshape(x, args[1], batched, int(node.attr("allowzero", 0)))
    if op == "Flatten":
        axis = int(node.attr("axis", 1))
        return x.reshape(int(np.prod(x.shape[:axis], dtype=np.int64)), -1)
    if op == "Slice":
        return _slice(x, args)
    if op == "Transpose":
        perm = node.attr("perm")
        return np.transpose(x, None if perm is None else list(perm))
    raise GatecompError(f"{node.label}: the float executor does not implement {op}")


def run_graph(graph: QonnxGraph, x: np.ndarray, keep: Iterable[str] = ()) -> dict[str, np.ndarray]:
    """Run the float graph on a batch ``x`` (samples, \\*input_shape) in float32.

    Returns the graph output (under its name) and every tensor named in ``keep``.
    """
    x = np.asarray(x, dtype=np.float32).reshape(-1, *graph.input_shape)
    env: dict[str, np.ndarray] = {k: np.asarray(v) for k, v in graph.constants.items()}
    env[graph.input] = x
    batched = {graph.input}
    want = {graph.output, *keep}
    for node in graph.nodes:
        args = [env[i] if i else None for i in node.inputs]
        is_batched = any(i in batched for i in node.inputs)
        out = eval_node(node, args, is_batched)
        if isinstance(out, np.ndarray) and out.dtype == np.float64 and is_batched:
            out = out.astype(np.float32)
        env[node.outputs[0]] = out
        if is_batched:
            batched.add(node.outputs[0])
    return {k: env[k] for k in want if k in env}
