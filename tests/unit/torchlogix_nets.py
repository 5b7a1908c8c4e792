"""Small torchlogix 0.2.2 models, built with torchlogix's own layers (installed by `make`)."""

from __future__ import annotations

import torch
from torch import nn

from gatecomp.frontends.dlgn.torchlogix_import import import_torchlogix

IN_DIM, K = 48, 4


def torchlogix():
    """The torchlogix package; the suite requires it (the Makefile installs it --no-deps)."""
    tlx = import_torchlogix()
    assert tlx is not None, "torchlogix 0.2.2 is not installed: run `make setup`"
    return tlx


def dense_model(parametrization: str = "raw", widths=(80, 60), seed: int = 0,
                connections: str = "fixed") -> nn.Sequential:
    """Flatten + LogicDense layers (random weights: every gate type occurs) + GroupSum."""
    tlx = torchlogix()
    torch.manual_seed(seed)
    layers, width = [nn.Flatten()], IN_DIM
    for out in widths:
        layers.append(tlx.layers.LogicDense(
            width, out, parametrization=parametrization, connections=connections,
            parametrization_kwargs={"weight_init": "random"}))
        width = out
    return nn.Sequential(*layers, tlx.layers.GroupSum(K, tau=2.0)).eval()


def conv_model(seed: int = 0) -> nn.Sequential:
    """LogicConv2d + OrPooling2d in front of two LogicDense layers (6x8 one-channel images)."""
    tlx = torchlogix()
    torch.manual_seed(seed)
    return nn.Sequential(
        tlx.layers.LogicConv2d(in_dim=(6, 8), channels=1, num_kernels=4, tree_depth=2,
                               receptive_field_size=3, padding=1),
        tlx.layers.OrPooling2d(kernel_size=2, stride=2),
        nn.Flatten(),
        tlx.layers.LogicDense(48, 40), tlx.layers.LogicDense(40, 20),
        tlx.layers.GroupSum(K)).eval()


def residual_model(seed: int = 0) -> nn.Sequential:
    """A ResidualLogicBlock (2 channels of 6x8) in front of a LogicDense layer."""
    tlx = torchlogix()
    torch.manual_seed(seed)
    return nn.Sequential(
        tlx.modules.ResidualLogicBlock(in_dim=(6, 8), in_channels=2, out_channels=2,
                                       tree_depth=2, receptive_field_size=3, padding=1),
        nn.Flatten(), tlx.layers.LogicDense(96, 48), tlx.layers.GroupSum(K)).eval()


def forward_bits(model: nn.Module, bits) -> torch.Tensor:
    """torchlogix's eval forward on 0/1 vectors: (samples, K) class scores."""
    with torch.no_grad():
        return model(torch.as_tensor(bits, dtype=torch.float32))
