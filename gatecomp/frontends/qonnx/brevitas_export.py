"""Brevitas k-bit modules through QONNX: export in memory, read back, check against Brevitas.

Every Brevitas model takes one path: :func:`fold_brevitas_quant` exports the module with
``brevitas.export.export_qonnx`` (into a temporary directory), attaches the ``gatecomp.*``
metadata (:func:`qonnx_metadata`), reads it with :func:`.qonnx_reader.read_qonnx` and, on the
calibration data, also compares the integer predictions with the Brevitas float forward: the
exported graph must mean what the module computes. :func:`save_qonnx` writes the same file.

One Brevitas pitfall is refused up front: a 1-bit *integer* quantizer (``bit_width=1`` with
an integer quantizer, not a binary one) computes ``{0, 1}`` or ``{-1, 0}`` in Brevitas but
is exported as a ``BipolarQuant`` (``+-1``); use a binary quantizer
(``brevitas.quant.binary.SignedBinaryActPerTensorConst`` / ``...WeightPerTensorConst``).
(The binary-only Brevitas path of :mod:`.bnn_brevitas` is separate and unchanged.)
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ...errors import GatecompError
from ...nn import load_split
from .agree import TIE_TOLERANCE
from .reader import (
    META_DATASET,
    META_ENCODING,
    META_INPUT_MAP,
    META_METRICS,
    QonnxImport,
    parse_input_map,
    read_qonnx,
)


def qonnx_metadata(*, encoding: Any = None, dataset: dict | None = None,
                   input_map: str | None = None, metrics: dict | None = None) -> dict[str, str]:
    """The ``gatecomp.*`` ``metadata_props`` entries (see :mod:`.qonnx_reader`)."""
    meta: dict[str, str] = {}
    if input_map is not None:
        parse_input_map(input_map)  # validate
        meta[META_INPUT_MAP] = input_map
    if encoding is not None:
        meta[META_ENCODING] = json.dumps(encoding if isinstance(encoding, dict)
                                         else encoding.to_dict())
    if dataset is not None:
        meta[META_DATASET] = json.dumps(dataset)
    if metrics is not None:
        meta[META_METRICS] = json.dumps(metrics)
    return meta


def _check_quantizers(module: nn.Module) -> None:
    from brevitas.core.quant import IntQuant

    for name, sub in module.named_modules():
        if not (hasattr(sub, "is_quant_enabled") and hasattr(sub, "bit_width")):
            continue
        try:
            enabled, bits = bool(sub.is_quant_enabled), sub.bit_width()
        except Exception:  # noqa: BLE001 - proxies without a bit width (e.g. float bias)
            continue
        if enabled and bits is not None and int(bits) == 1 and any(
                isinstance(m, IntQuant) for m in sub.modules()):
            raise GatecompError(f"{name}: a 1-bit integer quantizer computes {{0, 1}} / {{-1, 0}} "
                                "in Brevitas but exports as BipolarQuant (+-1); use a binary "
                                "quantizer (brevitas.quant.binary.SignedBinary*PerTensorConst)")


def export_qonnx_model(module: nn.Module, example_input: torch.Tensor, *,
                       metadata: dict[str, str] | None = None) -> Any:
    """Export ``module`` (eval mode) with Brevitas' ``export_qonnx``; an ``onnx.ModelProto``
    with ``metadata`` added to its ``metadata_props``."""
    import onnx
    from brevitas.export import export_qonnx

    module.eval()
    quiet = logging.getLogger("torch.onnx")  # "torchvision is not installed" notices
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings(), \
                contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            path = Path(tmp) / "model.onnx"
            export_qonnx(module, example_input, str(path))
            model = onnx.load(str(path))
    finally:
        quiet.setLevel(level)
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    return model


def save_qonnx(path: str | Path, module: nn.Module, example_input: torch.Tensor,
               **metadata: Any) -> Path:
    """Write ``module`` as a QONNX file with :func:`qonnx_metadata` ``(**metadata)``."""
    import onnx

    _check_quantizers(module)
    model = export_qonnx_model(module, example_input, metadata=qonnx_metadata(**metadata))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def fold_brevitas_quant(module: nn.Module, example_input: torch.Tensor,
                        calibration: np.ndarray | None = None, *, encoding: Any = None,
                        input_map: str | None = None, dataset: dict | None = None
                        ) -> QonnxImport:
    """Fold an in-memory Brevitas k-bit network into integer layers via QONNX.

    Parameters
    ----------
    module, example_input:
        The Brevitas model (put in eval mode) and one input batch for the export.
    calibration:
        Raw features to check the fold on, against the float QONNX graph and against
        ``module`` itself (default: the test split of ``dataset``, if given).
    encoding, input_map, dataset:
        The ``gatecomp.*`` metadata (see :mod:`.qonnx_reader`), e.g. ``input_map="bipolar"``
        with a thermometer ``encoding`` for a BNN fed ``2 * bit - 1``.

    Raises
    ------
    GatecompError
        What :func:`.qonnx_reader.read_qonnx` raises, a 1-bit integer quantizer, or an
        integer model that disagrees with the Brevitas forward off a tie.
    """
    _check_quantizers(module)
    meta = qonnx_metadata(encoding=encoding, dataset=dataset, input_map=input_map)
    model = export_qonnx_model(module, example_input, metadata=meta)
    if calibration is None and dataset is not None:
        calibration = load_split(dataset)["x_test"]
    imp = read_qonnx(model, calibration=calibration)
    imp.source = f"<in-memory {type(module).__name__}>"
    if calibration is not None:
        imp.folding.update(_compare_with_module(module, imp, np.asarray(calibration)))
    return imp


def _compare_with_module(module: nn.Module, imp: QonnxImport, raw: np.ndarray) -> dict:
    x = torch.from_numpy(imp.graph_input(raw))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = module.eval()(x)
    logits = getattr(out, "value", out).detach().double().reshape(len(raw), -1).numpy()
    pred_mod, pred_int = logits.argmax(1), imp.predict(raw)
    srt = np.sort(logits, 1)
    span = np.abs(logits).max(1) + 1e-30
    near = (srt[:, -1] - srt[:, -2] <= TIE_TOLERANCE * span) if logits.shape[1] > 1 \
        else np.zeros(len(raw), bool)
    bad = (pred_mod != pred_int) & ~near & ~imp.boundary
    if bad.any():
        s = int(np.flatnonzero(bad)[0])
        raise GatecompError(f"the folded QONNX export disagrees with the Brevitas forward off a "
                            f"tie (sample {s}: integer class {pred_int[s]}, Brevitas "
                            f"{pred_mod[s]}); the export does not mean what the module computes")
    return {"brevitas_prediction_agreement": float(np.mean(pred_mod == pred_int))}
