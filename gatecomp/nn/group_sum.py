"""``GroupSum``: the class scores of a DLGN, per-class sums of contiguous output blocks.

The last logic layer's ``N`` outputs are split into ``k`` contiguous blocks of ``N // k`` bits;
class ``c`` scores ``sum(block c) / tau``. ``tau`` only scales the scores for the training loss:
the hardware keeps the integer counts (popcounts), and the prediction is their argmax with the
first index winning ties (``torch.argmax``'s rule), which ``tau > 0`` does not change.
"""

from __future__ import annotations

import torch
from torch import nn


class GroupSum(nn.Module):
    """Sum ``k`` contiguous blocks of the last dimension and divide by ``tau``."""

    def __init__(self, k: int, tau: float = 1.0):
        super().__init__()
        if int(k) < 1:
            raise ValueError(f"k must be positive, got {k}")
        if not float(tau) > 0:
            raise ValueError(f"tau must be positive, got {tau}")
        self.k = int(k)
        self.tau = float(tau)

    def counts(self, x: torch.Tensor) -> torch.Tensor:
        """Per-class block sums (before dividing by ``tau``)."""
        if x.shape[-1] % self.k:
            raise ValueError(f"width {x.shape[-1]} is not a multiple of k={self.k}")
        return x.reshape(*x.shape[:-1], self.k, x.shape[-1] // self.k).sum(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.counts(x) / self.tau

    def extra_repr(self) -> str:
        return f"k={self.k}, tau={self.tau}"
