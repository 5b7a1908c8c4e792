"""torch_dwn's thermometer encoders, and the comparators that fold them into the circuit.

``Thermometer``, ``DistributiveThermometer`` and ``GaussianThermometer`` are plain Python
objects outside the model: ``binarize(x)`` is ``(x.unsqueeze(-1) > thresholds).float()``
(strict), which a training script flattens to bit ``f * T + t``. Thresholds are (features, T)
when fitted feature-wise, else (1, T) or (T,), shared by every feature. ``--encoder ENC`` (the
pickled encoder, or a thresholds array as ``.npy`` / a saved tensor) makes the circuit take
unsigned integer features and compare them in hardware: ``x > t`` is ``x >= floor(t) + 1`` for
integers, each distinct (feature, constant) pair one comparator, and a bit that is the same for
every N-bit feature a constant (no comparator). The default N is the smallest width that holds
every constant, so a larger feature clipped to ``2**N - 1`` gives the same bits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ...errors import GatecompError
from ..checkpoint import model_file
from .network import Comparators, Encoder
from .standins import SAFE_GLOBALS, short_name

ENCODERS = ("Thermometer", "DistributiveThermometer", "GaussianThermometer")
ATTRIBUTES = ("num_bits", "feature_wise", "thresholds")
#: threshold dtypes in which every feature of up to 24 bits compares exactly
EXACT = (torch.float32, torch.float64, torch.int8, torch.int16, torch.int32, torch.int64,
         torch.uint8)
MAX_BITS = 24


def load_encoder(source: object) -> tuple[object, str]:
    """``(object, label)`` of ``--encoder``: a path (``.npy`` thresholds, or a ``torch.save`` of
    an encoder or a tensor, loaded with ``weights_only=True`` through stand-ins) or an
    in-memory encoder, tensor or array."""
    if not isinstance(source, (str, Path)):
        return source, f"<in-memory {type(source).__name__}>"
    path = model_file(source)
    if path.suffix.lower() == ".npy":
        try:
            return np.load(path, allow_pickle=False), str(path)
        except ValueError as exc:
            raise GatecompError(f"{path}: not a plain .npy thresholds array ({exc})") from None
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return torch.load(path, map_location="cpu", weights_only=True), str(path)
    except Exception as exc:  # noqa: BLE001 - every failure becomes one readable line
        first = str(exc).strip().splitlines()[0][:160]
        raise GatecompError(f"{path}: not a torch_dwn encoder or thresholds tensor gatecomp "
                            f"reads ({first})") from None


def _thresholds_of(obj: object, label: str) -> tuple[str, torch.Tensor]:
    if isinstance(obj, np.ndarray):
        obj = torch.from_numpy(obj)
    if isinstance(obj, torch.Tensor):
        if obj.ndim == 0:
            raise GatecompError(f"{label}: a scalar is not a thresholds array")
        return "thresholds", obj
    kind = short_name(obj)
    if kind not in ENCODERS or not type(obj).__module__.startswith("torch_dwn."):
        raise GatecompError(f"{label}: a {type(obj).__module__}.{kind} is not an encoder "
                            f"gatecomp reads ({', '.join(ENCODERS)} or a thresholds array)")
    state = vars(obj)
    unknown = sorted(set(state) - set(ATTRIBUTES))
    if unknown or set(ATTRIBUTES) - set(state):
        what = f"unknown attribute {unknown[0]!r}" if unknown else "missing attributes"
        raise GatecompError(f"{label}: {kind} has {what} (gatecomp reads "
                            f"{', '.join(ATTRIBUTES)})")
    t = state["thresholds"]
    if t is None:
        raise GatecompError(f"{label}: the {kind} was never fitted (thresholds is None)")
    if not isinstance(t, torch.Tensor) or t.ndim == 0 or t.shape[-1] != state["num_bits"]:
        raise GatecompError(f"{label}: {kind} thresholds are not a (..., num_bits="
                            f"{state['num_bits']}) tensor")
    return kind, t


def read_encoder(obj: object, label: str, bits_width: int) -> Encoder:
    """The encoder whose flattened output is the first LUT layer's ``bits_width`` bits."""
    kind, t = _thresholds_of(obj, label)
    if t.dtype not in EXACT:
        raise GatecompError(f"{label}: thresholds of dtype {t.dtype} (integer features would "
                            "be rounded when compared); gatecomp reads float32/64 or integers")
    rows = t.detach().reshape(-1, t.shape[-1]).double().numpy()
    if not np.isfinite(rows).all():
        raise GatecompError(f"{label}: thresholds hold NaN or infinity")
    per = rows.shape[1]
    features = rows.shape[0] if rows.shape[0] > 1 else bits_width // per
    if features * per != bits_width:
        raise GatecompError(f"{label}: the encoder gives {features} x {per} bits, the model's "
                            f"first LUTLayer reads {bits_width}")
    return Encoder(kind, rows, features, label, obj)


def constants(enc: Encoder) -> np.ndarray:
    """(features * T,) ``floor(t) + 1``: for an integer ``x``, ``x > t`` iff ``x >= it``."""
    full = np.broadcast_to(enc.thresholds, (enc.features, enc.num_bits))
    return (np.floor(full) + 1).reshape(-1)


def comparators(enc: Encoder, bits: int | None, label: str) -> Comparators:
    """The comparators over ``bits``-bit features (None: the smallest width holding every
    constant)."""
    const = constants(enc)
    top = int(max(const.max(), 1))
    need = top.bit_length()
    if bits is None:
        if need > MAX_BITS:
            raise GatecompError(f"{label}: a threshold of {top - 1} needs {need}-bit features; "
                                f"give --input-bits N (N <= {MAX_BITS}) for the width the "
                                "features have")
        bits = need
    if not 1 <= bits <= MAX_BITS:
        raise GatecompError(f"{label}: --input-bits {bits}: features must be 1..{MAX_BITS}-bit "
                            "integers (exact in torch's float32 comparison)")
    clipped = np.clip(const, 0, 1 << bits).astype(np.int64)
    feature = np.repeat(np.arange(enc.features, dtype=np.int64), enc.num_bits)
    return Comparators(enc.features, bits, feature, clipped)
