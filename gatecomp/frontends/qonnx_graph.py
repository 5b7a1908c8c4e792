"""A QONNX file as plain data: its nodes (topologically sorted), constants, one input, one output.

QONNX is ONNX plus the quantization ops of ``qonnx.custom_op.general`` (``Quant`` — renamed
``IntQuant`` in newer qonnx —, ``BipolarQuant``, ``MultiThreshold``); FINN and hls4ml exchange
it and ``brevitas.export.export_qonnx`` writes it. This module reads the ``onnx`` protobuf only
(no ``onnxruntime``), checks that every op is one gatecomp folds (:data:`SUPPORTED_OPS`) — all
unsupported ops are named in one error, with counts — and hands the rest of the frontend a
:class:`QonnxGraph`. Initializers listed among the graph inputs (as older exporters do) are
constants; exactly one true input and one output are allowed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import GatecompError, UnknownFormatError

#: op types the reader folds (any domain: "", "qonnx.custom_op.general", "finn.custom_op...")
SUPPORTED_OPS: frozenset[str] = frozenset({
    "Quant", "IntQuant", "BipolarQuant", "MultiThreshold",
    "MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "BatchNormalization",
    "Relu", "Sign", "Reshape", "Flatten", "Identity", "Dropout",
    "Slice", "Transpose", "Constant",
})


@dataclass(frozen=True)
class Node:
    """One ONNX node: op type, name, input/output tensor names, decoded attributes."""

    op: str
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attrs: dict[str, Any] = field(default_factory=dict)

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
                  {a.name: _attr_value(a) for a in n.attribute}) for n in g.node]
    unsupported = Counter(n.op for n in nodes if n.op not in SUPPORTED_OPS)
    if unsupported:
        listed = ", ".join(f"{op} ({k})" for op, k in sorted(unsupported.items()))
        raise GatecompError(f"{source}: unsupported ONNX ops: {listed}; gatecomp folds "
                            f"{', '.join(sorted(SUPPORTED_OPS))}")
    constants = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for n in nodes:
        if n.op == "Constant":
            constants[n.outputs[0]] = _constant_value(n)
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
