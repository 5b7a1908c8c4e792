"""Fold a parsed QONNX graph, integer-exactly, into ``IntLinear`` ... ``IntScores`` layers.

The rule (stated once; :mod:`gatecomp.nn.integer` is the contract it targets). From the first
quantizer on, every tensor is tracked as a per-feature affine function of integers::

    value_j = alpha_j * z_j + beta_j,     z = W c + b   (int64; W = identity: "elementwise")

over the unsigned codes ``c`` of the latest integer layer (or of the input encoding).

* Weights come out of ``Quant`` / ``BipolarQuant`` nodes as integers times a per-output-row
  scale (plain constants must be integers). ``MatMul`` / ``Gemm`` compose: with the input's
  ``alpha_i = A n_i`` (one unit ``A``, integers ``n_i`` — equal scales, or exact ratios), the
  output is ``alpha'_k = s_k A``, ``z' = (w n) z``, and the input offsets ``beta`` and the bias
  go into ``beta'``. ``Add``/``Sub``/``Mul``/``Div`` by constants and ``BatchNormalization``
  (eval) update ``alpha``/``beta`` in float64; ``Reshape``/``Flatten``/``Identity`` keep them.
* An activation quantizer is a count of passed levels (:mod:`.qonnx_levels` states what each
  op means: ``Quant`` with ``ROUND`` rounds half to even, ``BipolarQuant`` is ``>= 0``, ...),
  so it becomes an ``IntLinear`` over ``z = W c + b``: level ``l`` passes iff ``z >= T_l``
  with ``T_l = ceil((tau_l - beta) / alpha)`` (float64; an exact integer boundary resolved by
  the rounding rule). A negative ``alpha`` negates the row (``-z >= T``); ``alpha = 0`` gives
  a constant neuron; a pending ``Relu`` makes a level that passes at 0 always pass. The
  output code ``c`` means ``a c + b`` (``Quant``: ``a = s``, ``b = s (lo - zp)``: signed codes
  are offset binary), which the next layer's ``alpha``/``beta`` absorb. A quantizer on an
  elementwise function of 1-bit codes (a bipolar input) folds into the affine map instead of
  making a layer.
* The graph input's first quantizer defines the input encoding (``UniformEncoding`` for a
  ``Quant``, a ``ThermometerEncoding`` for ``BipolarQuant``/``MultiThreshold``), unless the
  caller says the input already is bits (``input_map`` ``"bits"`` / ``"bipolar"``).
* The graph output becomes ``IntScores``: per-class ``alpha_j = A n_j`` and
  ``beta_j - beta_0 = A m_j`` with integers ``n``, ``m`` (equal scales, exact ratios, a bias on
  the integer grid), scores ``n_j z_j + m_j`` — their argmax is the float argmax. Anything else
  (per-class scales that are not exact ratios, a float bias) raises :class:`GatecompError`.

Float ties (a value exactly on a rounding boundary) are resolved here by the exact rule; the
float graph may round them either way: :mod:`.qonnx_agree` reports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...errors import GatecompError
from ...nn import IntLinear, IntScores, ThermometerEncoding, UniformEncoding
from .execute import eval_node, int_range, quant_params, rounding
from .graph import Node, QonnxGraph
from .levels import (
    Activation,
    integer_thresholds,
    mt_rows,
    per_channel,
    per_feature,
    quantizer_levels,
)

#: relative slack when scales are matched as integer ratios (float32 scales, float64 products)
RATIO_TOL = 1e-6
#: largest denominator tried when per-channel scales are exact rational ratios
MAX_DENOMINATOR = 64
#: ThermometerEncoding compares ``x > t``; ``x > -5e-324`` is ``x >= 0`` for any float64 ``x``
GE_ZERO = -float(np.finfo(np.float64).smallest_subnormal)

QUANTIZERS = ("Quant", "IntQuant", "BipolarQuant", "MultiThreshold", "Sign")
SHAPE_OPS = ("Reshape", "Flatten", "Identity", "Dropout")


# -- tracked values --------------------------------------------------------------------------
@dataclass
class QConst:
    """A constant; ``ints * scale == value`` when it came out of a quantizer (else None)."""

    value: np.ndarray
    ints: np.ndarray | None = None
    scale: np.ndarray | None = None


@dataclass
class FloatIn:
    """The graph input before its first quantizer: ``prescale`` times the raw input."""

    shape: tuple[int, ...]
    prescale: float = 1.0
    relu: bool = False


@dataclass
class Affine:
    """``value = alpha * (W @ codes[src] + b) + beta`` per feature (``W`` None: identity)."""

    src: int
    alpha: np.ndarray
    beta: np.ndarray
    shape: tuple[int, ...]
    W: np.ndarray | None = None
    b: np.ndarray | None = None
    relu: bool = False

    @property
    def size(self) -> int:
        return int(self.alpha.size)


@dataclass
class LayerInfo:
    """What :mod:`.qonnx_agree` needs to check one folded layer against the float graph."""

    node: str
    tensor: str
    sign: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    tau: np.ndarray
    always: np.ndarray
    a: np.ndarray
    b: np.ndarray
    magnitude: np.ndarray


@dataclass
class InputInfo:
    """The input quantizer's float output tensor and its code meaning (``a * count + b``);
    ``group`` input bits sum to one feature's count (thermometer), 1 for uniform codes."""

    tensor: str
    a: np.ndarray
    b: np.ndarray
    group: int


