"""The recurrent frontend: a :class:`~gatecomp.nn.recurrent.RecurrentLogic` as a SeqNet.

The step ``[x_t, h_{t-1}] -> h_t`` and the readout ``h_t -> counts, pred`` are lowered into one
combinational step AIG (the DLGN frontend's layer lowering, compressor-tree popcounts and the
first-index argmax); the state is ``state_width`` registers reset to ``h_0``
(:class:`~gatecomp.aig.seq.SeqNet`). Two references run over whole sequences: gatecomp's
reading (the discrete gates applied with numpy) and the module's own eval forward.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ...aig import AIGBuilder, LogicNet, Port, bit_names
from ...aig.seq import NEXT_STATE_PORT, STATE_PORT, SeqNet
from ...errors import GatecompError, InternalError, UnknownFormatError
from ...nn import GATE_NAMES, TRUTH_TABLES, encoding_from_dict, load_split
from ...nn.recurrent import RecurrentLogic, rows_as_steps
from ...synth.arith import argmax_first, popcount_merged
from ..checkpoint import model_file
from ..classifier import class_ports, in_memory_label
from ..dlgn.frontend import lower_layer
from ..dlgn.model import LayerSpec
from ..reference import OwnForward
from . import formats

SUPPORTED_FORMATS = (formats.FORMAT, "recurrent.module")


@dataclass(eq=False)
class RecurrentModel:
    """A validated recurrent logic network: the eval-mode module and its discrete gates."""

    module: RecurrentLogic
    step_layers: list[LayerSpec]
    readout_layers: list[LayerSpec]
    init: tuple[int, ...]
    steps: int | None
    source: str
    format: str
    features_per_step: int | None = None
    encoding: object = None
    dataset: dict | None = None
    metrics: dict = field(default_factory=dict)

    @property
    def input_width(self) -> int:
        """Input bits per step."""
        return self.module.in_dim

    @property
    def state_width(self) -> int:
        return self.module.state_dim

    @property
    def num_classes(self) -> int:
        return self.module.num_classes

    @property
    def block_size(self) -> int:
        return self.readout_layers[-1].out_dim // self.num_classes

    @property
    def logic_gates(self) -> int:
        return int(sum(s.out_dim for s in (*self.step_layers, *self.readout_layers)))


def load_recurrent(source: str | Path | RecurrentLogic) -> RecurrentModel:
    """Read a ``gatecomp.recurrent`` checkpoint or an in-memory RecurrentLogic (else
    UnknownFormatError, so the registry asks the next frontend)."""
    if isinstance(source, RecurrentLogic):
        return _model(copy.deepcopy(source).eval(), in_memory_label(source), "recurrent.module",
                      {})
    if not isinstance(source, str | Path):
        raise UnknownFormatError(f"{source!r} is not a recurrent logic network")
    ckpt = formats.read_file(source)
    label = str(model_file(source))
    return _model(formats.parse_checkpoint(ckpt, label), label, formats.FORMAT, ckpt)


def _model(module: RecurrentLogic, label: str, fmt: str, ckpt: dict) -> RecurrentModel:
    """The discrete description of ``module``, checked (finite weights, wiring in range)."""
    def specs(layers) -> list[LayerSpec]:
        out = []
        for i, layer in enumerate(layers):
            if not bool(torch.isfinite(layer.weights).all()):
                raise GatecompError(f"{label}: layer {i} has non-finite weights")
            idx = layer.indices.numpy()
            if idx.size and (idx.min() < 0 or idx.max() >= layer.in_dim):
                raise GatecompError(f"{label}: layer {i}'s wiring is out of range")
            out.append(LayerSpec(layer.gate_ids().numpy(), idx[0].copy(), idx[1].copy(),
                                 layer.in_dim, layer.parametrization))
        return out

    seq = ckpt.get("sequence") or {}
    enc = ckpt.get("encoding")
    try:
        encoding = None if enc is None else encoding_from_dict(enc)
    except ValueError as exc:
        raise GatecompError(f"{label}: bad input encoding: {exc}") from None
    if encoding is not None and encoding.width != module.in_dim:
        raise GatecompError(f"{label}: the encoding gives {encoding.width} bits a step, the "
                            f"network reads {module.in_dim}")
    init = tuple(int(b) for b in (module.init_logits.detach() > 0).tolist())
    return RecurrentModel(module, specs(module.step), specs(module.readout), init,
                          seq.get("steps"), label, fmt, seq.get("features_per_step"),
                          encoding, ckpt.get("dataset"), dict(ckpt.get("metrics") or {}))


# -- lowering --------------------------------------------------------------------------------
def output_ports(model: RecurrentModel) -> tuple[Port, ...]:
    """``count0..``, ``pred`` (the readout of the new state), then ``state_next``."""
    return (*class_ports("count", model.num_classes, max(1, model.block_size.bit_length())),
            Port(NEXT_STATE_PORT, model.state_width))


def lower_recurrent(model: RecurrentModel) -> SeqNet:
    """The step AIG ``[x, state] -> [count0.., pred, state_next]`` and its registers."""
    in_ports = (Port("x", model.input_width), Port(STATE_PORT, model.state_width))
    builder = AIGBuilder(model.input_width + model.state_width, bit_names(in_ports))
    v = builder.inputs()
    for spec in model.step_layers:
        v = lower_layer(builder, v, spec)
    state_next, r = v, v
    for spec in model.readout_layers:
        r = lower_layer(builder, r, spec)
    counts = popcount_merged(builder, r.reshape(model.num_classes, model.block_size))
    pred = argmax_first(builder, list(counts))
    out_ports = output_ports(model)
    aig = builder.build(np.concatenate([*counts, pred, state_next]), bit_names(out_ports))
    meta = {"frontend": "recurrent", "source": model.source, "format": model.format,
            "input_width": model.input_width, "state_width": model.state_width,
            "steps": model.steps, "emit": model.module.output,
            "num_classes": model.num_classes, "block_size": model.block_size,
            "tau": model.module.group_sum.tau,
            "step_layer_sizes": [model.input_width + model.state_width,
                                 *(s.out_dim for s in model.step_layers)],
            "readout_layer_sizes": [model.state_width,
                                    *(s.out_dim for s in model.readout_layers)],
            "logic_gates": model.logic_gates, "gate_histogram": gate_histogram(model),
            "init_state": "".join(map(str, model.init)),
            "encoding": None if model.encoding is None else model.encoding.to_dict()}
    step = LogicNet(aig, in_ports, out_ports, meta)
    return SeqNet(step, model.init, model.module.output, model.steps, meta)


def gate_histogram(model: RecurrentModel) -> dict[str, int]:
    """Gates of each type over the step and readout layers (named, nonzero only)."""
    ids = np.concatenate([s.gate_ids for s in (*model.step_layers, *model.readout_layers)])
    return {GATE_NAMES[i]: int(c) for i, c in enumerate(np.bincount(ids, minlength=16)) if c}


# -- references ------------------------------------------------------------------------------
def _gates(specs: list[LayerSpec], v: np.ndarray) -> np.ndarray:
    """(n, out) bool: the discrete layers ``specs`` applied to (n, in) bool ``v``."""
    for s in specs:
        v = TRUTH_TABLES[s.gate_ids[None, :], 2 * v[:, s.a] + v[:, s.b]].astype(np.int64)
    return v


def _sequence_bits(model: RecurrentModel, bits: np.ndarray) -> np.ndarray:
    x = np.asarray(bits)
    if x.ndim != 3 or x.shape[2] != model.input_width or x.shape[1] < 1:
        raise GatecompError(f"input sequences have shape {x.shape}, expected (sequences, "
                            f"steps, {model.input_width})")
    if x.dtype != bool and not np.isin(x, (0, 1)).all():
        raise GatecompError("input sequences must be 0/1 (binarised) values")
    return x.astype(np.int64)


def _emitted(model: RecurrentModel, counts: np.ndarray) -> dict[str, np.ndarray]:
    """``count<c>`` and ``pred`` words of (n, steps, classes) counts, as the circuit emits
    them: (n,) after the last step, or (n, steps)."""
    if model.module.output == "last":
        counts = counts[:, -1]
    words = {f"count{c}": counts[..., c].copy() for c in range(model.num_classes)}
    words["pred"] = torch.argmax(torch.from_numpy(counts), dim=-1).numpy().astype(np.int64)
    return words


def reference_outputs(model: RecurrentModel, bits: np.ndarray) -> dict[str, np.ndarray]:
    """gatecomp's reading over (sequences, steps, width) bits: counts and pred as emitted."""
    x = _sequence_bits(model, bits)
    n, steps = x.shape[:2]
    h = np.tile(np.asarray(model.init, dtype=np.int64), (n, 1))
    counts = np.zeros((n, steps, model.num_classes), dtype=np.int64)
    for t in range(steps):
        h = _gates(model.step_layers, np.concatenate([x[:, t], h], axis=1))
        r = _gates(model.readout_layers, h)
        counts[:, t] = r.reshape(n, model.num_classes, model.block_size).sum(-1)
    return _emitted(model, counts)


