"""Lowering a torchlogix :class:`~.network.Network` to a LogicNet: stages, then class sums.

Each :class:`~.network.LutStage` becomes minimal logic per neuron
(:func:`gatecomp.synth.lut_layer.lower_luts`: constants and repeated wires folded, identical
neurons shared, one AND for an AND-type gate, truth-table synthesis for 4- and 6-input LUTs),
each :class:`~.network.OrStage` a tree of ORs, all positions of a convolution in one flat
circuit over shared inputs. The class sums are one compressor-tree popcount per class and the
class a first-index argmax, as for every classifier frontend.
"""

from __future__ import annotations

import numpy as np

from ...aig import AIGBuilder, LogicNet, Port, bit_names
from ...synth.arith import ge_const, popcount_merged
from ...synth.lut_layer import lower_luts
from ..classifier import class_ports, classifier_aig
from .network import LutStage, Network, OrStage


def _gather(value: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Literals ``value[idx]``, index -1 reading constant 0."""
    return np.append(value, 0)[idx]


def _or_all(builder: AIGBuilder, lits: np.ndarray) -> np.ndarray:
    """OR over axis 0 of (w, n) literals, as a balanced tree of ANDs of complements."""
    rows = list(lits)
    while len(rows) > 1:
        nxt = [builder.add_and_vec(a ^ 1, b ^ 1) ^ 1 for a, b in zip(rows[::2], rows[1::2],
                                                                   strict=False)]
        if len(rows) % 2:
            nxt.append(rows[-1])
        rows = nxt
    return rows[0]


def lower_stage(builder: AIGBuilder, stage: LutStage | OrStage, values: list[np.ndarray]
                ) -> np.ndarray:
    if isinstance(stage, LutStage):
        return lower_luts(builder, _gather(values[stage.src], stage.inputs), stage.tables)
    parts = [_gather(values[src], idx) for src, idx in zip(stage.src, stage.inputs, strict=True)]
    return _or_all(builder, np.concatenate(parts, axis=0))


def first_bits(builder: AIGBuilder, net: Network) -> np.ndarray:
    """Literals of value 0: the input bits, or one comparator per binarization output bit
    (identical feature/constant pairs share one)."""
    x = builder.inputs()
    c = net.comparators
    if c is None:
        return x
    words = x.reshape(c.features, c.bits)
    return ge_const(builder, words[c.feature_of_bit], c.const_of_bit)


def output_ports(net: Network) -> tuple[Port, ...]:
    return class_ports("count", net.num_classes, max(1, net.block_size.bit_length()))


def lower_network(net: Network) -> LogicNet:
    """Input port ``x`` (the circuit's input bits, C-order), outputs ``count0..`` and ``pred``."""
    in_ports = (Port("x", net.input_width),)
    builder = AIGBuilder(net.input_width, bit_names(in_ports))
    values = [first_bits(builder, net)]
    for stage in net.stages:
        values.append(lower_stage(builder, stage, values))
    last = values[-1].reshape(net.num_classes, net.block_size)
    counts = popcount_merged(builder, last)
    out_ports = output_ports(net)
    aig = classifier_aig(builder, counts, out_ports)
    meta = {
        "frontend": "torchlogix",
        "source": net.source,
        "format": net.format,
        "input_width": net.input_width,
        "input_shape": list(net.input_shape),
        "num_classes": net.num_classes,
        "block_size": net.block_size,
        "tau": net.group_sum.tau,
        "beta": net.group_sum.beta,
        "logic_gates": net.logic_gates,
        "layers": [{"name": r.name, "type": r.type, "out_shape": list(r.out_shape),
                    "gates": r.gates} for r in net.rows],
        "input": input_description(net),
    }
    return LogicNet(aig, in_ports, out_ports, meta, group_sum=last.copy())


def input_description(net: Network) -> str:
    """What the circuit's input bits are, for ``info`` and the report."""
    shape = "x".join(str(d) for d in net.input_shape)
    if net.binarization is None:
        return f"the model's input bits ({shape}, C-order)"
    b, c = net.binarization, net.comparators
    if c is not None:
        feats = "x".join(str(d) for d in c.feature_shape)
        return (f"{c.bits}-bit unsigned features ({feats}, C-order, LSB first), compared with "
                f"the {b.kind}'s thresholds in hardware ({b.thresholds.shape[-1]} per feature)")
    return (f"the output bits of the model's {b.kind} ({shape}, C-order: feature x > threshold, "
            f"{b.thresholds.shape[-1]} thresholds per feature; --input-bits N takes the "
            "features)")