@dataclass
class Fold:
    """Result of :func:`fold_graph`."""

    layers: list
    encoding: UniformEncoding | ThermometerEncoding
    infos: list[LayerInfo]
    input_info: InputInfo | None
    score_unit: float
    score_offset: float
    notes: list[str] = field(default_factory=list)


# -- helpers ---------------------------------------------------------------------------------
def _integral(x: np.ndarray) -> np.ndarray:
    return np.abs(x - np.round(x)) <= RATIO_TOL * np.maximum(1.0, np.abs(x))


def common_unit(values: np.ndarray, offsets: np.ndarray | None = None
                ) -> tuple[float, np.ndarray, np.ndarray] | None:
    """``(A, n, m)`` with ``values = A n`` and ``offsets - offsets[0] = A m``, ``n``, ``m``
    integers and ``A > 0`` (denominators up to :data:`MAX_DENOMINATOR`), or None."""
    v = np.asarray(values, dtype=np.float64)
    o = np.zeros_like(v) if offsets is None else np.asarray(offsets, np.float64) - offsets[0]
    mags = np.abs(np.concatenate([v, o]))
    mags = mags[mags > 0]
    if mags.size == 0:
        return 1.0, np.zeros(v.shape, np.int64), np.zeros(v.shape, np.int64)
    base = float(mags.min())
    for d in range(1, MAX_DENOMINATOR + 1):
        unit = base / d
        n, m = v / unit, o / unit
        if _integral(n).all() and _integral(m).all():
            return unit, np.round(n).astype(np.int64), np.round(m).astype(np.int64)
    return None


