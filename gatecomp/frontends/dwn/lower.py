"""Lowering a torch_dwn :class:`~.network.Network` to a LogicNet: LUT layers, then class sums.

Each :class:`~.network.LutLayer` becomes minimal logic per neuron
(:func:`gatecomp.synth.lut_layer.lower_luts`: constants and repeated wires folded, identical
neurons shared, truth-table synthesis), the encoder (when given) one constant comparator per
distinct (feature, constant) pair. The class sums are one compressor-tree popcount per group
(the padding reads constant 0) and the class a first-index argmax, as for every classifier
frontend.
"""

from __future__ import annotations

import numpy as np

from ...aig import AIGBuilder, LogicNet, Port, bit_names
from ...synth.arith import ge_const, popcount_merged
from ...synth.lut_layer import lower_luts
from ..classifier import class_ports, classifier_aig
from .describe import encoder_summary, input_description, layer_rows
from .network import Network


def first_bits(builder: AIGBuilder, net: Network) -> np.ndarray:
    """Literals of the first layer's input: the circuit's inputs, or the comparators."""
    x = builder.inputs()
    c = net.comparators
    if c is None:
        return x
    words = x.reshape(c.features, c.bits)
    pairs = np.stack([c.feature_of_bit, c.const_of_bit], axis=1)
    distinct, which = np.unique(pairs, axis=0, return_inverse=True)
    lits = ge_const(builder, words[distinct[:, 0]], distinct[:, 1])
    return np.asarray(lits, dtype=np.int64)[which.reshape(-1)]


def output_ports(net: Network) -> tuple[Port, ...]:
    return class_ports("count", net.num_classes, max(1, net.block_size.bit_length()))


def lower_network(net: Network) -> LogicNet:
    """Input port ``x`` (the encoded bits, or the features LSB first), outputs ``count0..``
    and ``pred``."""
    in_ports = (Port("x", net.input_width),)
    builder = AIGBuilder(net.input_width, bit_names(in_ports))
    value = first_bits(builder, net)
    for layer in net.layers:
        value = lower_luts(builder, value[layer.inputs], layer.tables)
    last = np.append(value, 0)[net.groups]  # -1: GroupSum's zero padding
    counts = popcount_merged(builder, last)
    out_ports = output_ports(net)
    aig = classifier_aig(builder, counts, out_ports)
    meta = {
        "frontend": "dwn", "source": net.source, "format": net.format,
        "input_width": net.input_width, "num_classes": net.num_classes,
        "block_size": net.block_size, "tau": net.group_sum.tau, "neurons": net.neurons,
        "logic_gates": net.neurons,
        "layers": layer_rows(net), "input": input_description(net),
        "encoder": encoder_summary(net, thresholds=False),
    }
    padded = bool((net.groups < 0).any())
    return LogicNet(aig, in_ports, out_ports, meta, group_sum=None if padded else last.copy())
