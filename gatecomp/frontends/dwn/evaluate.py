"""gatecomp's reading of a torch_dwn network, evaluated on bits with numpy.

The frontend's ``reference``: the class counts the records of :mod:`.network` compute, as
integers, independently of the AIG built from the same records. The model's own modules with
the CPU port of torch_dwn's kernel (:mod:`.own_forward`) are the second, independent check.
"""

from __future__ import annotations

import numpy as np

from ..reference import class_words, input_bits
from .network import Network


def features_of(net: Network, x: np.ndarray) -> np.ndarray:
    """(samples, features) int64 of the circuit's input words (LSB first per feature)."""
    c = net.comparators
    weights = 1 << np.arange(c.bits, dtype=np.int64)
    return x.reshape(len(x), c.features, c.bits).astype(np.int64) @ weights


def first_bits(net: Network, x: np.ndarray) -> np.ndarray:
    """The first layer's input bits: ``x`` itself, or the features compared."""
    c = net.comparators
    if c is None:
        return x.astype(bool)
    return features_of(net, x)[:, c.feature_of_bit] >= c.const_of_bit[None, :]


def class_counts(net: Network, x: np.ndarray) -> np.ndarray:
    """(samples, classes) int64 counts for 0/1 inputs ``x`` (samples, input_width)."""
    counts = np.zeros((len(x), net.num_classes), dtype=np.int64)
    for at in range(0, len(x), 2048):
        value = first_bits(net, x[at:at + 2048])
        for layer in net.layers:
            address = np.zeros((len(value), layer.width), dtype=np.int64)
            for bit, row in enumerate(layer.inputs):
                address |= value[:, row].astype(np.int64) << bit
            value = layer.tables[np.arange(layer.width)[None, :], address]
        padded = np.concatenate([value, np.zeros((len(value), 1), dtype=bool)], axis=1)
        counts[at:at + 2048] = padded[:, net.groups].sum(axis=2)
    return counts


def reference_outputs(net: Network, x_bits: np.ndarray) -> dict[str, np.ndarray]:
    """``count0..`` and ``pred`` (first-index argmax) of gatecomp's reading."""
    x = input_bits(x_bits, net.input_width)
    return class_words(class_counts(net, x), "count")
