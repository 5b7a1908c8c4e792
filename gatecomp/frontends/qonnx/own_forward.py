"""The model's own forward on the check vectors: qonnx's executor, or Brevitas for a module.

gatecomp's reference is its own reading of a model (the folded integer layers); a misread graph
would pass a check against it. These forwards run the library's code instead — the graph
through ``qonnx.core.onnx_exec.execute_onnx`` (onnxruntime for the standard ops), a Brevitas
module through its own eval forward — and give the circuit's ``pred`` word: the first-index
argmax of the library's float scores. (The float scores are an affine image of the integer
ones whose scale only gatecomp's reading knows, so no score words are given.)

Two kinds of vector have no answer of the model's own, and take gatecomp's reading (their
number is in the forward's name): vectors on a float tie (a value on a rounding boundary, or two
equal top scores, where float rounding decides; :mod:`.qonnx_agree` finds them), and input
bits no graph input produces (a thermometer code whose bits are not monotone).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from ...nn import ThermometerEncoding, UniformEncoding
from ..reference import OwnForward
from .agree import TIE_TOLERANCE, check_agreement
from .reader import QonnxImport, parse_input_map


def raw_features(imp: QonnxImport, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(raw, feedable)``: raw features whose encoding gives the first layer's ``codes``
    (samples, in_dim), and which samples some raw input produces at all."""
    enc, n = imp.encoding, len(codes)
    if isinstance(enc, UniformEncoding):  # the middle of each code's rounding interval
        return (codes - enc.zero_point) * enc.scale / enc.prescale, np.ones(n, bool)
    t = np.asarray(enc.thresholds, np.float64)
    bits = codes.reshape(n, enc.num_features, len(t))
    feedable = (np.diff(bits, axis=2) <= 0).all(axis=(1, 2))  # thermometer: ones first
    pad = np.maximum(1.0, np.abs(t[[0, -1]]))
    points = np.concatenate([[t[0] - pad[0]], (t[:-1] + t[1:]) / 2, [t[-1] + pad[1]]])
    return points[bits.sum(2)], feedable


def graph_inputs(imp: QonnxImport, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray]:
    """``(graph input, raw, feedable)`` for first-layer ``codes``: with input map ``bits`` /
    ``bipolar`` the graph reads the bits themselves, otherwise the raw features."""
    kind, _ = parse_input_map(imp.input_map)
    if kind in ("bits", "bipolar"):
        assert isinstance(imp.encoding, ThermometerEncoding)
        x = codes.astype(np.float32)
        raw = np.zeros((len(codes), imp.encoding.num_features))  # unused: the bits are given
        gx = (2 * x - 1 if kind == "bipolar" else x).reshape(len(codes), *imp.input_shape)
        return gx, raw, np.ones(len(codes), bool)
    raw, feedable = raw_features(imp, codes)
    return imp.graph_input(raw), raw, feedable


def qonnx_scores(model, x: np.ndarray) -> np.ndarray:
    """(samples, classes) float64 outputs of ``qonnx.core.onnx_exec.execute_onnx``."""
    import onnx
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.transformation.change_batchsize import ChangeBatchSize
    from qonnx.transformation.infer_shapes import InferShapes
    from qonnx.util.cleanup import cleanup_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wrapped = cleanup_model(ModelWrapper(onnx.ModelProto.FromString(
            model.SerializeToString())))
        wrapped = wrapped.transform(ChangeBatchSize(len(x))).transform(InferShapes())
        out = execute_onnx(wrapped, {wrapped.graph.input[0].name: np.asarray(x, np.float32)})
    return np.asarray(out[wrapped.graph.output[0].name], np.float64).reshape(len(x), -1)


def brevitas_scores(module: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    """(samples, classes) float64 outputs of the Brevitas module's eval forward."""
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = module.eval()(torch.from_numpy(np.asarray(x, np.float32)))
    return getattr(out, "value", out).detach().double().reshape(len(x), -1).numpy()


def first_argmax(scores: np.ndarray) -> np.ndarray:
    """``torch.argmax``'s rule (first index on equal values), as the circuit's ``pred``."""
    if not len(scores):
        return np.zeros(0, np.int64)
    return torch.argmax(torch.from_numpy(scores), dim=1).numpy().astype(np.int64)


def score_ties(scores: np.ndarray) -> np.ndarray:
    """Samples whose top two float scores are within the tie tolerance (relative)."""
    if scores.shape[1] < 2:
        return np.zeros(len(scores), bool)
    top = np.sort(scores, 1)
    return (top[:, -1] - top[:, -2]) <= TIE_TOLERANCE * (np.abs(scores).max(1) + 1e-30)


def own_pred(name: str, pred: np.ndarray, undecided: np.ndarray, reading: np.ndarray,
             why: str = "on a float tie") -> OwnForward:
    """An :class:`OwnForward` of ``pred`` where the ``undecided`` samples take gatecomp's
    ``reading``, their number said in the name."""
    pred = np.where(undecided, reading, pred).astype(np.int64)
    if undecided.any():
        name += (f" ({int(undecided.sum())} of {len(pred)} vectors {why} take gatecomp's "
                 "reading)")
    return OwnForward(name, {"pred": pred})


def library_forward(imp: QonnxImport, codes: np.ndarray, reading: np.ndarray,
                    module: torch.nn.Module | None = None) -> OwnForward:
    """The ``pred`` of qonnx's executor on ``imp``'s graph (or of Brevitas' forward of
    ``module``, the graph's source) on first-layer ``codes``; ``reading``: gatecomp's ``pred``
    for the samples without an answer of the model's own."""
    gx, raw, feedable = graph_inputs(imp, codes)
    pred = np.array(reading, np.int64)
    undecided = ~feedable
    rows = np.flatnonzero(feedable)
    if len(rows):
        ties = check_agreement(imp.graph, imp.fold, raw[rows], gx[rows], codes[rows]).boundary
        if module is not None:
            scores = brevitas_scores(module, gx[rows])
        else:
            scores = qonnx_scores(imp.model, gx[rows])
        pred[rows] = first_argmax(scores)
        undecided[rows] = ties | score_ties(scores)
    why = "on a float tie or that no graph input produces" if (~feedable).any() \
        else "on a float tie"
    return own_pred(_library_name(imp, module), pred, undecided, reading, why)


def _library_name(imp: QonnxImport, module: torch.nn.Module | None) -> str:
    import importlib.metadata

    if module is not None:
        import brevitas

        return f"brevitas {brevitas.__version__} forward of the {imp.source}"
    return (f"qonnx {importlib.metadata.version('qonnx')} execute_onnx forward of the graph "
            f"{imp.source}")
