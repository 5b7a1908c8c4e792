"""Small random Brevitas BNNs (binary activations, binary weights, batch norms with ties)."""

from __future__ import annotations

import torch
from torch import nn


def random_brevitas_bnn(widths: list[int], in_dim: int, k: int, seed: int = 0,
                        weight_scale: float = 0.1) -> nn.Sequential:
    """``QuantIdentity`` + (``QuantLinear`` + ``BatchNorm1d`` + ``QuantIdentity``)* +
    ``QuantLinear``, all binary, with random batch-norm statistics (some exactly on ties)."""
    import brevitas.nn as qnn
    from brevitas.quant.binary import (
        SignedBinaryActPerTensorConst,
        SignedBinaryWeightPerTensorConst,
    )

    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)

    def act():
        return qnn.QuantIdentity(act_quant=SignedBinaryActPerTensorConst)

    def lin(i, o):
        layer = qnn.QuantLinear(i, o, bias=False, weight_quant=SignedBinaryWeightPerTensorConst)
        layer.weight_quant.tensor_quant.scaling_impl.value.value = torch.tensor(weight_scale)
        return layer

    mods: list[nn.Module] = [act()]
    d = in_dim
    for w in widths:
        bn = nn.BatchNorm1d(w)
        with torch.no_grad():
            bn.weight.copy_(torch.randn(w, generator=g))
            bn.bias.copy_(torch.randn(w, generator=g) * 0.3)
            bn.running_mean.copy_(torch.randn(w, generator=g) * weight_scale * d ** 0.5)
            bn.running_var.copy_(torch.rand(w, generator=g) * weight_scale ** 2 * d + 1e-3)
            tie = torch.rand(w, generator=g) < 0.3
            bn.bias[tie] = 0.0
            reach = (2 * torch.randint(0, d + 1, (w,), generator=g) - d) * weight_scale
            bn.running_mean[tie] = reach[tie].to(bn.running_mean.dtype)
        mods += [lin(d, w), bn, act()]
        d = w
    mods.append(lin(d, k))
    return nn.Sequential(*mods).eval()
