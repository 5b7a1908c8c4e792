"""What ``gatecomp info`` and the report say about a torch_dwn network.

The layer table (wiring kind, inputs per LUT, neurons, table bits, neurons whose table is
constant), the GroupSum, and what the circuit's input is: the encoded bits, or the features
and the encoder's thresholds with the comparators they became.
"""

from __future__ import annotations

import numpy as np

from .network import Network


def layer_rows(net: Network) -> list[dict]:
    """One row per LUT layer (``gates``/``out_shape``: its LUT neurons, as the torchlogix
    frontend's rows count them, for the report's layer table)."""
    rows = []
    for layer in net.layers:
        constant = int((layer.tables.all(axis=1) | ~layer.tables.any(axis=1)).sum())
        rows.append({"name": layer.name, "type": "LUTLayer", "mapping": layer.mapping,
                     "n": layer.n, "in_width": layer.in_width, "neurons": layer.width,
                     "gates": layer.width, "out_shape": [layer.width],
                     "luts_shape": list(layer.tables.shape), "table_bits": layer.tables.size,
                     "constant_tables": constant})
    return rows


def input_description(net: Network) -> str:
    """What the circuit's input bits are, for ``info`` and the report."""
    c, e = net.comparators, net.encoder
    if c is None:
        return (f"the encoded bits the first LUTLayer reads ({net.bits_width}: bit = x > 0; "
                "--encoder ENC takes the features)")
    return (f"{c.features} {c.bits}-bit unsigned features (LSB first), compared with the "
            f"{e.kind}'s {e.num_bits} thresholds per feature in hardware (x > t as "
            f"x >= floor(t)+1; {c.constant_bits} of {len(c.const_of_bit)} bits constant)")


def encoder_summary(net: Network, thresholds: bool) -> dict | None:
    """The encoder and its comparators (with every threshold where ``thresholds``)."""
    e, c = net.encoder, net.comparators
    if e is None:
        return None
    pairs = {(int(f), int(k)) for f, k in zip(c.feature_of_bit, c.const_of_bit, strict=True)
             if 0 < k < 1 << c.bits}
    out = {"kind": e.kind, "source": e.source, "features": e.features,
           "bits_per_feature": e.num_bits, "input_bits": c.bits,
           "shared_thresholds": e.thresholds.shape[0] == 1,
           "threshold_range": [float(np.min(e.thresholds)), float(np.max(e.thresholds))],
           "comparators": len(pairs), "constant_bits": c.constant_bits}
    if thresholds:
        out["thresholds"] = e.thresholds.tolist()
    return out


def describe(net: Network) -> dict:
    """Summary for ``gatecomp info``."""
    gs = net.group_sum
    return {
        "source": net.source, "format": net.format, "library": f"torch_dwn {net.version}",
        "input": input_description(net), "input_width": net.input_width,
        "num_classes": net.num_classes, "block_size": net.block_size,
        "group_sum": {"k": gs.k, "tau": gs.tau, "inputs": gs.width,
                      "padding": int((net.groups < 0).sum()),
                      "randperm": gs.order is not None},
        "neurons": net.neurons, "table_bits": net.table_bits, "modules": net.modules,
        "layers": layer_rows(net), "encoder": encoder_summary(net, thresholds=True),
    }