class _Folder:
    def __init__(self, graph: QonnxGraph, input_map: str,
                 encoding: ThermometerEncoding | UniformEncoding | None, prescale: float):
        self.g = graph
        self.values: dict[str, object] = {}
        self.code_bits: list[int] = []
        self.layers: list = []
        self.infos: list[LayerInfo] = []
        self.input_info: InputInfo | None = None
        self.encoding = encoding
        self.notes: list[str] = []
        for name, arr in graph.constants.items():
            self.values[name] = QConst(np.asarray(arr))
        shape = graph.input_shape
        if input_map in ("bits", "bipolar"):
            n = graph.input_size
            if encoding is None:
                encoding = ThermometerEncoding((0.5,), n)
                self.notes.append("no input encoding given: the raw features are the input bits "
                                  "(bit = x > 0.5)")
            if not isinstance(encoding, ThermometerEncoding) or encoding.width != n:
                raise GatecompError(f"{graph.source}: input_map {input_map!r} needs a "
                                    f"thermometer encoding of {n} bits (the graph input's size), "
                                    f"got {encoding}")
            self.encoding = encoding
            self.code_bits.append(1)
            a, b = (2.0, -1.0) if input_map == "bipolar" else (1.0, 0.0)
            self.values[graph.input] = Affine(0, np.full(n, a), np.full(n, b), shape)
        else:
            self.values[graph.input] = FloatIn(shape, prescale)

    # -- driver ------------------------------------------------------------------------------
    def run(self) -> Fold:
        for node in self.g.nodes:
            args = [self.values.get(i) if i else None for i in node.inputs]
            if all(a is None or isinstance(a, QConst) for a in args):
                out = self._constant(node, args)
            else:
                out = self._node(node, args)
            self.values[node.outputs[0]] = out
        return self._finish(self.values[self.g.output])

    def _node(self, node: Node, args: list) -> object:
        x = args[0]
        if not isinstance(x, (FloatIn, Affine)):
            if node.op in ("Add", "Mul") and isinstance(args[1], (FloatIn, Affine)):
                args = [args[1], args[0], *args[2:]]  # commutative: data first
                x = args[0]
            elif node.op == "Sub" and isinstance(args[1], Affine):
                return self._rsub(node, args[1], args[0])
            else:
                raise GatecompError(f"{node.label}: a constant first input with data in another "
                                    "input is not supported")
        if any(isinstance(a, (FloatIn, Affine)) for a in args[1:]):
            raise GatecompError(f"{node.label}: combining two data tensors (branches, residual "
                                "connections, data-dependent parameters) is not supported")
        if isinstance(x, FloatIn):
            return self._float_input(node, x, args)
        return self._affine(node, x, args)

    # -- constants ---------------------------------------------------------------------------
    def _constant(self, node: Node, args: list) -> QConst:
        arrs = [None if a is None else a.value for a in args]
        value = np.asarray(eval_node(node, arrs, batched=False))
        ints = scale = None
        if node.op in ("Quant", "IntQuant"):
            bits, signed, narrow, mode = quant_params(node, arrs)
            x, s, zp = (np.asarray(a) for a in arrs[:3])
            if (s > 0).all() and np.isfinite(s).all() and (zp == np.round(zp)).all():
                y = x / s + zp
                if bits == 1 and signed:
                    q = np.where(y >= 0, 1.0, -1.0)
                else:
                    q = rounding(mode)(np.clip(y, *int_range(bits, signed, narrow)))
                ints = (q - zp).astype(np.int64)
                scale = np.broadcast_to(s.astype(np.float64), ints.shape).copy()
        elif node.op == "BipolarQuant":
            x, s = (np.asarray(a) for a in arrs[:2])
            if np.isfinite(s).all() and (s != 0).all():
                ints = np.where(x >= 0, 1, -1).astype(np.int64)
                scale = np.broadcast_to(s.astype(np.float64), ints.shape).copy()
        elif node.op in (*SHAPE_OPS, "Transpose", "Slice") and args[0].ints is not None:
            ints = np.asarray(eval_node(node, [args[0].ints, *arrs[1:]], batched=False))
            scale = np.asarray(eval_node(node, [args[0].scale, *arrs[1:]], batched=False))
        return QConst(value, ints, scale)

    def _const(self, node: Node, arg, what: str) -> np.ndarray:
        if not isinstance(arg, QConst):
            raise GatecompError(f"{node.label}: the {what} must be a constant")
        return np.asarray(arg.value, dtype=np.float64)

    # -- before the first quantizer ----------------------------------------------------------
    def _float_input(self, node: Node, x: FloatIn, args: list) -> object:
        if node.op in SHAPE_OPS:
            return FloatIn(self._shape(node, x.shape, args), x.prescale, x.relu)
        if node.op == "Relu":
            return FloatIn(x.shape, x.prescale, relu=True)
        if node.op in ("Mul", "Div"):
            c = self._const(node, args[1], "factor")
            if c.size != 1 or not float(c.reshape(-1)[0]) > 0:
                raise GatecompError(f"{node.label}: before the first quantizer only a positive "
                                    "scalar Mul/Div (a prescale) is supported")
            f = float(c.reshape(-1)[0])
            return FloatIn(x.shape, x.prescale * (f if node.op == "Mul" else 1.0 / f), x.relu)
        if node.op in QUANTIZERS and node.op != "Sign":
            if x.relu and self._levels(node, x.shape, args).passes(
                    np.zeros(int(np.prod(x.shape, dtype=np.int64)))).any():
                raise GatecompError(f"{node.label}: a Relu before the input quantizer is "
                                    "supported only where the quantizer maps 0 to its lowest "
                                    "code (an unsigned quantizer)")
            return self._input_quantizer(node, x, args)
        raise GatecompError(f"{node.label}: between the graph input and its first quantizer "
                            "only Reshape/Flatten/Identity, Relu and a positive scalar Mul/Div "
                            "are supported (quantize the input: Quant, BipolarQuant, "
                            "MultiThreshold)")

    def _input_quantizer(self, node: Node, x: FloatIn, args: list) -> Affine:
        n, p = int(np.prod(x.shape, dtype=np.int64)), x.prescale
        if node.op in ("Quant", "IntQuant"):
            arrs = [self._const(node, a, "quantizer parameter") for a in args[1:4]]
            bits, signed, narrow, mode = quant_params(node, [None, *arrs])
            s, zp = (np.unique(per_feature(a, x.shape, "scale", node)) for a in arrs[:2])
            if s.size != 1 or zp.size != 1:
                raise GatecompError(f"{node.label}: the input quantizer needs one scale and zero "
                                    "point for all features (UniformEncoding)")
            s, zp = float(s[0]), float(zp[0])
            if not (np.isfinite(s) and s > 0):
                raise GatecompError(f"{node.label}: the scale must be positive and finite")
            if bits == 1 and signed:
                if zp != 0:
                    raise GatecompError(f"{node.label}: a 1-bit signed input quantizer needs "
                                        "zero point 0")
                return self._bipolar_input(node, n, x.shape, np.full(n, s))
            lo, hi = int_range(bits, signed, narrow)
            if narrow or zp != round(zp) or mode.upper() not in ("ROUND", "HALF_EVEN"):
                raise GatecompError(f"{node.label}: the input quantizer must be a full-range "
                                    "(not narrow) ROUND quantizer with an integer zero point to "
                                    "be a UniformEncoding")
            self.encoding = UniformEncoding(bits, s, n, int(zp) - lo, p)
            self.code_bits.append(bits)
            a, b = np.full(n, s), np.full(n, s * (lo - zp))
            self.input_info = InputInfo(node.outputs[0], a, b, 1)
            return Affine(0, a, b, x.shape)
        if node.op == "BipolarQuant":
            s = per_feature(self._const(node, args[1], "scale"), x.shape, "scale", node)
            return self._bipolar_input(node, n, x.shape, s)
        # MultiThreshold: a thermometer code with shared thresholds
        thr = self._const(node, args[1], "thresholds")
        rows = mt_rows(thr, x.shape, node)
        if not (rows == rows[:1]).all():
            raise GatecompError(f"{node.label}: a MultiThreshold on the graph input must use the "
                                "same thresholds for every feature (a ThermometerEncoding)")
        t = np.sort(rows[0])
        if (np.diff(t) <= 0).any() or not np.isfinite(t).all():
            raise GatecompError(f"{node.label}: input thresholds must be finite and distinct")
        raw = tuple(float(np.nextafter(v / p, -np.inf)) for v in t)  # x >= t  as  x > t-
        self.encoding = ThermometerEncoding(raw, n)
        self.code_bits.append(1)
        k = len(raw)
        w = np.kron(np.eye(n, dtype=np.int64), np.ones((1, k), dtype=np.int64))
        a = np.full(n, float(node.attr("out_scale", 1.0)))
        b = np.full(n, float(node.attr("out_bias", 0.0)))
        self.input_info = InputInfo(node.outputs[0], a, b, k)
        return Affine(0, a, b, x.shape, w, np.zeros(n, np.int64))

    def _bipolar_input(self, node: Node, n: int, shape, s: np.ndarray) -> Affine:
        self.encoding = ThermometerEncoding((GE_ZERO,), n)
        self.code_bits.append(1)
        self.notes.append(f"{node.label} on the graph input: input bit = (x >= 0)")
        a, b = 2.0 * s, -s
        self.input_info = InputInfo(node.outputs[0], a, b, 1)
        return Affine(0, a, b, shape)

    # -- after it ----------------------------------------------------------------------------
    def _shape(self, node: Node, shape: tuple[int, ...], args: list) -> tuple[int, ...]:
        arrs = [np.zeros((1, *shape))] + [None if a is None else a.value for a in args[1:]]
        out = eval_node(node, arrs, batched=True)
        return tuple(int(d) for d in out.shape[1:])

    def _affine(self, node: Node, x: Affine, args: list) -> Affine:
        op = node.op
        if op in QUANTIZERS:
            return self._activation(node, x, args)
        if op == "Relu":
            if x.W is None:
                lo = np.minimum(x.beta, x.alpha * ((1 << self.code_bits[x.src]) - 1) + x.beta)
                if (lo >= 0).all():
                    return x  # already non-negative codes
            return Affine(x.src, x.alpha, x.beta, x.shape, x.W, x.b, relu=True)
        if op in SHAPE_OPS:
            return Affine(x.src, x.alpha, x.beta, self._shape(node, x.shape, args), x.W, x.b,
                          x.relu)
        if x.relu and not (op in ("Mul", "Div")
                           and (self._const(node, args[1], "factor") > 0).all()):
            raise GatecompError(f"{node.label}: a Relu must be followed by a quantizer "
                                "(only positive Mul/Div and reshapes may come between)")
        if op in ("MatMul", "Gemm"):
            return self._linear(node, x, args)
        if op == "BatchNormalization":
            gamma, beta_bn, mean, var = (
                per_channel(self._const(node, a, "batch-norm parameter"), x.shape,
                             "batch-norm parameter", node) for a in args[1:5])
            k = gamma / np.sqrt(var + float(node.attr("epsilon", 1e-5)))
            return Affine(x.src, x.alpha * k, k * (x.beta - mean) + beta_bn, x.shape, x.W, x.b)
        c = per_feature(self._const(node, args[1], "operand"), x.shape, "operand", node)
        if op == "Add":
            return Affine(x.src, x.alpha, x.beta + c, x.shape, x.W, x.b)
        if op == "Sub":
            return Affine(x.src, x.alpha, x.beta - c, x.shape, x.W, x.b)
        if op in ("Mul", "Div"):
            if op == "Div":
                if (c == 0).any():
                    raise GatecompError(f"{node.label}: division by zero")
                c = 1.0 / c
            return Affine(x.src, x.alpha * c, x.beta * c, x.shape, x.W, x.b, x.relu)
        raise GatecompError(f"{node.label}: {op} on a quantized tensor is not supported "
                            "(only reshapes and quantizers may act on data; Slice/Transpose "
                            "only on constants)")

    def _rsub(self, node: Node, x: Affine, c_arg) -> Affine:
        if x.relu:
            raise GatecompError(f"{node.label}: a Relu must be followed by a quantizer")
        c = per_feature(self._const(node, c_arg, "operand"), x.shape, "operand", node)
        return Affine(x.src, -x.alpha, c - x.beta, x.shape, x.W, x.b)

    def _weight(self, node: Node, arg, transpose: bool) -> tuple[np.ndarray, np.ndarray]:
        """``(w (out, in) int64, s (out,))`` with weight ``= s[:, None] * w``."""
        if not isinstance(arg, QConst) or np.ndim(arg.value) != 2:
            raise GatecompError(f"{node.label}: the weight must be a 2-D constant (the data "
                                "must be the first input)")
        if not (np.isfinite(arg.value).all()
                and (arg.scale is None or np.isfinite(arg.scale).all())):
            raise GatecompError(f"{node.label}: the weight is not finite (e.g. Brevitas exports a "
                                "1-bit integer weight quantizer with an infinite scale; use a "
                                "binary quantizer)")
        if arg.ints is not None:
            w, s = arg.ints, arg.scale
        elif (arg.value == np.round(arg.value)).all():
            w, s = np.round(arg.value).astype(np.int64), np.ones(arg.value.shape)
        else:
            raise GatecompError(f"{node.label}: the weight is neither quantized (Quant / "
                                "BipolarQuant) nor integer; float weights cannot be folded")
        if transpose:
            w, s = w.T, s.T
        if not (s == s[:, :1]).all():
            raise GatecompError(f"{node.label}: weight scales vary along the input dimension; "
                                "only per-tensor or per-output-channel scales fold exactly")
        return w.astype(np.int64), s[:, 0].astype(np.float64)

    def _linear(self, node: Node, x: Affine, args: list) -> Affine:
        if len(x.shape) != 1:
            raise GatecompError(f"{node.label}: expects (batch, features) data, got per-sample "
                                f"shape {x.shape}; Flatten first")
        if node.op == "Gemm" and node.attr("transA", 0):
            raise GatecompError(f"{node.label}: transA is not supported")
        trans = node.op == "MatMul" or not node.attr("transB", 0)
        w, s = self._weight(node, args[1], transpose=trans)
        if w.shape[1] != x.size:
            raise GatecompError(f"{node.label}: weight has {w.shape[1]} inputs, data "
                                f"{x.size} features")
        unit = common_unit(x.alpha)
        if unit is None:
            raise GatecompError(f"{node.label}: the input features have scales that are not "
                                "integer multiples of one unit; the weighted sum is not an "
                                "integer (use per-tensor activation scales)")
        a_unit, n, _ = unit
        gain = float(node.attr("alpha", 1.0)) if node.op == "Gemm" else 1.0
        wn = w * n[None, :]
        W = wn if x.W is None else wn @ x.W
        b = np.zeros(w.shape[0], np.int64) if x.b is None else wn @ x.b
        alpha = gain * s * a_unit
        beta = gain * s * (w.astype(np.float64) @ x.beta)
        if node.op == "Gemm" and len(args) > 2 and args[2] is not None:
            c = self._const(node, args[2], "bias")
            beta = beta + float(node.attr("beta", 1.0)) * per_feature(c, (w.shape[0],), "bias",
                                                                        node)
        return Affine(x.src, alpha, beta, (w.shape[0],), W, b)

    def _levels(self, node: Node, shape: tuple[int, ...], args: list) -> Activation:
        params = [self._const(node, a, "quantizer parameter") for a in args[1:]]
        return quantizer_levels(node, shape, params)

    def _activation(self, node: Node, x: Affine, args: list) -> Affine:
        act = self._levels(node, x.shape, args)
        zero_pass = act.passes(np.zeros(x.size)) if x.relu \
            else np.zeros(act.tau.shape, bool)
        if x.W is None and self.code_bits[x.src] == 1:
            # an elementwise function of one bit stays affine: no layer
            v = np.stack([x.beta, x.alpha + x.beta])
            if x.relu:
                v = np.maximum(v, 0.0)
            out = [act.a * act.passes(vi).sum(1) + act.b for vi in v]
            return Affine(x.src, out[1] - out[0], out[0], x.shape)
        if x.src != len(self.code_bits) - 1:
            raise GatecompError(f"{node.label}: reads data from before the previous quantizer "
                                "(a branching graph); only chains fold")
        n_in = self.layers[-1].out_dim if self.layers else None
        W = np.eye(x.size, dtype=np.int64) if x.W is None else x.W
        b = np.zeros(x.size, np.int64) if x.b is None else x.b
        if n_in is not None and W.shape[1] != n_in:
            raise GatecompError(f"{node.label}: internal error: width mismatch")
        sign, t = integer_thresholds(x.alpha, x.beta, act, zero_pass)
        rows = np.where(sign < 0, -1, 1).astype(np.int64)
        W, b = W * rows[:, None], b * rows
        zero = sign == 0
        W[zero], b[zero] = 0, 0
        bits = self.code_bits[x.src]
        top = (1 << bits) - 1
        lo = b + top * np.minimum(W, 0).sum(1)
        hi = b + top * np.maximum(W, 0).sum(1)
        t = np.clip(t, lo[:, None], (hi + 1)[:, None])
        layer = IntLinear(W, b, np.sort(t.astype(np.int64), axis=1), in_bits=bits)
        mag = (np.abs(x.alpha) * (np.abs(W).sum(1) * top + np.abs(b)) + np.abs(x.beta)
               + np.abs(np.where(np.isfinite(act.tau), act.tau, 0)).max(1))
        self.infos.append(LayerInfo(node.label, node.outputs[0], rows * (~zero), x.alpha,
                                    x.beta, act.tau, zero_pass, act.a, act.b, mag))
        self.layers.append(layer)
        self.code_bits.append(layer.out_bits)
        return Affine(len(self.code_bits) - 1, act.a, act.b, x.shape)

    # -- the scores --------------------------------------------------------------------------
    def _finish(self, out) -> Fold:
        src = self.g.source
        if isinstance(out, FloatIn) or self.encoding is None:
            raise GatecompError(f"{src}: the graph input is never quantized; gatecomp needs a "
                                "Quant/BipolarQuant/MultiThreshold on it (or input_map "
                                "'bits'/'bipolar')")
        if not isinstance(out, Affine):
            raise GatecompError(f"{src}: the graph output does not depend on the input")
        if out.relu:
            raise GatecompError(f"{src}: a Relu on the class scores is not supported (it merges "
                                "negative scores into ties)")
        if out.src != len(self.code_bits) - 1:
            raise GatecompError(f"{src}: the output reads data from before the last quantizer")
        unit = common_unit(out.alpha, out.beta)
        if unit is None:
            raise GatecompError(
                f"{src}: the class scores have per-class scales or biases that are not integer "
                "multiples of one unit, so their argmax is not an integer argmax; use a "
                "per-tensor weight scale and no bias (or a quantized bias, e.g. Brevitas "
                "Int32Bias) in the last layer, or quantize the scores")
        a_unit, n, m = unit
        W = np.diag(n) if out.W is None else n[:, None] * out.W
        b = m if out.b is None else n * out.b + m
        self.layers.append(IntScores(W, b, in_bits=self.code_bits[out.src]))
        return Fold(self.layers, self.encoding, self.infos, self.input_info, a_unit,
                    float(out.beta[0]), self.notes)


def fold_graph(graph: QonnxGraph, *, input_map: str = "identity",
               encoding: ThermometerEncoding | UniformEncoding | None = None,
               prescale: float = 1.0) -> Fold:
    """Fold ``graph`` into integer layers (see the module docstring for the rule).

    ``input_map`` ``"bits"`` / ``"bipolar"``: the graph input is a thermometer ``encoding``'s
    bits as 0/1 or as +-1 (then the encoding is used as given); otherwise the first quantizer
    on the input defines the encoding, its prescale being ``prescale`` (raw features times
    ``prescale`` are the graph input) times any scalar ``Mul``/``Div`` before it.
    """
    return _Folder(graph, input_map, encoding, prescale).run()
