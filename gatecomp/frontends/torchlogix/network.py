"""A torchlogix network as gatecomp reads it: a list of typed stages over flat bit vectors.

Every torchlogix layer, whatever its shape, is in eval mode a gather of bits followed by
per-neuron Boolean functions: a ``LogicDense`` is one :class:`LutStage`; a ``LogicConv2d/3d``
(transposed or not) is one :class:`LutStage` per tree level, the padding, dilation and sliding
window folded into the first level's gather indices; ``OrPooling`` is an :class:`OrStage`; a
``ResidualLogicBlock`` ORs two branches (:class:`OrStage` over two values). Values are flat,
C-order vectors of the tensor a layer sees without its batch dimension (``shape`` records it);
``Flatten`` and ``Identity`` only rename a value. Index ``-1`` reads a constant 0 (padding).

Stages are in topological order and name the values they read (``Stage.src``), so a network
with branches is the same list: lowering (:mod:`.lower`) and gatecomp's own evaluation
(:mod:`.evaluate`) walk it once, front to back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class LutStage:
    """Neuron ``j`` computes ``tables[j][m]`` with ``m = sum_i value[inputs[i, j]] << i``."""

    src: int
    inputs: np.ndarray  # (k, n) int64 indices into value ``src``; -1 = constant 0
    tables: np.ndarray  # (n, 2**k) bool, gatecomp minterm order
    shape: tuple[int, ...]
    layer: str  # the torchlogix layer this stage belongs to (for messages and info)

    @property
    def width(self) -> int:
        return int(self.tables.shape[0])


@dataclass(frozen=True, eq=False)
class OrStage:
    """Output ``j`` is the OR of ``value[src[s]][inputs[s][:, j]]`` over every source ``s``."""

    src: tuple[int, ...]
    inputs: tuple[np.ndarray, ...]  # per source (w, n) int64; -1 = constant 0
    shape: tuple[int, ...]
    layer: str

    @property
    def width(self) -> int:
        return int(self.inputs[0].shape[1])


Stage = LutStage | OrStage


@dataclass(frozen=True, eq=False)
class Binarization:
    """The model's leading binarization: ``bit = x > t`` (strict) per feature and threshold.

    The circuit takes its output bits (``bits_shape``); the model's own forward is checked from
    there on.
    """

    kind: str  # FixedBinarization, LearnableBinarization, SoftBinarization
    thresholds: np.ndarray  # (rows, bits per feature) float, as the eval forward compares
    feature_dim: int  # the dimension torchlogix merges the threshold bits into
    bits_shape: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class Comparators:
    """The circuit takes ``bits``-bit unsigned features and compares them in hardware.

    Bit ``j`` of value 0 (the binarization's output, C-order) is ``feature[feature_of_bit[j]]
    >= const_of_bit[j]``: for an integer ``x``, ``x > t`` is ``x >= floor(t) + 1``.
    """

    feature_shape: tuple[int, ...]
    bits: int
    feature_of_bit: np.ndarray  # (value-0 width,) int64
    const_of_bit: np.ndarray  # (value-0 width,) int64

    @property
    def features(self) -> int:
        return math.prod(self.feature_shape)


@dataclass(frozen=True)
class GroupSumSpec:
    k: int
    tau: float
    beta: float


@dataclass(eq=False)
class LayerRow:
    """One line of ``gatecomp info``'s layer table."""

    name: str
    type: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    gates_per_position: int
    gates: int
    parameters: int
    detail: str = ""


@dataclass(eq=False)
class Network:
    """A validated torchlogix network: stages, the input they read, the class sums."""

    input_shape: tuple[int, ...]  # the tensor the circuit's input bits are (C-order)
    stages: list[Stage]
    group_sum: GroupSumSpec
    binarization: Binarization | None
    rows: list[LayerRow]
    source: str
    format: str
    version: str
    origin: object = None  # the unpickled/in-memory module (stand-ins or torchlogix's own)
    arch: dict = field(default_factory=dict)  # zoo class and kwargs for a state_dict
    comparators: Comparators | None = None  # integer features in, compared in hardware

    @property
    def bits_width(self) -> int:
        """Width of value 0: the bits the first logic layer reads."""
        return math.prod(self.input_shape)

    @property
    def input_width(self) -> int:
        """Width of the circuit's input port: the bits, or the features' bits."""
        c = self.comparators
        return self.bits_width if c is None else c.features * c.bits

    @property
    def output_value(self) -> int:
        """Value id of the last stage's output (value 0 is the input)."""
        return len(self.stages)

    @property
    def output_width(self) -> int:
        return self.stages[-1].width if self.stages else self.input_width

    @property
    def num_classes(self) -> int:
        return self.group_sum.k

    @property
    def block_size(self) -> int:
        return self.output_width // self.group_sum.k

    @property
    def logic_gates(self) -> int:
        return int(sum(s.width for s in self.stages if isinstance(s, LutStage)))
