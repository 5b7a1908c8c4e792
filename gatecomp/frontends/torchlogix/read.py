"""Reading a torchlogix module tree into a :class:`~.network.Network`, layer by layer.

The walk follows the forward: ``Sequential`` children in order (zoo classes included),
``ResidualLogicBlock`` as two branches from one value ORed together, each layer checked by
:mod:`.modules` (every attribute read or refused) and turned into stages by :mod:`.stages`.
The input the circuit takes is what the first logic layer reads: the model's own bits, or the
output bits of its leading binarization layer (its thresholds are recorded).
"""

from __future__ import annotations

import math

import numpy as np
from torch import nn

from ...errors import GatecompError
from . import binarize as bz
from . import stages as st
from .load import Source
from .modules import check, where_of
from .network import LayerRow, Network, Stage
from .standins import short_name

BINARIZATIONS = ("FixedBinarization", "LearnableBinarization", "SoftBinarization",
                 "DummyBinarization")


def leaves(module: nn.Module, label: str, path: str = "") -> list[tuple[str, nn.Module]]:
    """``(path, layer)`` in forward order; containers checked and opened, blocks kept whole."""
    name = check(module, where_of(label, path, module))
    if name.endswith("ResidualLogicBlock") or not (isinstance(module, nn.Sequential)
                                                   or "model" in module._modules
                                                   and name.startswith("torchlogix.models")):
        return [(path, module)]
    out: list[tuple[str, nn.Module]] = []
    for key, child in module._modules.items():
        out += leaves(child, label, f"{path}.{key}" if path else key)
    return out


class _Walk:
    """The values built so far (value 0 is the input) and their shapes."""

    def __init__(self, label: str, input_shape: tuple[int, ...]):
        self.label = label
        self.stages: list[Stage] = []
        self.shapes: list[tuple[int, ...]] = [input_shape]
        self.rows: list[LayerRow] = []

    def add(self, stage: Stage) -> int:
        self.stages.append(stage)
        self.shapes.append(stage.shape)
        return len(self.stages)

    def layer(self, path: str, m: nn.Module, value: int, shape: tuple[int, ...]
              ) -> tuple[int, tuple[int, ...]]:
        """Apply one layer to ``value`` (of ``shape``): the new value and shape."""
        where = where_of(self.label, path, m)
        kind = short_name(m)
        if isinstance(m, nn.Flatten):
            return value, (math.prod(shape),)
        if isinstance(m, nn.Identity):
            return value, shape
        if kind == "ResidualLogicBlock":
            return self.residual(path, m, value, shape, where)
        built = st.build(kind, m, value, shape, path, where)
        if built is None:
            raise GatecompError(f"{where}: {kind} can only be the model's first layer"
                                if kind in BINARIZATIONS else
                                f"{where}: {kind} can only be the model's last layer"
                                if kind == "GroupSum" else f"{where}: {kind} is not read")
        for stage in built.stages:
            value = self.add(stage)
        self.rows.append(built.row)
        return value, built.shape

    def residual(self, path: str, m: nn.Module, value: int, shape: tuple[int, ...],
                 where: str) -> tuple[int, tuple[int, ...]]:
        ends = []
        for branch in ("main", "shortcut"):
            v, s = value, shape
            for sub_path, sub in leaves(m._modules[branch], self.label, f"{path}.{branch}"):
                v, s = self.layer(sub_path, sub, v, s)
            ends.append((v, s))
        (a, sa), (b, sb) = ends
        if sa != sb:
            raise GatecompError(f"{where}: main branch gives {sa} but the shortcut {sb}")
        width = math.prod(sa)
        ident = np.arange(width, dtype=np.int64)[None, :]
        v = self.add(st.OrStage((a, b), (ident, ident), sa, path))
        self.rows.append(LayerRow(path, "ResidualLogicBlock (OR)", shape, sa, 1, width, 0,
                                  "out | shortcut"))
        return v, sa


def read_network(src: Source, version: str, input_bits: int | None = None) -> Network:
    """The validated network of ``src``'s module tree; ``input_bits``: the circuit takes
    features of that many bits and compares them in hardware (models with a binarization)."""
    layers = leaves(src.module, src.label)
    if not layers:
        raise GatecompError(f"{src.label}: the model has no layers")
    binarization, layers = _leading_binarization(layers, src.label)
    last_path, last = layers[-1]
    if short_name(last) != "GroupSum":
        raise GatecompError(f"{src.label}: the model does not end in a GroupSum layer, so it "
                            "has no classes to compile (its last layer is "
                            f"{short_name(last)})")
    group_sum = st.group_sum(last, where_of(src.label, last_path, last))
    shape, flattened = st.input_shape(layers[:-1], src.label)
    walk = _Walk(src.label, shape)
    value = 0
    for path, m in layers[:-1]:
        value, shape = walk.layer(path, m, value, shape)
    if len(shape) != 1:
        raise GatecompError(f"{src.label}: GroupSum receives shape {shape}; torchlogix sums "
                            "the last dimension only (add a Flatten before it)")
    if value == 0:
        raise GatecompError(f"{src.label}: the model has no logic layers")
    if shape[0] % group_sum.k:
        raise GatecompError(f"{src.label}: GroupSum k={group_sum.k} does not divide the last "
                            f"layer's width {shape[0]}")
    st.check_scores_order(group_sum, shape[0] // group_sum.k, src.label)
    record, compare = _binarization(binarization, walk.shapes[0], flattened, input_bits,
                                    src.label)
    return Network(walk.shapes[0], walk.stages, group_sum, record, walk.rows,
                   src.label, src.format, version, src.module, src.arch, compare)


def _binarization(leading, bits_shape, flattened: bool, input_bits: int | None, label: str):
    """``(record, comparators)`` of the leading binarization (None, None without one)."""
    if leading is None:
        if input_bits is not None:
            raise GatecompError(f"{label}: --input-bits applies to models that start with a "
                                "binarization layer (this one takes bits)")
        return None, None
    where = where_of(label, *leading)
    record = bz.binarization(leading[1], bits_shape, where)
    if input_bits is None:
        return record, None
    return record, bz.comparators(record, bz.thresholds(leading[1]), flattened, input_bits,
                                  where)


def _leading_binarization(layers: list, label: str):
    kind = short_name(layers[0][1])
    if kind not in BINARIZATIONS:
        return None, layers
    if kind == "DummyBinarization":  # x.float(): the input bits themselves
        return None, layers[1:]
    return layers[0], layers[1:]


