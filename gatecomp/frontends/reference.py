"""What every frontend's PyTorch reference shares: input-bit checks and class-output words.

The hardware is checked port by port against these dicts, so the DLGN, BNN and QNN references
validate their input vectors, evaluate in chunks and name their outputs the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..errors import GatecompError


def input_bits(x_bits: np.ndarray, width: int) -> np.ndarray:
    """``x_bits`` as an array after checking it is (samples, ``width``) of 0/1 values."""
    x = np.asarray(x_bits)
    if x.ndim != 2 or x.shape[1] != width:
        raise GatecompError(f"input vectors have shape {x.shape}, expected (samples, {width})")
    if x.dtype != bool and not np.isin(x, (0, 1)).all():
        raise GatecompError("input vectors must be 0/1 (binarised) values")
    return x


def integer_forward(module: nn.Module, x: np.ndarray, outputs: int,
                    chunk: int = 4096) -> np.ndarray:
    """(samples, ``outputs``) int64 of an integer-only module on int64 ``x``, in chunks."""
    out = np.empty((len(x), outputs), dtype=np.int64)
    with torch.no_grad():
        for at in range(0, len(x), chunk):
            out[at:at + chunk] = module(torch.from_numpy(x[at:at + chunk])).numpy()
    return out


def class_words(values: np.ndarray, prefix: str, ranking: np.ndarray | None = None
                ) -> dict[str, np.ndarray]:
    """``{prefix}0..`` per class column of ``values`` and ``pred``: the first-index argmax of
    ``ranking`` (default ``values``), ``torch.argmax``'s rule."""
    rank = values if ranking is None else ranking
    result = {f"{prefix}{c}": values[:, c].copy() for c in range(values.shape[1])}
    result["pred"] = (torch.argmax(torch.from_numpy(rank), dim=1).numpy().astype(np.int64)
                      if len(rank) else np.zeros(0, dtype=np.int64))
    return result


@dataclass(frozen=True)
class OwnForward:
    """The model's own eval-mode forward on the check vectors, or why it could not run.

    ``outputs`` holds the same words as a frontend's ``reference`` (class words and ``pred``)
    computed by the model's library code, independently of gatecomp's reading of the weights;
    ``None`` when that code cannot run here, and then ``name`` says so and the compile's
    check is against gatecomp's reading only.
    """

    name: str
    outputs: dict[str, np.ndarray] | None = None

    @property
    def independent(self) -> bool:
        return self.outputs is not None


def reading_only(why: str) -> OwnForward:
    """An :class:`OwnForward` that did not run: the check is against gatecomp's reading."""
    return OwnForward(f"gatecomp's reading of the model only ({why})")