def own_forward(model: RecurrentModel, bits: np.ndarray) -> OwnForward:
    """The module's own eval forward (scores times tau are the counts, checked integral)."""
    x = torch.from_numpy(_sequence_bits(model, bits).astype(np.float32))
    tau = model.module.group_sum.tau
    with torch.no_grad():
        scores = model.module.eval()(x).to(torch.float64) * tau
    counts = torch.round(scores)
    if not torch.allclose(scores, counts, rtol=0, atol=1e-4):
        raise InternalError("the recurrent module's eval scores are not counts / tau")
    counts = counts.to(torch.int64).numpy()
    if model.module.output == "last":
        counts = counts[:, None]
    return OwnForward("gatecomp.nn.RecurrentLogic eval forward", _emitted(model, counts))


def dataset_vectors(model: RecurrentModel, split: str = "test"
                    ) -> tuple[np.ndarray, np.ndarray] | None:
    """(sequences, steps, width) bits and labels of the recorded split (None: none)."""
    if model.encoding is None or not model.dataset or not model.steps:
        return None
    if split not in ("train", "test"):
        raise GatecompError(f"unknown split {split!r} (train, test)")
    try:
        raw = load_split(model.dataset)
        rows = rows_as_steps(raw[f"x_{split}"], int(model.steps))
        flat = model.encoding.encode(rows.reshape(-1, rows.shape[2]))
    except ValueError as exc:
        raise GatecompError(f"{model.source}: {exc}") from None
    return flat.reshape(len(rows), rows.shape[1], -1), raw[f"y_{split}"]


def describe_recurrent(model: RecurrentModel) -> dict:
    """``gatecomp info``: the state width, steps, protocol, layers and gate types."""
    def rows(specs: list[LayerSpec], part: str) -> list[dict]:
        return [{"part": part, "index": i, "in_dim": s.in_dim, "out_dim": s.out_dim,
                 "parametrization": s.parametrization} for i, s in enumerate(specs)]

    return {"source": model.source, "format": model.format,
            "input_width": model.input_width, "state_width": model.state_width,
            "steps": model.steps, "output": model.module.output,
            "init_state": "".join(map(str, model.init)),
            "num_classes": model.num_classes, "block_size": model.block_size,
            "tau": model.module.group_sum.tau, "logic_gates": model.logic_gates,
            "gate_types": gate_histogram(model),
            "layers": rows(model.step_layers, "step") + rows(model.readout_layers, "readout"),
            "features_per_step": model.features_per_step,
            "encoding": None if model.encoding is None else model.encoding.to_dict(),
            "dataset": model.dataset, "metrics": model.metrics}
