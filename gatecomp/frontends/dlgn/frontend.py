"""The DLGN frontend: load a trained logic gate network, lower it to a LogicNet, run the reference.

Public API (used by ``gatecomp.flow`` and the CLI): :func:`load_dlgn` (from
:mod:`gatecomp.frontends.dlgn.model`: every checkpoint format, validated), :func:`lower_dlgn`,
:func:`reference_outputs`, :func:`describe_dlgn`, :func:`dataset_vectors`.

``lower_dlgn`` builds the AIG layer by layer with the vectorised builder (one call per gate
family per layer), then one compressor-tree popcount per class (repeated gate outputs merged
into weighted columns) and a first-index argmax.
``reference_outputs`` computes the same integers (counts, prediction) with PyTorch.
"""

from __future__ import annotations

import numpy as np
import torch

from ...aig import AIGBuilder, LogicNet, Port, bit_names
from ...errors import GatecompError, InternalError
from ...nn import GATE_NAMES
from ...synth.arith import popcount_merged
from ..checkpoint import split_vectors
from ..classifier import class_ports, classifier_aig
from ..reference import input_bits
from .accounting import USES_A, USES_B, account_gates
from .model import DLGNModel, LayerSpec, load_dlgn

__all__ = ["DLGNModel", "LayerSpec", "dataset_vectors", "describe_dlgn", "gate_histogram",
           "load_dlgn", "lower_dlgn", "lower_layer", "output_ports", "reference_outputs"]


# -- lowering --------------------------------------------------------------------------------
# AND-family gates as (complement A, complement B, complement output) of one AND
_AND_FORM = {1: (0, 0, 0), 2: (0, 1, 0), 4: (1, 0, 0), 8: (1, 1, 0),
             14: (0, 0, 1), 13: (0, 1, 1), 11: (1, 0, 1), 7: (1, 1, 1)}
_IS_AND = np.zeros(16, dtype=bool)
_CA, _CB, _CO = (np.zeros(16, dtype=np.int64) for _ in range(3))
for _g, (_a, _b, _o) in _AND_FORM.items():
    _IS_AND[_g], _CA[_g], _CB[_g], _CO[_g] = True, _a, _b, _o


def lower_layer(builder: AIGBuilder, x: np.ndarray, spec: LayerSpec) -> np.ndarray:
    """Literals of one logic layer's outputs given the literals ``x`` of its inputs."""
    g = spec.gate_ids
    a, b = x[spec.a], x[spec.b]
    out = np.zeros(len(g), dtype=np.int64)
    m = _IS_AND[g]
    if m.any():
        out[m] = builder.add_and_vec(a[m] ^ _CA[g[m]], b[m] ^ _CB[g[m]]) ^ _CO[g[m]]
    m = (g == 6) | (g == 9)
    if m.any():
        out[m] = builder.add_xor_vec(a[m], b[m]) ^ (g[m] == 9)
    for gid, src, flip in ((3, a, 0), (12, a, 1), (5, b, 0), (10, b, 1)):
        m = g == gid
        out[m] = src[m] ^ flip
    out[g == 15] = 1
    return out


def gate_histogram(model: DLGNModel) -> dict[str, int]:
    """Number of gates of each type over all layers (named, nonzero only)."""
    counts = np.bincount(np.concatenate([s.gate_ids for s in model.layers]), minlength=16)
    return {GATE_NAMES[i]: int(c) for i, c in enumerate(counts) if c}


def output_ports(model: DLGNModel) -> tuple[Port, ...]:
    """``count0..count{k-1}`` (width ``block_size.bit_length()``) then ``pred``."""
    return class_ports("count", model.num_classes, max(1, model.block_size.bit_length()))


def lower_dlgn(model: DLGNModel) -> LogicNet:
    """Lower a DLGN to a LogicNet: input port ``x``, outputs ``count0..``, ``pred``."""
    in_ports = (Port("x", model.input_width),)
    builder = AIGBuilder(model.input_width, bit_names(in_ports))
    x = builder.inputs()
    layer_lits = []
    for spec in model.layers:
        x = lower_layer(builder, x, spec)
        layer_lits.append(x)
    counts = popcount_merged(builder, x.reshape(model.num_classes, model.block_size))
    out_ports = output_ports(model)
    aig = classifier_aig(builder, counts, out_ports)
    meta = {
        "frontend": "dlgn",
        "source": model.source,
        "format": model.format,
        "input_width": model.input_width,
        "num_classes": model.num_classes,
        "block_size": model.block_size,
        "tau": model.tau,
        "layer_sizes": [model.input_width, *(s.out_dim for s in model.layers)],
        "logic_gates": model.logic_gates,
        "gate_histogram": gate_histogram(model),
        "gate_accounting": account_gates(model.layers, layer_lits, model.input_width),
        "encoding": None if model.encoding is None else model.encoding.to_dict(),
    }
    return LogicNet(aig, in_ports, out_ports, meta,
                    group_sum=x.reshape(model.num_classes, model.block_size).copy())


