"""gatecomp's own checkpoints: plain dicts of tensors, readable with weights_only=True.

One writer and one sniffing reader for every format (``gatecomp.dlgn``, ``.bnn``, ``.qnn``), and
the encoded dataset split a checkpoint records.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path

import numpy as np
import torch

from ..errors import GatecompError, UnknownFormatError

#: a file pickled with a newer protocol is still read (or refused) as a whole: the warning
#: torch prints first would make the one-line error two
warnings.filterwarnings("ignore", message="Detected pickle protocol", category=UserWarning)

#: the global a weights-only load refused, in both of torch's wordings
UNSUPPORTED_GLOBAL = re.compile(r"[Uu]nsupported (?:global: )?GLOBAL (\S+)")


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


def refused_global(exc: BaseException) -> str | None:
    """The ``module.name`` a weights-only load refused to unpickle, or None."""
    m = UNSUPPORTED_GLOBAL.search(str(exc))
    return m.group(1) if m else None


def load_failure(path: Path, exc: BaseException) -> str:
    """Why ``torch.load`` could not read ``path``, in words (torch's own are a paragraph about
    ``weights_only`` or a bare ``EOFError``)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as err:
        return f"cannot read it ({err.strerror})"
    if size == 0:
        return "empty file (0 bytes)"
    if magic == b"PK\x03\x04" and not zipfile.is_zipfile(path):
        return f"truncated torch.save archive ({size:,} bytes; the end of the zip is missing)"
    text = str(exc)
    if "Unsupported operand" in text or "WeightsUnpickler error" in text:
        return "its pickle is corrupt or holds code a weights-only load refuses"
    if isinstance(exc, (EOFError, zipfile.BadZipFile)) or "zip archive" in text:
        return f"truncated or corrupt ({type(exc).__name__})"
    if magic[:1] != b"\x80" and magic != b"PK\x03\x04":
        return "neither a torch.save archive nor a pickle"
    first = text.strip().splitlines()[0][:160] if text.strip() else type(exc).__name__
    return f"corrupt ({type(exc).__name__}: {first})"


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
