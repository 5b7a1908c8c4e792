"""Test vectors for a compile: a user file, the checkpoint's held-out set, or random inputs.

The same vectors drive every tier (IR simulation, cocotb RTL, synthesized netlist), so they are
chosen once here and stored in the build directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import GatecompError

RANDOM_VECTORS = 1000


@dataclass
class Vectors:
    """Input bits (samples, input width), optional labels, and where they came from."""

    bits: np.ndarray
    labels: np.ndarray | None
    description: str


def model_vectors(frontend, model, inputs: Path | None = None,
                  limit: int | None = None) -> Vectors:
    """Pick the vectors for ``model`` (loaded by ``frontend``; it has an ``input_width``)."""
    held_out = None if inputs is not None else frontend.dataset_vectors(model, "test")
    if inputs is not None:
        vec = Vectors(_load_inputs(Path(inputs), model.input_width), None, f"user ({inputs.name})")
    elif held_out is not None:
        vec = Vectors(held_out[0], held_out[1], "held-out test")
    else:
        rng = np.random.default_rng(0)
        bits = rng.integers(0, 2, size=(RANDOM_VECTORS, model.input_width)).astype(bool)
        vec = Vectors(bits, None, "random")
    if limit is not None:
        vec = Vectors(vec.bits[:limit], None if vec.labels is None else vec.labels[:limit],
                      vec.description)
    return vec


def _load_inputs(path: Path, width: int) -> np.ndarray:
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise GatecompError(f"cannot read input vectors {path}: {exc}") from None
    if arr.ndim != 2 or arr.shape[1] != width:
        raise GatecompError(f"input vectors {path} have shape {arr.shape}; expected "
                            f"(samples, {width})")
    if arr.dtype != bool and not np.isin(arr, (0, 1)).all():
        raise GatecompError(f"input vectors {path} must be 0/1 or boolean")
    if len(arr) == 0:
        raise GatecompError(f"input vectors {path} are empty")
    return arr.astype(bool)