# -- reference -------------------------------------------------------------------------------
def reference_outputs(model: DLGNModel, x_bits: np.ndarray,
                      chunk: int | None = None) -> dict[str, np.ndarray]:
    """PyTorch eval-mode forward as integers: ``count0..`` and ``pred`` (int64 per sample).

    Counts are summed as integers from the last layer's 0/1 outputs (no division by ``tau``),
    checked against the module's float output, and ``pred`` is their argmax with the first
    index winning ties. ``chunk`` samples are evaluated at a time (default: about 16 M
    activations per tensor).
    """
    x = input_bits(x_bits, model.input_width)
    logic, group = list(model.module)[:-1], model.module[-1]
    if chunk is None:
        widest = max(model.input_width, *(s.out_dim for s in model.layers))
        chunk = max(1, min(8192, (16 << 20) // widest))
    counts = np.empty((len(x), model.num_classes), dtype=np.int64)
    with torch.no_grad():
        for at in range(0, len(x), chunk):
            h = torch.from_numpy(x[at:at + chunk].astype(np.float32))
            for layer in logic:
                h = layer(h)
            if not bool(((h == 0) | (h == 1)).all()):
                raise InternalError("eval-mode logic layers produced non-binary "
                                    "values on binary inputs")
            c = group.counts(h.to(torch.int64))
            scores = group(h.to(torch.float64)) * group.tau
            if not torch.allclose(scores, c.to(torch.float64), rtol=0, atol=1e-6):
                raise InternalError("GroupSum scores disagree with the counts")
            counts[at:at + chunk] = c.numpy()
    result = {f"count{c}": counts[:, c].copy() for c in range(model.num_classes)}
    result["pred"] = torch.argmax(torch.from_numpy(counts), dim=1).numpy().astype(np.int64) \
        if len(counts) else np.zeros(0, dtype=np.int64)
    return result


def dataset_vectors(model: DLGNModel, split: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """(bits, labels) of the checkpoint's dataset split, encoded with its input encoding."""
    vectors = split_vectors(model.encoding, model.dataset, split, model.source)
    if vectors is None:
        raise GatecompError(f"{model.source}: the checkpoint records no input encoding/dataset")
    return vectors


# -- description -----------------------------------------------------------------------------


def describe_dlgn(model: DLGNModel) -> dict:
    """Summary for ``gatecomp info``: sizes, gate types and wiring statistics per layer.

    ``fanout`` counts only reads a gate's function depends on (a gate ``A`` ignores its B
    wire); ``inputs_unused`` are inputs no gate of the layer depends on; ``dead_gates`` are
    gates whose output the next layer does not depend on.
    """
    layers = []
    for i, s in enumerate(model.layers):
        fan = (np.bincount(s.a[USES_A[s.gate_ids]], minlength=s.in_dim)
               + np.bincount(s.b[USES_B[s.gate_ids]], minlength=s.in_dim))
        wired = np.bincount(np.concatenate([s.a, s.b]), minlength=s.in_dim)
        hist = np.bincount(s.gate_ids, minlength=16)
        trivial = int(hist[[0, 3, 5, 10, 12, 15]].sum())
        layers.append({
            "index": i, "in_dim": s.in_dim, "out_dim": s.out_dim,
            "parametrization": s.parametrization,
            "gate_types": {GATE_NAMES[g]: int(c) for g, c in enumerate(hist) if c},
            "trivial_gates": trivial,
            "inputs_unwired": int((wired == 0).sum()),
            "inputs_unused": int((fan == 0).sum()),
            "fanout_max": int(fan.max()), "fanout_mean": round(float(fan.mean()), 3),
        })
    for i in range(len(layers) - 1):
        nxt = model.layers[i + 1]
        fan = (np.bincount(nxt.a[USES_A[nxt.gate_ids]], minlength=nxt.in_dim)
               + np.bincount(nxt.b[USES_B[nxt.gate_ids]], minlength=nxt.in_dim))
        layers[i]["dead_gates"] = int((fan == 0).sum())
    layers[-1]["dead_gates"] = 0
    return {
        "source": model.source, "format": model.format,
        "input_width": model.input_width, "num_classes": model.num_classes,
        "block_size": model.block_size, "tau": model.tau,
        "logic_layers": len(model.layers), "logic_gates": model.logic_gates,
        "gate_types": gate_histogram(model),
        "layers": layers,
        "encoding": None if model.encoding is None else model.encoding.to_dict(),
        "dataset": model.dataset, "metrics": model.metrics,
    }
