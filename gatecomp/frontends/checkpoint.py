"""gatecomp's own checkpoints: plain dicts of tensors, readable with weights_only=True.

One writer and one sniffing reader for every format (``gatecomp.dlgn``, ``.bnn``, ``.qnn``), and
the encoded dataset split a checkpoint records.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..errors import GatecompError, UnknownFormatError


def save_checkpoint(path: str | Path, checkpoint: dict) -> Path:
    """``torch.save`` ``checkpoint`` to ``path``, creating its folder; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, path)
    return path


def model_file(path: str | Path) -> Path:
    """``path`` as a Path, after refusing one that does not exist or is not a file."""
    path = Path(path)
    if not path.exists():
        raise GatecompError(f"model file not found: {path}")
    if not path.is_file():
        raise GatecompError(f"model path is not a file: {path}")
    return path


def read_checkpoint(path: str | Path, fmt: str) -> dict:
    """Load ``path`` if it is a checkpoint dict with ``"format": fmt``, else UnknownFormatError.

    The sniff is cheap for other formats: tensors are memory-mapped, and pickled modules stop
    at their first non-allow-listed global.
    """
    path = Path(path)
    if not path.is_file():
        raise UnknownFormatError(f"{path}: not a file")  # the next frontend words the error
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception:  # noqa: BLE001 - not ours (or corrupt): let the next frontend say which
        raise UnknownFormatError(f"{path}: not a {fmt} checkpoint") from None
    if not isinstance(obj, dict) or obj.get("format") != fmt:
        raise UnknownFormatError(f"{path}: not a {fmt} checkpoint")
    return obj


def split_vectors(encoding, dataset: dict | None, split: str, source: str
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """(bits, labels) of a recorded dataset split through the input encoding (None: none)."""
    from ..nn import load_split

    if encoding is None or not dataset:
        return None
    if split not in ("train", "test"):
        raise GatecompError(f"unknown split {split!r} (train, test)")
    try:
        data = load_split(dataset)
    except ValueError as exc:
        raise GatecompError(f"{source}: {exc}") from None
    try:
        bits = encoding.encode(data[f"x_{split}"])
    except ValueError as exc:
        raise GatecompError(f"{source}: dataset does not fit the encoding: {exc}") from None
    return bits, data[f"y_{split}"]
