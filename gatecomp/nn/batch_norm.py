"""The eval-mode batch norm as an affine map, the one both foldable layer kinds fold."""

from __future__ import annotations

import torch
from torch import nn


def eval_affine(bn: nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor]:
    """float64 ``(a, shift)`` per feature with ``bn(y) = a * y + shift`` in eval mode:
    ``a = gamma / sqrt(var + eps)``, ``shift = beta - a * mean`` (gamma 1, beta 0 without
    affine). Call it under ``torch.no_grad()``."""
    inv = 1.0 / torch.sqrt(bn.running_var.double() + bn.eps)
    gamma = bn.weight.double() if bn.affine else torch.ones_like(inv)
    beta = bn.bias.double() if bn.affine else torch.zeros_like(inv)
    a = gamma * inv
    return a, beta - a * bn.running_mean.double()
