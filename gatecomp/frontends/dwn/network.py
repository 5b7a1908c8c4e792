"""A torch_dwn network as gatecomp reads it: LUT layers over bit vectors, then class sums.

In eval mode a torch_dwn ``LUTLayer`` is, per neuron ``j``, a gather of ``n`` bits (the
kernel's ``input[i][mapping[j][l]] > 0``) forming the address ``sum_l bit_l << l`` (column 0 is
the least significant bit), and the output ``luts[j, address] > 0`` (its straight-through
``(x > 0).float()``). That is gatecomp's LUT neuron with its table in minterm order, so a
:class:`LutLayer` holds the wiring and the tables as booleans. ``GroupSum`` permutes
(``randperm``), pads the last group with zeros and sums each of ``k`` groups: the
:attr:`Network.groups` index table (``-1`` reads 0). The thermometer encoder, when given, is
the :class:`Encoder`; :class:`Comparators` say which feature and constant each bit compares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class LutLayer:
    """Neuron ``j`` outputs ``tables[j, m]`` with ``m = sum_l value[inputs[l, j]] << l``."""

    name: str  # the module's path in the model
    inputs: np.ndarray  # (n, M) int64 indices into the previous value (gatecomp's (k, n))
    tables: np.ndarray  # (M, 2**n) bool: luts > 0
    in_width: int
    mapping: str  # "fixed" or "learnable" (argmax of LearnableMapping.weights)

    @property
    def n(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def width(self) -> int:
        return int(self.tables.shape[0])


@dataclass(frozen=True)
class GroupSumSpec:
    """``GroupSum(k, tau)``: ``order`` is its ``randperm`` (None: the identity)."""

    k: int
    tau: float
    width: int  # bits it receives
    order: tuple[int, ...] | None = None


@dataclass(frozen=True, eq=False)
class Encoder:
    """A fitted thermometer: feature ``f``'s bit ``t`` is ``x_f > thresholds[f or 0, t]``
    (strict), at index ``f * T + t`` of the flattened encoding."""

    kind: str  # Thermometer, DistributiveThermometer, GaussianThermometer, thresholds
    thresholds: np.ndarray  # (features or 1, T) float64, exactly the compared values
    features: int
    source: str
    origin: object = None  # the encoder object or array as loaded (stand-in, real or array)

    @property
    def num_bits(self) -> int:
        return int(self.thresholds.shape[1])

    @property
    def width(self) -> int:
        """Bits of the encoding (the first LUT layer's input)."""
        return self.features * self.num_bits


@dataclass(frozen=True, eq=False)
class Comparators:
    """The circuit takes ``bits``-bit unsigned features: encoding bit ``j`` is
    ``feature[feature_of_bit[j]] >= const_of_bit[j]`` (``x > t`` is ``x >= floor(t) + 1``)."""

    features: int
    bits: int
    feature_of_bit: np.ndarray  # (encoding width,) int64
    const_of_bit: np.ndarray  # (encoding width,) int64

    @property
    def constant_bits(self) -> int:
        """Encoding bits that are the same for every N-bit feature (no comparator)."""
        return int(((self.const_of_bit <= 0) | (self.const_of_bit >= 1 << self.bits)).sum())


@dataclass(eq=False)
class Network:
    """A validated torch_dwn network: LUT layers, the class groups, the optional encoder."""

    layers: list[LutLayer]
    group_sum: GroupSumSpec
    groups: np.ndarray  # (k, block) int64 indices into the last layer's output; -1 = 0
    source: str
    format: str
    version: str
    origin: object = None  # the unpickled/in-memory module, or the state_dict wrapper
    encoder: Encoder | None = None
    comparators: Comparators | None = None
    modules: list[str] = field(default_factory=list)  # forward order, for info

    @property
    def bits_width(self) -> int:
        """Width of the first LUT layer's input: the encoded bits."""
        return self.layers[0].in_width

    @property
    def input_width(self) -> int:
        """Width of the circuit's input port: the bits, or the features' bits."""
        c = self.comparators
        return self.bits_width if c is None else c.features * c.bits

    @property
    def num_classes(self) -> int:
        return self.group_sum.k

    @property
    def block_size(self) -> int:
        return int(self.groups.shape[1])

    @property
    def neurons(self) -> int:
        return int(sum(layer.width for layer in self.layers))

    @property
    def table_bits(self) -> int:
        return int(sum(math.prod(layer.tables.shape) for layer in self.layers))
