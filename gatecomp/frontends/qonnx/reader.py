"""Read a QONNX file (FINN / hls4ml / Brevitas ``export_qonnx``) into gatecomp's integer layers.

:func:`read_qonnx` parses the graph (:mod:`.qonnx_graph`), folds it integer-exactly into
``IntLinear`` ... ``IntScores`` (:mod:`.qonnx_fold`, the rule is stated there), and proves the
fold on calibration data against the float graph (:mod:`.qonnx_agree`; ties reported).

A graph cannot say how raw dataset features become its float input, nor what data it was
trained on. Our example scripts write that into the model's ``metadata_props`` (all optional):

``gatecomp.input_map``
    ``"identity"`` (default: the raw features are the graph input), ``"prescale:<f>"`` (the
    graph input is ``raw * f``, e.g. ``prescale:0.0625`` for pixels/16), ``"bits"`` (the graph
    input is the bits of ``gatecomp.encoding`` as 0/1) or ``"bipolar"`` (as ``2 * bit - 1``).
``gatecomp.encoding``
    JSON of the input encoding (``ThermometerEncoding.to_dict()`` / ``UniformEncoding``'s):
    required meaning for ``bits``/``bipolar`` (without it the raw features are the bits); a
    uniform encoding must match the one the input ``Quant`` defines.
``gatecomp.dataset``
    JSON of the dataset split (e.g. :data:`gatecomp.nn.DIGITS_SPLIT`); its test split is the
    default calibration set.
``gatecomp.metrics``
    JSON of training metrics, copied into :attr:`QonnxImport.metrics`.

Without metadata the first quantizer on the input defines a plain encoding: ``Quant`` gives a
:class:`~gatecomp.nn.UniformEncoding` (its scale, offset-binary zero point, and the prescale of
any scalar ``Mul``/``Div`` before it), ``BipolarQuant`` a one-threshold thermometer code
``x >= 0``, ``MultiThreshold`` a thermometer code with its thresholds.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...errors import GatecompError
from ...nn import (
    IntLinear,
    IntScores,
    ThermometerEncoding,
    UniformEncoding,
    check_chain,
    encoding_from_dict,
    load_split,
)
from .agree import check_agreement, integer_forward
from .fold import fold_graph
from .graph import load_onnx, parse_graph

META_INPUT_MAP = "gatecomp.input_map"
META_ENCODING = "gatecomp.encoding"
META_DATASET = "gatecomp.dataset"
META_METRICS = "gatecomp.metrics"
INPUT_MAPS = ("identity", "prescale:<f>", "bits", "bipolar")
META_KEYS = (META_INPUT_MAP, META_ENCODING, META_DATASET, META_METRICS)

RULE = ("value = alpha*(W c + b) + beta per feature from the first quantizer on; weights = "
        "integers x per-row scale; quantizer levels -> thresholds on W c + b (float64 ceil, "
        "half-to-even on exact boundaries, negative alpha negates the row); signed codes offset "
        "binary; scores = n*(W c + b) + m with alpha = A n, beta - beta_0 = A m (integers)")


@dataclass(eq=False)
class QonnxImport:
    """A QONNX model folded into integer layers, with what the file says about its data.

    ``layers``: ``IntLinear`` ... ``IntScores`` (the reference); ``encoding``: how raw features
    become the first layer's codes; ``folding``: the rule, the notes, and the agreement with the
    float graph on the calibration data (``prediction_agreement``, ``tie_samples``, ...);
    ``boundary``: per calibration sample, whether some value sat on a rounding boundary.
    """

    layers: list[IntLinear | IntScores]
    encoding: ThermometerEncoding | UniformEncoding | None
    dataset: dict | None
    folding: dict
    metrics: dict
    input_map: str = "identity"
    input_shape: tuple[int, ...] = ()
    source: str = ""
    boundary: np.ndarray | None = field(default=None, repr=False)
    model: Any = field(default=None, repr=False)  # the onnx.ModelProto (qonnx's executor runs it)
    graph: Any = field(default=None, repr=False)  # its QonnxGraph and Fold (ties of a forward)
    fold: Any = field(default=None, repr=False)

    @property
    def num_classes(self) -> int:
        return self.layers[-1].num_classes

    def codes(self, raw: np.ndarray) -> np.ndarray:
        """(samples, first layer's in_dim) int64 input codes of raw features."""
        x = np.asarray(raw).reshape(len(raw), -1)
        if isinstance(self.encoding, UniformEncoding):
            return self.encoding.codes(x)
        return self.encoding.encode(x).astype(np.int64)

    def graph_input(self, raw: np.ndarray) -> np.ndarray:
        """(samples, \\*input_shape) float32: what the float graph is fed for raw features."""
        x = np.asarray(raw)
        kind, factor = parse_input_map(self.input_map)
        if kind in ("bits", "bipolar"):
            bits = self.encoding.encode(x.reshape(len(x), -1)).astype(np.float32)
            x = 2 * bits - 1 if kind == "bipolar" else bits
        elif factor != 1.0:
            x = x.astype(np.float64) * factor
        return x.astype(np.float32).reshape(len(x), *self.input_shape)

    def scores(self, raw: np.ndarray) -> np.ndarray:
        """(samples, classes) int64 integer scores of raw features."""
        return integer_forward(self.layers, self.codes(raw))[-1]

    def predict(self, raw: np.ndarray) -> np.ndarray:
        """First-index argmax of :meth:`scores`."""
        return self.scores(raw).argmax(1)


def parse_input_map(text: str | None) -> tuple[str, float]:
    """``(kind, prescale)`` of a ``gatecomp.input_map`` value."""
    t = (text or "identity").strip()
    if t in ("identity", "bits", "bipolar"):
        return t, 1.0
    if t.startswith("prescale:"):
        try:
            f = float(t.split(":", 1)[1])
        except ValueError:
            f = math.nan
        if math.isfinite(f) and f > 0:
            return "prescale", f
    raise GatecompError(f"bad {META_INPUT_MAP} {t!r} (expected one of {', '.join(INPUT_MAPS)} "
                        "with a positive f)")


def _json(meta: dict[str, str], key: str, source: str) -> Any:
    if key not in meta:
        return None
    try:
        return json.loads(meta[key])
    except json.JSONDecodeError as exc:
        raise GatecompError(f"{source}: metadata {key} is not JSON: {exc}") from None


def _same_uniform(a: UniformEncoding, b: UniformEncoding) -> bool:
    close = lambda x, y: abs(x - y) <= 1e-6 * max(abs(x), abs(y))  # noqa: E731
    return (a.bits, a.zero_point, a.num_features) == (b.bits, b.zero_point, b.num_features) \
        and close(a.scale, b.scale) and close(a.prescale, b.prescale)


def read_qonnx(source: Any, *, calibration: np.ndarray | None = None) -> QonnxImport:
    """Read and fold a QONNX model.

    Parameters
    ----------
    source:
        A path to an ``.onnx`` file or an ``onnx.ModelProto``.
    calibration:
        Raw feature vectors (samples, features) — what the encoding reads, before the input map
        — on which the integer layers are checked against the float graph. Default: the test
        split of the file's ``gatecomp.dataset``, if any; otherwise no check.

    Raises
    ------
    UnknownFormatError
        ``source`` is a file that is not ONNX.
    GatecompError
        Unsupported ops (all listed), a graph that does not fold integer-exactly, inconsistent
        metadata, or a disagreement with the float graph off a tie.
    """
    model, label = load_onnx(source)
    graph = parse_graph(model, label)
    meta = graph.metadata
    _refuse_unknown_metadata(meta, label)
    kind, factor = parse_input_map(meta.get(META_INPUT_MAP))
    enc_given = _given_encoding(meta, kind, label)
    fold = fold_graph(graph, input_map=kind, prescale=factor,
                      encoding=enc_given if kind in ("bits", "bipolar") else None)
    _check_fold(fold, enc_given, label)
    dataset = _json(meta, META_DATASET, label)
    metrics = dict(_json(meta, META_METRICS, label) or {})
    metrics.update(_shape_metrics(fold.layers, fold.encoding))
    imp = QonnxImport(fold.layers, fold.encoding, dataset,
                      {"rule": RULE, "input_map": meta.get(META_INPUT_MAP, "identity"),
                       "notes": fold.notes}, metrics, meta.get(META_INPUT_MAP, "identity"),
                      graph.input_shape, label, model=model, graph=graph, fold=fold)
    if calibration is None and isinstance(dataset, dict):
        try:
            calibration = load_split(dataset)["x_test"]
        except ValueError as exc:
            imp.folding["calibration"] = f"skipped: {exc}"
    if calibration is not None:
        _calibrate(imp, np.asarray(calibration), label)
    return imp


def _refuse_unknown_metadata(meta: dict[str, str], label: str) -> None:
    """Raise on a ``gatecomp.*`` metadata key outside :data:`META_KEYS`."""
    for key in meta:
        if key.startswith("gatecomp.") and key not in META_KEYS:
            raise GatecompError(f"{label}: metadata {key!r} is not understood (gatecomp reads "
                                f"{', '.join(META_KEYS)})")


def _given_encoding(meta: dict[str, str], kind: str, label: str
                    ) -> ThermometerEncoding | UniformEncoding | None:
    """The ``gatecomp.encoding`` the file states (None: none), checked against the input map."""
    enc_meta = _json(meta, META_ENCODING, label)
    enc_given = None
    if enc_meta is not None:
        try:
            enc_given = encoding_from_dict(enc_meta)
        except ValueError as exc:
            raise GatecompError(f"{label}: bad {META_ENCODING}: {exc}") from None
    if isinstance(enc_given, ThermometerEncoding) and kind not in ("bits", "bipolar"):
        raise GatecompError(f"{label}: a thermometer {META_ENCODING} needs {META_INPUT_MAP} "
                            "'bits' or 'bipolar'")
    return enc_given


def _check_fold(fold, enc_given: ThermometerEncoding | UniformEncoding | None,
                label: str) -> None:
    """Raise when a stated uniform encoding is not the input quantizer's, or the folded layers
    do not chain."""
    if isinstance(enc_given, UniformEncoding) and not (
            isinstance(fold.encoding, UniformEncoding) and _same_uniform(enc_given,
                                                                         fold.encoding)):
        raise GatecompError(f"{label}: {META_ENCODING} {enc_given.to_dict()} does not match the "
                            f"input quantizer's encoding {fold.encoding.to_dict()}")
    try:
        check_chain(fold.layers)
    except ValueError as exc:
        raise GatecompError(f"{label}: internal error: {exc}") from None


def _calibrate(imp: QonnxImport, raw: np.ndarray, label: str) -> None:
    """Check the fold against the float graph on the raw features ``raw``; record the
    agreement in ``imp.folding`` and the per-sample boundary flags in ``imp.boundary``."""
    if raw.ndim == 1:
        raw = raw[None]
    try:
        codes, graph_x = imp.codes(raw), imp.graph_input(raw)
    except ValueError as exc:
        raise GatecompError(f"{label}: calibration data does not fit the input: {exc}") \
            from None
    agreement = check_agreement(imp.graph, imp.fold, raw, graph_x, codes)
    imp.folding.update(agreement.report)
    imp.boundary = agreement.boundary


def _shape_metrics(layers: list, encoding: Any) -> dict:
    return {"layer_sizes": [layers[0].in_dim, *(m.out_dim for m in layers)],
            "code_bits": [layers[0].in_bits, *(m.out_bits for m in layers[:-1])],
            "max_fan_in": [int(m.fan_in().max()) if m.out_dim else 0 for m in layers],
            "input_encoding": None if encoding is None else encoding.to_dict()["type"]}
