"""The QNN frontend: integer low-bit networks to a LogicNet, and their reference.

Public API (used through :mod:`gatecomp.frontends.registry`): :func:`load_qnn`,
:func:`lower_qnn`, :func:`reference_outputs`, :func:`own_forward`, :func:`describe_qnn`,
:func:`dataset_vectors`.

A :class:`QNNModel` holds the chain ``IntLinear* IntScores`` of :mod:`gatecomp.nn.integer`
(the contract every quantized network is folded into: unsigned codes, integer weights,
multi-threshold activations); its forward is the reference the hardware must match bit for
bit. Sources: a ``gatecomp.qnn`` checkpoint (:mod:`.qnn_formats`), an in-memory list or
``nn.Sequential`` of integer layers or of layers with a ``fold()`` into them (our
``gatecomp.nn.quant`` layers), or a QONNX ``.onnx`` file (:mod:`.qonnx_reader`).

Ports: input ``x`` (the first layer's codes, ``in_bits`` each, LSB first, feature-major);
outputs ``score0..score{k-1}`` = ``acc_c - lo`` (unsigned, ``lo`` the common offset in
``net.meta["score_offset"]``, see :func:`.qnn_lower.score_range`) and ``pred``, their
first-index argmax. The lowering itself is :mod:`.qnn_lower`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ...aig import AIGBuilder, LogicNet, Port, bit_names
from ...errors import GatecompError, UnknownFormatError
from ...nn import (
    IntLinear,
    IntScores,
    ThermometerEncoding,
    UniformEncoding,
    check_chain,
    encoding_from_dict,
)
from ..brevitas_modules import is_brevitas
from ..checkpoint import split_vectors
from ..classifier import (
    Loaded,
    class_ports,
    classifier_aig,
    describe_model,
    in_memory_label,
    net_meta,
    parse_encoding,
    read_checkpoint_source,
    with_overrides,
)
from ..reference import OwnForward, class_words, input_bits, integer_forward, reading_only
from . import formats as qnn_formats
from .lower import QNNLowerParams, lower_layers, score_range, stats_dicts

__all__ = ["QNNModel", "dataset_vectors", "describe_qnn", "load_qnn", "lower_qnn",
           "output_ports", "own_forward", "reference_outputs"]

SUPPORTED_FORMATS = (qnn_formats.FORMAT, "qnn.module", "qonnx", "brevitas.module (k-bit)")
Encoding = ThermometerEncoding | UniformEncoding


@dataclass(eq=False)
class QNNModel:
    """A validated integer network (the reference) plus metadata."""

    layers: list[nn.Module]
    input_width: int
    num_classes: int
    encoding: Encoding | None
    source: str
    format: str
    dataset: dict | None = None
    metrics: dict = field(default_factory=dict)
    folding: dict = field(default_factory=dict)
    #: the module or list as given (its own forward), and a QONNX import's graph and encoding
    origin: object = field(default=None, repr=False)
    imported: object = field(default=None, repr=False)

    @property
    def module(self) -> nn.Sequential:
        return nn.Sequential(*self.layers).eval()

    @property
    def hidden(self) -> list[IntLinear]:
        return list(self.layers[:-1])

    @property
    def scores(self) -> IntScores:
        return self.layers[-1]

    @property
    def in_bits(self) -> int:
        return int(self.layers[0].in_bits)

    @property
    def num_features(self) -> int:
        return int(self.layers[0].in_dim)

    @property
    def layer_sizes(self) -> list[int]:
        return [self.num_features, *(m.out_dim for m in self.hidden), self.num_classes]

    @property
    def score_offset(self) -> int:
        return score_range(self.layers)[0]

    @property
    def score_width(self) -> int:
        return score_range(self.layers)[1]


# -- loading ---------------------------------------------------------------------------------
def _is_qnn_module(obj: object) -> bool:
    """Whether ``obj`` (a module or a list of modules) is meant as a quantized network."""
    mods = list(obj) if isinstance(obj, (list, tuple)) else [obj]
    if not mods or not all(isinstance(m, nn.Module) for m in mods):
        return False
    for top in mods:
        for m in top.modules():
            where = type(m).__module__
            if isinstance(m, (IntLinear, IntScores)) or where == "gatecomp.nn.quant":
                return True
            if callable(getattr(m, "fold", None)) and not where.startswith("gatecomp.nn."):
                return True  # a user layer that folds (into integer layers, we hope)
    return False


def load_qnn(source: str | Path | nn.Module | list | QNNModel, *,
             encoding: Encoding | dict | None = None, dataset: dict | None = None,
             calibration: np.ndarray | None = None,
             input_map: str | None = None) -> QNNModel:
    """Load and validate a quantized integer network.

    Parameters
    ----------
    source:
        A ``gatecomp.qnn`` checkpoint path, a QONNX ``.onnx`` path, a list / ``nn.Sequential``
        of :class:`IntLinear` ... :class:`IntScores` or of layers whose ``fold()`` returns them
        (folded in eval mode), or a loaded model.
    encoding, dataset:
        Input encoding / dataset split to attach (override the source's).
    calibration:
        For QONNX files and Brevitas modules: raw features the fold is checked on.
    input_map:
        For Brevitas modules: how raw features become the module's input
        (``"prescale:0.0625"`` for pixels / 16, ``"bipolar"``, ``"bits"``; see
        :mod:`.qonnx_reader`). A k-bit Brevitas ``nn.Module`` is exported to QONNX and read
        back, so every Brevitas model takes the same folding path.

    Raises
    ------
    UnknownFormatError
        ``source`` is not a quantized network this frontend reads (the registry asks the next).
    GatecompError
        A quantized network with a defect (layer order, widths, encoding), in one line.
    """
    if isinstance(source, QNNModel):
        return source
    loaded = _read_source(source, calibration, encoding, dataset, input_map)
    if loaded.fmt != "brevitas.module":  # a Brevitas fold took encoding and dataset already
        with_overrides(loaded.extra, encoding, dataset)
    model = _assemble(loaded.layers, loaded.label, loaded.fmt, loaded.extra, loaded.folding)
    model.origin, model.imported = loaded.origin, loaded.imported
    return model


def _read_source(source: object, calibration, encoding, dataset,
                 input_map: str | None) -> Loaded:
    """The integer layers of a QONNX file, a checkpoint path, a k-bit Brevitas module or a
    module (or list) of layers that fold into them."""
    if isinstance(source, (str, Path)) and Path(source).suffix.lower() == ".onnx":
        return _read_qonnx(source, calibration)
    if isinstance(source, (str, Path)):
        return read_checkpoint_source(source, qnn_formats)
    if isinstance(source, nn.Module) and is_brevitas(source):
        label = in_memory_label(source)
        imported = _fold_brevitas(source, label, calibration, encoding, dataset, input_map)
        return _from_import(imported, label, "brevitas.module", origin=source)
    if _is_qnn_module(source):
        return _fold_module(source)
    raise UnknownFormatError(f"{source!r:.80}: not a quantized integer network")


def _from_import(imported, label: str, fmt: str, origin: object) -> Loaded:
    """A QONNX import's layers, folding record and metadata."""
    return Loaded(list(imported.layers), label, fmt,
                  {"encoding": imported.encoding, "dataset": imported.dataset,
                   "metrics": imported.metrics},
                  dict(imported.folding or {}), origin, imported)


def _read_qonnx(path: str | Path, calibration) -> Loaded:
    """A QONNX file read and folded (no other frontend reads ``.onnx``: its errors are ours)."""
    label = str(path)
    if not Path(path).is_file():
        raise GatecompError(f"{label}: no such file")
    from ..qonnx.reader import read_qonnx

    try:
        imported = read_qonnx(path, calibration=calibration)
    except UnknownFormatError as exc:  # no other frontend reads .onnx: say what is wrong
        raise GatecompError(str(exc)) from None
    return _from_import(imported, label, "qonnx", origin=imported.model)


def _fold_module(source: object) -> Loaded:
    """The integer layers of a module or list of our (or foldable) layers."""
    label = in_memory_label(source)
    try:
        with torch.no_grad():
            layers = qnn_formats.integer_layers(source, label)
    except ValueError as exc:
        raise GatecompError(f"{label}: {exc} (supported: "
                            f"{qnn_formats.SUPPORTED_MODULES})") from None
    return Loaded(layers, label, "qnn.module", origin=source)


def _fold_brevitas(module: nn.Module, label: str, calibration, encoding, dataset,
                   input_map: str | None):
    """A k-bit Brevitas module folded through its QONNX export (one path for all Brevitas)."""
    from ..qonnx.brevitas_export import fold_brevitas_quant

    linear = next((m for m in module.modules() if hasattr(m, "in_features")), None)
    if linear is None:
        raise GatecompError(f"{label}: no QuantLinear layer found")
    return fold_brevitas_quant(module.eval(), torch.zeros(1, int(linear.in_features)),
                               calibration, encoding=encoding, input_map=input_map,
                               dataset=dataset)


def _assemble(layers: list[nn.Module], source: str, fmt: str, extra: dict,
              folding: dict) -> QNNModel:
    try:
        check_chain(layers)
    except ValueError as exc:
        raise GatecompError(f"{source}: {exc}") from None
    for i, m in enumerate(layers):
        if m.in_dim < 1 or m.out_dim < 1:
            raise GatecompError(f"{source}: layer {i} has no inputs or no outputs")
    enc = parse_encoding(extra.get("encoding"), source, encoding_from_dict)
    width = layers[0].in_dim * layers[0].in_bits
    if enc is not None:
        if not isinstance(enc, (ThermometerEncoding, UniformEncoding)):
            raise GatecompError(f"{source}: unsupported input encoding {type(enc).__name__}")
        if enc.width != width:
            raise GatecompError(f"{source}: the input encoding has {enc.width} bits but the "
                                f"first layer reads {layers[0].in_dim} codes of "
                                f"{layers[0].in_bits} bits ({width} bits)")
        if isinstance(enc, ThermometerEncoding) and layers[0].in_bits != 1:
            raise GatecompError(f"{source}: a thermometer encoding makes 1-bit codes but the "
                                f"first layer reads {layers[0].in_bits}-bit codes")
        if isinstance(enc, UniformEncoding) and enc.bits != layers[0].in_bits:
            raise GatecompError(f"{source}: the input encoding makes {enc.bits}-bit codes but "
                                f"the first layer reads {layers[0].in_bits}-bit codes")
    layers = [m.eval() for m in layers]
    return QNNModel(layers, width, layers[-1].num_classes, enc, source, fmt,
                    extra.get("dataset"), dict(extra.get("metrics") or {}), dict(folding))


# -- lowering --------------------------------------------------------------------------------
def output_ports(model: QNNModel) -> tuple[Port, ...]:
    """``score0..score{k-1}`` (``score_width`` bits each), then ``pred``."""
    return class_ports("score", model.num_classes, model.score_width)


def lower_qnn(model: QNNModel, params: QNNLowerParams | None = None) -> LogicNet:
    """Lower a quantized network: input port ``x``, outputs ``score0..``, ``pred``.

    ``params`` picks the neuron route (default ``auto``: per neuron the smaller of truth
    table and arithmetic, see :mod:`.qnn_lower`).
    """
    params = params or QNNLowerParams()
    in_ports = (Port("x", model.input_width),)
    builder = AIGBuilder(model.input_width, bit_names(in_ports))
    scores, stats = lower_layers(builder, builder.inputs(), model.layers, params)
    out_ports = output_ports(model)
    aig = classifier_aig(builder, scores, out_ports)
    meta = net_meta(
        "qnn", model,
        in_bits=model.in_bits,
        num_classes=model.num_classes,
        layer_sizes=model.layer_sizes,
        levels=[m.levels for m in model.hidden],
        fan_in_max=[int(m.fan_in().max()) for m in model.layers],
        neurons=int(sum(m.out_dim for m in model.hidden)),
        synapses=int(sum(int((m.weight != 0).sum()) for m in model.layers)),
        score_offset=model.score_offset,
        score_width=model.score_width,
        route=params.route,
        table_limit=params.table_limit,
        layers=stats_dicts(stats),
    )
    return LogicNet(aig, in_ports, out_ports, meta)


# -- reference -------------------------------------------------------------------------------
def input_codes(model: QNNModel, x_bits: np.ndarray) -> np.ndarray:
    """(samples, features) int64 codes of (samples, input_width) 0/1 input vectors."""
    x = input_bits(x_bits, model.input_width).astype(np.int64)
    bits = x.reshape(len(x), model.num_features, model.in_bits)
    return bits @ (1 << np.arange(model.in_bits, dtype=np.int64))


def reference_outputs(model: QNNModel, x_bits: np.ndarray,
                      chunk: int = 4096) -> dict[str, np.ndarray]:
    """The integer forward of the layers: ``score0..`` (``acc - lo``) and ``pred``."""
    acc = integer_forward(model.module, input_codes(model, x_bits), model.num_classes, chunk)
    return class_words(acc - model.score_offset, "score", ranking=acc)


def own_forward(model: QNNModel, x_bits: np.ndarray) -> OwnForward:
    """The model's own eval forward on ``x_bits``, independently of gatecomp's folding.

    A QONNX graph runs qonnx's executor and a k-bit Brevitas module its own forward (``pred``
    only, see :mod:`.qonnx_own`); a module or list of our quantized layers runs its own eval
    forward (the unfolded layers); a ``gatecomp.qnn`` checkpoint stores :mod:`gatecomp.nn`
    integer layers, whose eval forward is the model's own.
    """
    codes = input_codes(model, x_bits)
    if model.format in ("qonnx", "brevitas.module") and model.imported is not None:
        from ..qonnx.own_forward import library_forward

        reading = reference_outputs(model, x_bits)["pred"]
        module = model.origin if model.format == "brevitas.module" else None
        return library_forward(model.imported, codes, reading, module)
    if model.format == "qnn.module" and model.origin is not None:
        return _module_forward(model, codes)
    if model.format == qnn_formats.FORMAT:
        return OwnForward("gatecomp.nn eval forward of the checkpoint's layers",
                          reference_outputs(model, x_bits))
    return reading_only(f"no library model is kept for a {model.format} model")


def _module_forward(model: QNNModel, codes: np.ndarray) -> OwnForward:
    """The eval forward of the module (or list) the layers were folded from, on ``codes``."""
    origin = model.origin
    module = nn.Sequential(*origin) if isinstance(origin, (list, tuple)) else origin
    with torch.no_grad():
        acc = module.eval()(torch.from_numpy(codes))
    if acc.is_floating_point() or tuple(acc.shape) != (len(codes), model.num_classes):
        return reading_only(f"the {model.source}'s eval forward does not return integer class "
                            "scores")
    acc = acc.numpy().astype(np.int64)
    return OwnForward(f"eval forward of the {model.source}",
                      class_words(acc - model.score_offset, "score", ranking=acc))


def dataset_vectors(model: QNNModel, split: str = "test"
                    ) -> tuple[np.ndarray, np.ndarray] | None:
    """(bits, labels) of the recorded dataset split, or None when none is recorded."""
    return split_vectors(model.encoding, model.dataset, split, model.source)


def describe_qnn(model: QNNModel) -> dict:
    """Summary for ``gatecomp info``: per layer sizes, code widths, fan-ins, weights, levels."""
    limits = [(1 << model.in_bits) - 1] + [m.levels for m in model.hidden]
    layers = []
    for i, m in enumerate(model.layers):
        w = m.weight.numpy()
        fan = m.fan_in().numpy()
        entry = {"index": i, "type": "linear" if isinstance(m, IntLinear) else "scores",
                 "in_dim": m.in_dim, "out_dim": m.out_dim, "in_bits": m.in_bits,
                 "fan_in_max": int(fan.max()), "fan_in_mean": round(float(fan.mean()), 2),
                 "weight_min": int(w.min()), "weight_max": int(w.max()),
                 "weight_zero": round(float((w == 0).mean()), 3)}
        if isinstance(m, IntLinear):
            from .lower import acc_bounds

            lo, hi = acc_bounds(w, m.bias.numpy(), limits[i])
            t = m.thresholds.numpy()
            constant = ((t <= lo[:, None]) | (t > hi[:, None])).all(axis=1)
            entry.update({"levels": m.levels, "out_bits": m.out_bits,
                          "constant_neurons": int(constant.sum()),
                          "threshold_min": int(t.min()), "threshold_max": int(t.max())})
        layers.append(entry)
    return describe_model(model, layers, in_bits=model.in_bits, num_classes=model.num_classes,
                          layer_sizes=model.layer_sizes, score_offset=model.score_offset,
                          score_width=model.score_width)
