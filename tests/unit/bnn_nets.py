"""Small random binary networks for the BNN tests (batch norms with both signs, ties, zeros)."""

from __future__ import annotations

import torch
from torch import nn

from gatecomp.nn import BinaryLinear, BinaryScores


def random_bnn(widths: list[int], in_dim: int, k: int, seed: int = 0) -> nn.Sequential:
    """``BinaryLinear`` layers with random batch-norm statistics, then ``BinaryScores``.

    Scales are positive, negative and zero; some running means sit exactly on reachable
    pre-activations (``beta = 0``), so thresholds land on ties.
    """
    g = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    d = in_dim
    for i, w in enumerate(widths):
        layer = BinaryLinear(d, w, seed=seed * 100 + i)
        bn = layer.bn
        with torch.no_grad():
            bn.weight.copy_(torch.randn(w, generator=g))
            bn.weight[torch.rand(w, generator=g) < 0.1] = 0.0
            bn.bias.copy_(torch.randn(w, generator=g))
            bn.running_mean.copy_(torch.randn(w, generator=g) * d ** 0.5)
            bn.running_var.copy_(torch.rand(w, generator=g) * d + 0.1)
            tie = torch.rand(w, generator=g) < 0.3
            bn.bias[tie] = 0.0
            bn.running_mean[tie] = (2 * torch.randint(0, d + 1, (w,), generator=g) - d)[tie]\
                .to(bn.running_mean.dtype)
        layers.append(layer)
        d = w
    layers.append(BinaryScores(d, k, seed=seed * 100 + len(widths)))
    return nn.Sequential(*layers).eval()
