"""The BNN frontend: binary XNOR-popcount-threshold networks to a LogicNet, and their reference.

Public API (used through :mod:`gatecomp.frontends.registry`): :func:`load_bnn`,
:func:`lower_bnn`, :func:`reference_outputs`, :func:`own_forward`, :func:`describe_bnn`,
:func:`dataset_vectors`.

A :class:`BNNModel` holds an ``nn.Sequential`` of the integer-only layers of
:mod:`gatecomp.nn.binary` (``ThresholdLinear`` ... ``PopcountScores``): its forward is the
reference the hardware must match bit for bit. Sources: a ``gatecomp.bnn`` checkpoint
(:mod:`.bnn_formats`), an in-memory module of our binary layers (folded), or a Brevitas module
(:mod:`.bnn_brevitas`, folded into the same integer layers).

Lowering: XNOR with a constant weight bit is a wire or an inverter, so a neuron is a popcount
of (possibly complemented) input literals — one compressor tree per neuron, built for a whole
layer at once — followed by a constant comparator (:func:`.arith.ge_const`); ``p <= T`` is
``~(p >= T + 1)``. The last layer's popcounts are the class counts ``count0..`` and ``pred``
is their first-index argmax.
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
    BinaryLinear,
    BinaryScores,
    PopcountScores,
    ThermometerEncoding,
    ThresholdLinear,
    fold_binary,
    load_split,
)
from ...synth.arith import ge_const, popcount
from ..brevitas_modules import brevitas_bit_widths, is_brevitas
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
from ..strict import COMMON_STATE, ModuleState, check_module_tree
from . import formats as bnn_formats

__all__ = ["BNNModel", "dataset_vectors", "describe_bnn", "load_bnn", "lower_bnn",
           "output_ports", "own_forward", "reference_outputs"]

SUPPORTED_FORMATS = (bnn_formats.FORMAT, "bnn.module", "brevitas.module")


@dataclass(eq=False)
class BNNModel:
    """A validated binary network: integer-only layers (the reference) plus metadata."""

    module: nn.Sequential
    input_width: int
    num_classes: int
    encoding: ThermometerEncoding | None
    source: str
    format: str
    dataset: dict | None = None
    metrics: dict = field(default_factory=dict)
    folding: dict = field(default_factory=dict)  # e.g. agreement with a float (Brevitas) model
    origin: nn.Module | None = field(default=None, repr=False)  # the module as given (own forward)

    @property
    def hidden(self) -> list[ThresholdLinear]:
        return list(self.module)[:-1]

    @property
    def scores(self) -> PopcountScores:
        return self.module[-1]

    @property
    def layer_sizes(self) -> list[int]:
        return [self.input_width, *(m.out_dim for m in self.hidden), self.num_classes]


# -- loading ---------------------------------------------------------------------------------
def _is_ours(module: nn.Module) -> bool:
    ours = (BinaryLinear, BinaryScores, ThresholdLinear, PopcountScores)
    mods = [m for m in module.modules() if not isinstance(m, (nn.Sequential, nn.Flatten))]
    return bool(mods) and any(isinstance(m, ours) for m in mods)


#: what :func:`load_bnn` reads of an in-memory module of our binary layers
MODULE_STATE: dict[type, ModuleState] = {
    nn.Sequential: COMMON_STATE[nn.Sequential], nn.Flatten: COMMON_STATE[nn.Flatten],
    nn.BatchNorm1d: COMMON_STATE[nn.BatchNorm1d],
    BinaryLinear: ModuleState(parameters=("weight",), children=("bn",)),
    BinaryScores: ModuleState(("tau",), ("weight",)),
    ThresholdLinear: ModuleState(buffers=("weight_bits", "threshold", "direction")),
    PopcountScores: ModuleState(buffers=("weight_bits",)),
}
SUPPORTED_MODULES = "BinaryLinear/ThresholdLinear layers, then BinaryScores/PopcountScores"


def load_bnn(source: str | Path | nn.Module | BNNModel, *,
             encoding: ThermometerEncoding | dict | None = None,
             dataset: dict | None = None, calibration: np.ndarray | None = None) -> BNNModel:
    """Load and validate a binary network.

    Parameters
    ----------
    source:
        A ``gatecomp.bnn`` checkpoint path, an ``nn.Module`` of our binary layers (folded in
        eval mode), a Brevitas ``nn.Module`` (see :mod:`.bnn_brevitas`) or a loaded model.
    encoding, dataset:
        Input encoding / dataset split to attach (override the checkpoint's).
    calibration:
        For Brevitas modules: 0/1 input vectors on which the folded integer model is compared
        with the float Brevitas forward (default: the dataset's test split, when known).

    Raises
    ------
    UnknownFormatError
        ``source`` is not a binary network this frontend reads (the registry asks the next).
    GatecompError
        A binary network with a defect (shapes, layer order, encoding width), in one line.
    """
    if isinstance(source, BNNModel):
        return source
    loaded = _read_source(source, calibration, encoding, dataset)
    model = _assemble(loaded.layers, loaded.label, loaded.fmt,
                      with_overrides(loaded.extra, encoding, dataset), loaded.folding)
    model.origin = loaded.origin
    return model


def _read_source(source: object, calibration, encoding, dataset) -> Loaded:
    """The integer layers of a checkpoint path, a Brevitas module or a module of ours."""
    if isinstance(source, (str, Path)):
        return read_checkpoint_source(source, bnn_formats)
    if isinstance(source, nn.Module) and is_brevitas(source):
        return _fold_brevitas(source, calibration, encoding, dataset)
    if isinstance(source, nn.Module) and _is_ours(source):
        return _fold_ours(source)
    raise UnknownFormatError(f"{source!r:.80}: not a binary network")


def _fold_brevitas(source: nn.Module, calibration, encoding, dataset) -> Loaded:
    """A binary Brevitas module folded into integer layers, checked on the calibration
    vectors (k-bit: the QNN frontend's)."""
    if brevitas_bit_widths(source) - {1}:  # k-bit: the QNN frontend's (via QONNX)
        raise UnknownFormatError("a k-bit Brevitas network is not binary (the QNN "
                                 "frontend reads it)")
    from .brevitas_module import fold_brevitas

    label = in_memory_label(source)
    module, folding = fold_brevitas(source, calibration=_calibration(calibration, encoding,
                                                                     dataset))
    return Loaded(module, label, "brevitas.module", folding=folding, origin=source)


def _fold_ours(source: nn.Module) -> Loaded:
    """A module of our binary layers, checked and folded in eval mode."""
    label = in_memory_label(source)
    check_module_tree(source, label, MODULE_STATE, SUPPORTED_MODULES)
    try:
        module = fold_binary(source)
    except ValueError as exc:
        raise GatecompError(f"{label}: {exc} (supported: {SUPPORTED_MODULES})") from None
    return Loaded(module, label, "bnn.module", origin=source)


def _calibration(calibration, encoding, dataset) -> np.ndarray | None:
    if calibration is not None:
        return np.asarray(calibration)
    if encoding is None or dataset is None:
        return None
    enc = encoding if isinstance(encoding, ThermometerEncoding) \
        else ThermometerEncoding.from_dict(encoding)
    return enc.encode(load_split(dataset)["x_test"])


def _assemble(module: nn.Sequential, source: str, fmt: str, extra: dict,
              folding: dict) -> BNNModel:
    mods = list(module)
    if not mods or not isinstance(mods[-1], PopcountScores):
        raise GatecompError(f"{source}: a binary network must end with a scores layer "
                            "(BinaryScores / PopcountScores)")
    for i, m in enumerate(mods[:-1]):
        if not isinstance(m, ThresholdLinear):
            raise GatecompError(f"{source}: layer {i} ({type(m).__name__}) before the scores "
                                "layer must be a threshold layer")
    for i in range(1, len(mods)):
        if mods[i].in_dim != mods[i - 1].out_dim:
            raise GatecompError(f"{source}: layer {i} reads {mods[i].in_dim} bits but layer "
                                f"{i - 1} produces {mods[i - 1].out_dim}")
    enc = parse_encoding(extra.get("encoding"), source, ThermometerEncoding.from_dict)
    width = mods[0].in_dim
    if enc is not None and enc.width != width:
        raise GatecompError(f"{source}: the input encoding has {enc.width} bits but the first "
                            f"layer reads {width}")
    metrics = extra.get("metrics") or {}
    return BNNModel(nn.Sequential(*mods).eval(), width, mods[-1].num_classes, enc, source, fmt,
                    extra.get("dataset"), dict(metrics), folding)


# -- lowering --------------------------------------------------------------------------------
def output_ports(model: BNNModel) -> tuple[Port, ...]:
    """``count0..count{k-1}`` (``n.bit_length()`` bits, ``n`` the scores' fan-in), ``pred``."""
    return class_ports("count", model.num_classes, max(1, model.scores.in_dim.bit_length()))


def _xnor_popcounts(builder: AIGBuilder, x: np.ndarray, weight_bits: torch.Tensor) -> np.ndarray:
    """(out, width) popcount bits of ``xnor(x, w_j)`` per neuron ``j`` (constant weights)."""
    w = weight_bits.numpy().astype(np.int64)
    lits = x[None, :] ^ (1 - w)  # weight 1: the input itself, weight 0: its complement
    return popcount(builder, lits)


def lower_threshold_layer(builder: AIGBuilder, x: np.ndarray, layer: ThresholdLinear
                          ) -> np.ndarray:
    """Literals of one threshold layer's output bits given its input literals ``x``."""
    counts = _xnor_popcounts(builder, x, layer.weight_bits)
    t = layer.threshold.numpy().astype(np.int64)
    le = layer.direction.numpy() < 0
    # p <= T  <=>  not (p >= T + 1)
    return ge_const(builder, counts, np.where(le, t + 1, t)) ^ le.astype(np.int64)


def lower_bnn(model: BNNModel) -> LogicNet:
    """Lower a binary network: input port ``x``, outputs ``count0..``, ``pred``."""
    in_ports = (Port("x", model.input_width),)
    builder = AIGBuilder(model.input_width, bit_names(in_ports))
    x = builder.inputs()
    for layer in model.hidden:
        x = lower_threshold_layer(builder, x, layer)
    counts = _xnor_popcounts(builder, x, model.scores.weight_bits)
    out_ports = output_ports(model)
    aig = classifier_aig(builder, counts, out_ports)
    meta = net_meta("bnn", model, num_classes=model.num_classes, layer_sizes=model.layer_sizes,
                    neurons=int(sum(m.out_dim for m in model.hidden)),
                    synapses=int(sum(m.weight_bits.numel() for m in model.module)))
    return LogicNet(aig, in_ports, out_ports, meta)


# -- reference -------------------------------------------------------------------------------
def reference_outputs(model: BNNModel, x_bits: np.ndarray,
                      chunk: int = 4096) -> dict[str, np.ndarray]:
    """The integer eval forward of the layers: ``count0..`` and ``pred`` (int64 per sample)."""
    x = input_bits(x_bits, model.input_width).astype(np.int64)
    return class_words(integer_forward(model.module, x, model.num_classes, chunk), "count")


def own_forward(model: BNNModel, x_bits: np.ndarray) -> OwnForward:
    """The model's own eval forward on ``x_bits``, independently of gatecomp's folding.

    A Brevitas module runs Brevitas' forward (``pred`` only: its float scores are not the
    integer counts; samples on a float tie, where rounding decides, take gatecomp's reading and
    are counted in the name); a module of our binary layers runs its own eval forward (the
    unfolded module); a ``gatecomp.bnn`` checkpoint stores :mod:`gatecomp.nn` integer layers,
    whose eval forward is the model's own.
    """
    x = input_bits(x_bits, model.input_width).astype(np.int64)
    if model.format == "brevitas.module" and model.origin is not None:
        import brevitas

        from ..qonnx.own_forward import own_pred
        from .brevitas_module import brevitas_predictions

        pred, tie = brevitas_predictions(model.origin, x)
        return own_pred(f"brevitas {brevitas.__version__} forward of the {model.source}", pred,
                        tie, reference_outputs(model, x)["pred"])
    if model.format == "bnn.module" and model.origin is not None:
        origin = model.origin.eval()
        return OwnForward(f"gatecomp.nn eval forward of the {model.source}",
                          class_words(integer_forward(origin, x, model.num_classes), "count"))
    if model.format == bnn_formats.FORMAT:
        return OwnForward("gatecomp.nn eval forward of the checkpoint's layers",
                          reference_outputs(model, x))
    return reading_only(f"no library module is kept for a {model.format} model")


def dataset_vectors(model: BNNModel, split: str = "test"
                    ) -> tuple[np.ndarray, np.ndarray] | None:
    """(bits, labels) of the recorded dataset split, or None when none is recorded."""
    return split_vectors(model.encoding, model.dataset, split, model.source)


def describe_bnn(model: BNNModel) -> dict:
    """Summary for ``gatecomp info``: layer sizes, thresholds, comparison directions."""
    layers = []
    for i, m in enumerate(model.module):
        entry = {"index": i, "type": "threshold" if isinstance(m, ThresholdLinear) else "scores",
                 "in_dim": m.in_dim, "out_dim": m.weight_bits.shape[0],
                 "weight_ones": round(float(m.weight_bits.double().mean()), 3)}
        if isinstance(m, ThresholdLinear):
            t, ge = m.threshold.numpy(), m.direction.numpy() > 0
            n = m.in_dim
            constant = np.where(ge, (t <= 0) | (t > n), (t < 0) | (t >= n))
            entry.update({"ge": int(ge.sum()), "le": int((~ge).sum()),
                          "constant": int(constant.sum()),
                          "threshold_min": int(t.min()), "threshold_max": int(t.max())})
        layers.append(entry)
    return describe_model(model, layers, num_classes=model.num_classes,
                          layer_sizes=model.layer_sizes)
