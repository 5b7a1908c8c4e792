"""A QONNX file as plain data: its nodes (topologically sorted), constants, one input, one output.

QONNX is ONNX plus the quantization ops of ``qonnx.custom_op.general`` (``Quant`` — renamed
``IntQuant`` in newer qonnx —, ``BipolarQuant``, ``MultiThreshold``); FINN and hls4ml exchange
it and ``brevitas.export.export_qonnx`` writes it. This module reads the ``onnx`` protobuf only
(no ``onnxruntime``), checks that every op is one gatecomp folds (:data:`SUPPORTED_OPS`) — all
unsupported ops are named in one error, with counts — in the domain that defines it, that
every attribute is one gatecomp reads with a value its lowering assumes (:data:`ATTRIBUTES`),
and that every initializer and constant is read by some node; then it hands the rest of the
frontend a :class:`QonnxGraph`. Initializers listed among the graph inputs (as older exporters
do) are constants; exactly one true input and one output are allowed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import GatecompError, UnknownFormatError

#: op types the reader folds (any domain: "", "qonnx.custom_op.general", "finn.custom_op...")
SUPPORTED_OPS: frozenset[str] = frozenset({
    "Quant", "IntQuant", "BipolarQuant", "MultiThreshold",
    "MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "BatchNormalization",
    "Relu", "Sign", "Reshape", "Flatten", "Identity", "Dropout",
    "Slice", "Transpose", "Constant",
})
#: the quantization ops and the domains that define them (Brevitas' older exports: onnx.brevitas)
QUANT_OPS = frozenset({"Quant", "IntQuant", "BipolarQuant", "MultiThreshold"})
QUANT_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general", "onnx.brevitas")
STANDARD_DOMAINS = ("", "ai.onnx")


def _rounding_mode(value: object) -> bool:
    from .execute import ROUNDING

    return isinstance(value, str) and value.upper() in ROUNDING


_QUANT_ATTRIBUTES = {"signed": (0, 1), "narrow": (0, 1), "rounding_mode": _rounding_mode}
#: per op, what gatecomp reads of each attribute: the values its lowering assumes (a tuple), a
#: check of the value, or None (any value is read); any other attribute is refused
ATTRIBUTES: dict[str, dict[str, object]] = {
    "Quant": _QUANT_ATTRIBUTES, "IntQuant": _QUANT_ATTRIBUTES,
    "MultiThreshold": {"out_dtype": None, "out_scale": None, "out_bias": None,
                       "data_layout": ("", "NC", "NCW", "NCHW")},
    "Gemm": {"alpha": None, "beta": None, "transA": (0,), "transB": (0, 1)},
    "BatchNormalization": {"epsilon": None, "momentum": None,  # momentum: training only
                           "training_mode": (0,), "spatial": (1,)},
    "Reshape": {"allowzero": (0, 1)},
    "Flatten": {"axis": (1,)},
    "Dropout": {"ratio": None, "seed": None},  # the identity at inference
    "Transpose": {"perm": None},
    "Constant": {"value": None, "value_float": None, "value_floats": None, "value_int": None,
                 "value_ints": None},
}
#: attributes without a default gatecomp could assume (qonnx requires them; its default for
#: ``narrow`` is 1, so a missing one cannot be read as 0)
REQUIRED_ATTRIBUTES = {"Quant": ("signed", "narrow"), "IntQuant": ("signed", "narrow")}


@dataclass(frozen=True)
class Node:
    """One ONNX node: op type, name, input/output tensor names, decoded attributes."""

    op: str
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attrs: dict[str, Any] = field(default_factory=dict)
    domain: str = ""

    def attr(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)

    @property
    def label(self) -> str:
        """``"Gemm 'linear_1'"`` for error messages."""
        return f"{self.op} {self.name or self.outputs[0]!r}"


@dataclass
class QonnxGraph:
    """A parsed single-input, single-output graph.

    ``input_shape`` is the graph input's shape without the batch dimension; ``constants`` maps
    initializer names (and ``Constant`` node outputs) to arrays; ``metadata`` is the model's
    ``metadata_props`` as a dict.
    """

    nodes: list[Node]
    constants: dict[str, np.ndarray]
    input: str
    input_shape: tuple[int, ...]
    output: str
    metadata: dict[str, str]
    source: str

    @property
    def input_size(self) -> int:
        return int(np.prod(self.input_shape, dtype=np.int64))


def load_onnx(source: Any) -> tuple[Any, str]:
    """``(onnx.ModelProto, label)`` for a path or an in-memory ``ModelProto``.

    Raises :class:`UnknownFormatError` for a file that is not an ONNX model (so a registry can
    ask the next frontend) and :class:`GatecompError` for a missing file.
    """
    import onnx

    if isinstance(source, onnx.ModelProto):
        return source, f"<in-memory ONNX model {source.graph.name or ''}>".replace(" >", ">")
    path = Path(source)
    if not path.is_file():
        raise GatecompError(f"{path}: no such file")
    try:
        model = onnx.load(str(path))
    except Exception:  # noqa: BLE001 - protobuf raises assorted errors on foreign bytes
        raise UnknownFormatError(f"{path}: not an ONNX model") from None
    if not model.graph.node:
        raise UnknownFormatError(f"{path}: not an ONNX model (no graph nodes)")
    return model, str(path)


def _attr_value(attr: Any) -> Any:
    from onnx import helper, numpy_helper

    value = helper.get_attribute_value(attr)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list) and value and isinstance(value[0], bytes):
        return [v.decode("utf-8", "replace") for v in value]
    if hasattr(value, "dims") and hasattr(value, "data_type"):  # a TensorProto
        return numpy_helper.to_array(value)
    return value


def _constant_value(node: Node) -> np.ndarray:
    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if key in node.attrs:
            return np.asarray(node.attrs[key])
    raise GatecompError(f"{node.label}: unsupported Constant attribute(s) "
                        f"{sorted(node.attrs)} (supported: value, value_float(s), value_int(s))")


def _check_node(node: Node, source: str) -> None:
    """Raise unless ``node``'s domain defines the op gatecomp folds and every attribute is
    one gatecomp reads, with a value its lowering assumes."""
    domains = QUANT_DOMAINS if node.op in QUANT_OPS else STANDARD_DOMAINS
    if node.domain not in domains:
        expected = " or ".join(map(repr, domains))
        raise GatecompError(f"{source}: {node.label}: domain {node.domain!r} does not define the "
                            f"{node.op} gatecomp folds (expected {expected})")
    known = ATTRIBUTES.get(node.op, {})
    for key, value in node.attrs.items():
        if key not in known:
            read = ", ".join(known) or "no attributes"
            raise GatecompError(f"{source}: {node.label}: attribute {key!r} is not understood "
                                f"(gatecomp reads {node.op}: {read})")
        want = known[key]
        ok = want is None or (want(value) if callable(want) else value in want)
        if not ok:
            expected = "a known value" if callable(want) else " or ".join(map(repr, want))
            raise GatecompError(f"{source}: {node.label}: {key}={value!r} is not supported "
                                f"(gatecomp's lowering assumes {expected})")
    for key in REQUIRED_ATTRIBUTES.get(node.op, ()):
        if key not in node.attrs:
            raise GatecompError(f"{source}: {node.label}: lacks the attribute {key!r}, which has "
                                "no default gatecomp could assume")


def _refuse_unread_constants(nodes: list[Node], constants: dict, initializers: set[str],
                             outputs: set[str], source: str) -> None:
    """Raise on the first initializer or Constant no node reads (a tensor the graph carries
    but gatecomp would not use)."""
    read = {i for n in nodes for i in n.inputs} | outputs
    for name in constants:
        if name not in read:
            what = "initializer" if name in initializers else "Constant output"
            raise GatecompError(f"{source}: {what} {name!r} is not read by any node; gatecomp "
                                "refuses tensors it would not use (remove it from the graph)")


def _check_dropout(node: Node, constants: dict, source: str) -> None:
    """A Dropout is the identity only with ``training_mode`` absent or a constant false."""
    if len(node.inputs) > 2 and node.inputs[2]:
        mode = constants.get(node.inputs[2])
        if mode is None or bool(np.asarray(mode).reshape(-1)[0]):
            raise GatecompError(f"{source}: {node.label}: training_mode is not a constant false "
                                "(gatecomp reads Dropout as the identity of inference)")


def _toposort(nodes: list[Node], available: set[str], source: str) -> list[Node]:
    """Nodes in an order where each reads only tensors already produced (stable)."""
    done = set(available) | {""}  # "" = an omitted optional input
    pending, ordered = list(nodes), []
    while pending:
        ready = [n for n in pending if all(i in done for i in n.inputs)]
        if not ready:
            missing = sorted({i for n in pending for i in n.inputs if i not in done})
            raise GatecompError(f"{source}: the graph reads undefined tensors "
                                f"{', '.join(map(repr, missing[:5]))} (or has a cycle)")
        for n in ready:
            done.update(n.outputs)
        ids = {id(n) for n in ready}
        ordered += ready
        pending = [n for n in pending if id(n) not in ids]
    return ordered


def parse_graph(model: Any, source: str) -> QonnxGraph:
    """Validate ``model`` (an ``onnx.ModelProto``) and return its :class:`QonnxGraph`.

    Raises :class:`GatecompError` naming every unsupported op (with counts), or a graph with
    other than one data input and one output.
    """
    from onnx import numpy_helper

    g = model.graph
    nodes = [Node(n.op_type, n.name, tuple(n.input), tuple(n.output),
                  {a.name: _attr_value(a) for a in n.attribute}, n.domain) for n in g.node]
    unsupported = Counter(n.op for n in nodes if n.op not in SUPPORTED_OPS)
    if unsupported:
        listed = ", ".join(f"{op} ({k})" for op, k in sorted(unsupported.items()))
        raise GatecompError(f"{source}: unsupported ONNX ops: {listed}; gatecomp folds "
                            f"{', '.join(sorted(SUPPORTED_OPS))}")
    for n in nodes:
        _check_node(n, source)
    constants = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for n in nodes:
        if n.op == "Constant":
            constants[n.outputs[0]] = _constant_value(n)
    _refuse_unread_constants(nodes, constants, {t.name for t in g.initializer},
                             {o.name for o in g.output}, source)
    for n in nodes:
        if n.op == "Dropout":
            _check_dropout(n, constants, source)
    nodes = [n for n in nodes if n.op != "Constant"]
    data_inputs = [i for i in g.input if i.name not in constants]
    if len(data_inputs) != 1:
        raise GatecompError(f"{source}: expected one graph input, found "
                            f"{[i.name for i in data_inputs]}")
    if len(g.output) != 1:
        raise GatecompError(f"{source}: expected one graph output (the class scores), found "
                            f"{[o.name for o in g.output]}")
    dims = data_inputs[0].type.tensor_type.shape.dim
    shape = tuple(int(d.dim_value) for d in dims[1:])
    if len(dims) < 2 or any(s <= 0 for s in shape):
        raise GatecompError(f"{source}: the graph input must be (batch, features...) with fixed "
                            f"feature dimensions, got {[d.dim_value or d.dim_param for d in dims]}")
    ordered = _toposort(nodes, set(constants) | {data_inputs[0].name}, source)
    metadata = {p.key: p.value for p in model.metadata_props}
    return QonnxGraph(ordered, constants, data_inputs[0].name, shape, g.output[0].name,
                      metadata, source)
