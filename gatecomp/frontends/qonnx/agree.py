"""The folded integer layers against the float QONNX graph, layer by layer, ties reported.

:func:`check_agreement` runs the float graph (:mod:`.qonnx_exec`, float32 like qonnx) and the
integer layers on the same calibration inputs. At every quantizer it reads the float codes
back from the float values and compares them with the integer codes. They may differ only
where the float pre-activation sits on a rounding boundary (within :data:`TIE_TOLERANCE` of its
magnitude): a tie, where float32 summation order decides and the integer rule is the
reference. A sample is followed until its first difference (later layers see different
inputs). At the output, the integer scores must be an affine image ``A * s + K`` of the float
scores and the predictions must agree, except on ties or float near-equal top scores.
Anything else raises :class:`GatecompError`: the fold would be wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ...errors import GatecompError
from ...nn import ThermometerEncoding, UniformEncoding
from .execute import run_graph
from .fold import Fold
from .graph import QonnxGraph

#: relative distance to a rounding boundary (against the magnitude of its terms) that is a tie
TIE_TOLERANCE = 1e-5
#: relative deviation of the float scores from ``A * integer + K`` still accepted (float32 sums)
SCORE_TOLERANCE = 1e-4


@dataclass
class Agreement:
    """Report plus per-sample arrays (``boundary``: some value within tolerance of a rounding
    boundary, or float top-2 scores within tolerance; ``pred_int`` / ``pred_float``).

    In the report, ``tie_samples`` counts the samples where the float graph and the integer
    layers differ (all on ties), ``boundary_samples`` those with a value on a quantizer's
    rounding boundary, ``score_tie_samples`` those whose two best float scores (nearly) tie.
    """

    report: dict
    boundary: np.ndarray
    pred_int: np.ndarray
    pred_float: np.ndarray


def integer_forward(layers: list, codes: np.ndarray) -> list[np.ndarray]:
    """The codes after every layer (the last entry: the int64 scores)."""
    h = torch.from_numpy(np.asarray(codes, dtype=np.int64))
    out = []
    with torch.no_grad():
        for layer in layers:
            h = layer(h)
            out.append(h.numpy())
    return out


def _input_ties(enc: UniformEncoding | ThermometerEncoding, raw: np.ndarray) -> np.ndarray:
    """(samples, features) bool: raw features within tolerance of an encoding boundary."""
    x = raw.astype(np.float64)
    if isinstance(enc, UniformEncoding):
        u = x * enc.prescale / enc.scale + enc.zero_point
        edge = np.floor(u) + 0.5  # the rounding boundary next to u, if inside the code range
        inside = (edge > 0) & (edge < (1 << enc.bits) - 1)
        return inside & (np.abs(u - edge) <= TIE_TOLERANCE * np.maximum(1.0, np.abs(u)))
    t = np.asarray(enc.thresholds)
    d = np.abs(x[:, :, None] - t[None, None, :])
    return (d <= TIE_TOLERANCE * np.maximum(1.0, np.abs(t))).any(-1)


def _near_boundary(v: np.ndarray, tau: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """(samples, features) bool: ``v`` within ``tol`` of one of its feature's ``tau`` row
    (one sorted search per feature, not a samples x features x levels array)."""
    near = np.zeros(v.shape, bool)
    for j in range(v.shape[1]):
        t = np.sort(tau[j])
        idx = np.clip(np.searchsorted(t, v[:, j]), 1, len(t) - 1) if len(t) > 1 \
            else np.zeros(len(v), np.int64)
        d = np.minimum(np.abs(v[:, j] - t[idx]), np.abs(v[:, j] - t[np.maximum(idx - 1, 0)]))
        near[:, j] = d <= tol[j]
    return near


def _float_codes(value: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.round((value.astype(np.float64) - b) / a)
    return np.where(a == 0, -1, np.nan_to_num(c, nan=-1)).astype(np.int64)


@dataclass
class _Flips:
    """Per sample: ``diverged`` (some code differed: later layers see other inputs),
    ``boundary`` (some value near a rounding boundary); per quantizer the samples it flipped."""

    diverged: np.ndarray
    boundary: np.ndarray
    flips: list[int]

    def record(self, flip: np.ndarray, near: np.ndarray) -> None:
        self.boundary |= near.any(1)
        self.diverged |= flip.any(1)
        self.flips.append(int(flip.any(1).sum()))


def check_agreement(graph: QonnxGraph, fold: Fold, raw: np.ndarray, graph_x: np.ndarray,
                    codes: np.ndarray) -> Agreement:
    """Compare the float graph on ``graph_x`` with the integer layers on ``codes`` (both from
    the raw calibration features ``raw``); raise :class:`GatecompError` off a tie."""
    n = len(graph_x)
    keep = [i.tensor for i in fold.infos] + ([fold.input_info.tensor] if fold.input_info else [])
    env = run_graph(graph, graph_x, keep)
    ints = integer_forward(fold.layers, codes)
    track = _Flips(np.zeros(n, bool), np.zeros(n, bool), [])
    if fold.input_info is not None:
        _check_input_codes(track, fold, env, raw, codes)
    _check_layer_codes(track, fold, env, ints, codes)
    scores = ints[-1]
    logits = env[graph.output].reshape(n, -1).astype(np.float64)
    mag, worst = _check_scores(fold, logits, scores, track.diverged)
    return _check_predictions(track, logits, scores, mag, worst)


def _check_input_codes(track: _Flips, fold: Fold, env: dict, raw: np.ndarray,
                       codes: np.ndarray) -> None:
    """The input quantizer's float codes against the integer input codes."""
    n = len(track.diverged)
    info = fold.input_info
    got = _float_codes(env[info.tensor].reshape(n, -1), info.a, info.b)
    want = codes.reshape(n, -1, info.group).sum(-1)
    near = _input_ties(fold.encoding, raw.reshape(n, -1))
    flip = got != want
    _raise_off_tie(flip & ~near, "the input quantizer", got, want)
    track.record(flip, near)


