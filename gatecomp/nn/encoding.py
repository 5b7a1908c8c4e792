"""Input binarisation: thermometer coding of real-valued features into the DLGN's input bits.

A logic network reads bits. :class:`ThermometerEncoding` turns ``F`` features into ``F * T``
bits with ``T`` fixed, increasing thresholds: ``bit = feature > threshold``.

Bit order (feature-major): bit ``f * T + t`` is ``x[:, f] > thresholds[t]``, so the ``T`` bits
of feature 0 come first (a unary "thermometer": bit t set implies bits 0..t-1 set). The encoding
is stored in checkpoints as a plain dict (:meth:`ThermometerEncoding.to_dict`) so test vectors
can be re-created from the raw data without the training script.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Thresholds for scikit-learn's 8x8 digits (pixel values 0..16): three bits per pixel.
DIGITS_THRESHOLDS: tuple[float, ...] = (2.0, 6.0, 10.0)
DIGITS_FEATURES = 64


def _check_features(x: np.ndarray, num_features: int) -> None:
    """Raise ``ValueError`` unless ``x`` is (samples, ``num_features``)."""
    if x.ndim != 2 or x.shape[1] != num_features:
        raise ValueError(f"expected (samples, {num_features}) features, got {x.shape}")


def _check_type(data: object, kind: str) -> None:
    """Raise ``ValueError`` unless ``data`` is an encoding dict of type ``kind``."""
    if not isinstance(data, dict) or data.get("type") != kind:
        raise ValueError(f"encoding must be a dict with type {kind!r}")


@dataclass(frozen=True)
class ThermometerEncoding:
    """Fixed-threshold thermometer code of ``num_features`` features.

    Parameters
    ----------
    thresholds:
        Strictly increasing thresholds; bit ``t`` of a feature is ``value > thresholds[t]``.
    num_features:
        Number of input features ``F``; the code has ``F * len(thresholds)`` bits.
    """

    thresholds: tuple[float, ...]
    num_features: int

    def __post_init__(self) -> None:
        th = tuple(float(t) for t in self.thresholds)
        object.__setattr__(self, "thresholds", th)
        if not th or any(not np.isfinite(t) for t in th):
            raise ValueError("thermometer thresholds must be a non-empty list of finite numbers")
        if any(b <= a for a, b in zip(th, th[1:], strict=False)):
            raise ValueError(f"thermometer thresholds must increase strictly, got {list(th)}")
        if int(self.num_features) < 1:
            raise ValueError(f"num_features must be positive, got {self.num_features}")
        object.__setattr__(self, "num_features", int(self.num_features))

    @property
    def width(self) -> int:
        """Number of output bits ``num_features * len(thresholds)``."""
        return self.num_features * len(self.thresholds)

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Encode a (samples, num_features) array into (samples, width) bool, feature-major."""
        x = np.asarray(x, dtype=np.float64)
        _check_features(x, self.num_features)
        bits = x[:, :, None] > np.asarray(self.thresholds)[None, None, :]
        return bits.reshape(x.shape[0], self.width)

    def to_dict(self) -> dict:
        """Plain-data form stored in checkpoints."""
        return {"type": "thermometer", "thresholds": list(self.thresholds),
                "num_features": self.num_features, "bit_order": "feature-major",
                "width": self.width}

    @classmethod
    def from_dict(cls, data: dict) -> ThermometerEncoding:
        """Inverse of :meth:`to_dict`; raises ``ValueError`` on malformed data."""
        _check_type(data, "thermometer")
        if data.get("bit_order", "feature-major") != "feature-major":
            raise ValueError(f"unsupported encoding bit order {data.get('bit_order')!r}")
        try:
            enc = cls(tuple(data["thresholds"]), int(data["num_features"]))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed thermometer encoding: {exc}") from None
        if "width" in data and int(data["width"]) != enc.width:
            raise ValueError(f"encoding width {data['width']} does not match "
                             f"{enc.num_features} features x {len(enc.thresholds)} thresholds")
        return enc


@dataclass(frozen=True)
class UniformEncoding:
    """Uniform k-bit quantization of real features into unsigned codes (a quantized input layer).

    ``code = clamp(round_half_even(x * prescale / scale) + zero_point, 0, 2**bits - 1)``,
    evaluated in float32 like the PyTorch/Brevitas quantizer it mirrors (a signed quantizer is a
    ``zero_point`` of ``2**(bits-1)``: the hardware reads offset-binary codes). Each feature's
    code takes ``bits`` consecutive input bits, LSB first, feature-major.
    """

    bits: int
    scale: float
    num_features: int
    zero_point: int = 0
    prescale: float = 1.0

    def __post_init__(self) -> None:
        if int(self.bits) < 1 or int(self.num_features) < 1:
            raise ValueError("bits and num_features must be positive")
        if not (np.isfinite(self.scale) and self.scale > 0 and np.isfinite(self.prescale)):
            raise ValueError(f"scale must be positive and finite, got {self.scale}")
        for name in ("bits", "num_features", "zero_point"):
            object.__setattr__(self, name, int(getattr(self, name)))
        for name in ("scale", "prescale"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def width(self) -> int:
        return self.num_features * self.bits

    def codes(self, x: np.ndarray) -> np.ndarray:
        """(samples, num_features) int64 codes of raw features."""
        x = np.asarray(x)
        _check_features(x, self.num_features)
        v = (x.astype(np.float32) * np.float32(self.prescale)) / np.float32(self.scale)
        q = np.round(v).astype(np.int64) + self.zero_point
        return np.clip(q, 0, (1 << self.bits) - 1)

    def encode(self, x: np.ndarray) -> np.ndarray:
        """(samples, width) bool: each feature's code, LSB first, feature-major."""
        c = self.codes(x)
        bits = (c[:, :, None] >> np.arange(self.bits)[None, None, :]) & 1
        return bits.reshape(c.shape[0], self.width).astype(bool)

    def to_dict(self) -> dict:
        return {"type": "uniform", "bits": self.bits, "scale": self.scale,
                "zero_point": self.zero_point, "prescale": self.prescale,
                "num_features": self.num_features, "bit_order": "feature-major-lsb-first",
                "width": self.width}

    @classmethod
    def from_dict(cls, data: dict) -> UniformEncoding:
        _check_type(data, "uniform")
        try:
            return cls(int(data["bits"]), float(data["scale"]), int(data["num_features"]),
                       int(data.get("zero_point", 0)), float(data.get("prescale", 1.0)))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed uniform encoding: {exc}") from None


def encoding_from_dict(data: dict) -> ThermometerEncoding | UniformEncoding:
    """The encoding a checkpoint's ``encoding`` dict describes (by its ``type``)."""
    kinds = {"thermometer": ThermometerEncoding, "uniform": UniformEncoding}
    kind = data.get("type") if isinstance(data, dict) else None
    if kind not in kinds:
        raise ValueError(f"unknown input encoding type {kind!r} (known: {', '.join(kinds)})")
    return kinds[kind].from_dict(data)


def digits_encoding(thresholds: tuple[float, ...] = DIGITS_THRESHOLDS) -> ThermometerEncoding:
    """The thermometer code used for the bundled 8x8 digits model."""
    return ThermometerEncoding(tuple(thresholds), DIGITS_FEATURES)