def _check_layer_codes(track: _Flips, fold: Fold, env: dict, ints: list[np.ndarray],
                       codes: np.ndarray) -> None:
    """Each hidden layer's float codes against its integer codes, on samples not diverged."""
    n = len(track.diverged)
    h = codes
    for li, (layer, info) in enumerate(zip(fold.layers[:-1], fold.infos, strict=True)):
        with torch.no_grad():
            acc = layer.accumulate(torch.from_numpy(np.asarray(h, np.int64))).numpy()
        v = info.alpha * (acc * info.sign) + info.beta
        near = _near_boundary(v, np.where(info.always, np.inf, info.tau),
                              TIE_TOLERANCE * info.magnitude)
        got = _float_codes(env[info.tensor].reshape(n, -1), info.a, info.b)
        want = ints[li]
        flip = (got != want) & ~track.diverged[:, None] & (info.a != 0)
        _raise_off_tie(flip & ~near, f"layer {li} ({info.node})", got, want)
        track.record(flip, near)
        h = want


def _check_scores(fold: Fold, logits: np.ndarray, scores: np.ndarray,
                  diverged: np.ndarray) -> tuple[np.ndarray, float]:
    """``(magnitude per class, worst residual)``: the float scores must be the affine image
    of the integer scores on the samples not diverged."""
    last = fold.layers[-1]
    top = (1 << last.in_bits) - 1
    mag = fold.score_unit * (last.weight.abs().sum(1).numpy() * top + last.bias.abs().numpy()) \
        + abs(fold.score_offset)
    expect = fold.score_unit * scores + fold.score_offset
    resid = np.abs(logits - expect) / np.maximum(mag, 1e-30)[None, :]
    ok = ~diverged
    worst = float(resid[ok].max()) if ok.any() else 0.0
    if worst > SCORE_TOLERANCE:
        s = int(np.argwhere(ok[:, None] & (resid > SCORE_TOLERANCE))[0, 0])
        raise GatecompError(f"internal error: the integer scores of sample {s} are not the float "
                            f"scores' integer image (relative residual {worst:.3g})")
    return mag, worst


def _check_predictions(track: _Flips, logits: np.ndarray, scores: np.ndarray,
                       mag: np.ndarray, worst: float) -> Agreement:
    """The integer and float predictions must agree off ties; the report of the check."""
    n = len(track.diverged)
    diverged, boundary = track.diverged, track.boundary
    pred_int, pred_float = scores.argmax(1), logits.argmax(1)
    srt = np.sort(logits, 1)
    float_tie = (srt[:, -1] - srt[:, -2] <= TIE_TOLERANCE * mag.max()) if logits.shape[1] > 1 \
        else np.zeros(n, bool)
    rounding = boundary.copy()
    boundary |= float_tie
    differ = (pred_int != pred_float) & ~diverged
    if (differ & ~float_tie).any():
        s = int(np.flatnonzero(differ & ~float_tie)[0])
        raise GatecompError(f"internal error: folded scores disagree with the float graph off a "
                            f"tie (sample {s}: integer class {pred_int[s]}, float "
                            f"{pred_float[s]})")
    tie = diverged | differ
    report = {"calibration_samples": n,
              "prediction_agreement": float(np.mean(pred_int == pred_float)) if n else 1.0,
              "tie_samples": int(tie.sum()),
              "tie_sample_indices": np.flatnonzero(tie)[:20].tolist(),
              "boundary_samples": int(rounding.sum()),
              "score_tie_samples": int(float_tie.sum()),
              "layer_tie_flips": track.flips,
              "max_score_residual": worst}
    return Agreement(report, boundary, pred_int, pred_float)


def _raise_off_tie(bad: np.ndarray, where: str, got: np.ndarray, want: np.ndarray) -> None:
    if bad.any():
        s, j = map(int, np.argwhere(bad)[0])
        raise GatecompError(f"internal error: {where} disagrees with the float graph off a tie "
                            f"(sample {s}, feature {j}: float code {got[s, j]}, integer "
                            f"{want[s, j]})")
