"""Small torchlogix 0.2.2 models built with torchlogix's own classes, and torchlogix's own eval
forward on them, computed here independently of gatecomp (no gatecomp reading or stand-ins).

Every builder returns ``(model, features)``: the module in eval mode with random weights
(``randn`` on every parameter, so every gate type occurs), and a function drawing ``n`` inputs
for the model's forward. :func:`torchlogix_classes` is the independent reference: the GroupSum's
0/1 inputs summed per class (a forward hook), and ``argmax`` of the model's scores.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from gatecomp.aig import simulate
from gatecomp.frontends.dlgn.torchlogix_import import import_torchlogix

assert import_torchlogix() is not None, "torchlogix 0.2.2 is not installed: run `make setup`"

from torchlogix.layers import (  # noqa: E402 - entered through import_torchlogix above
    FixedBinarization,
    GroupSum,
    LearnableBinarization,
    LogicConv2d,
    LogicConv3d,
    LogicConvTranspose2d,
    LogicDense,
    OrPooling2d,
    OrPooling3d,
)
from torchlogix.modules.resblock import ResidualLogicBlock  # noqa: E402

Features = Callable[[np.random.Generator, int], torch.Tensor]


def randomize(model: nn.Module, seed: int, scale: float = 1.0) -> nn.Module:
    """Every parameter drawn from N(0, scale^2) (varied gates), the model in eval mode."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype) * scale)
    return model.eval()


def cifar10_small() -> nn.Module:
    """torchlogix's zoo ``ClgnCifar10Small`` (about 0.9 M gates), fixed 3-level thresholds,
    wiring and weights from ``torch.manual_seed(0)`` (no CIFAR data offline), in eval mode."""
    import torchlogix.models as zoo

    torch.manual_seed(0)
    model = zoo.ClgnCifar10Small(thresholds=torch.tensor([[0.25, 0.5, 0.75]] * 3),
                                 binarization="fixed", binarization_kwargs={},
                                 connections_kwargs={})
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p))
    return model.eval()


def bits_of(shape: tuple[int, ...]) -> Features:
    """Random 0/1 float inputs of ``shape`` (without batch)."""
    return lambda rng, n: torch.from_numpy(rng.integers(0, 2, (n, *shape)).astype(np.float32))


def normal_of(shape: tuple[int, ...]) -> Features:
    """Real-valued features for a model that starts with a binarization."""
    return lambda rng, n: torch.from_numpy(rng.normal(size=(n, *shape)).astype(np.float32))


def _dense(*widths: int, k: int = 3, tau: float = 1.0, beta: float = 0.0, **kw) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Flatten()]
    for a, b in zip(widths, widths[1:], strict=False):
        layers.append(LogicDense(a, b, **kw))
    return nn.Sequential(*layers, GroupSum(k, tau=tau, beta=beta))


def dense(parametrization: str, rank: int = 2, **kw):
    widths = (40, 60, 30) if rank == 2 else (40, 24, 12)
    return (_dense(*widths, lut_rank=rank, parametrization=parametrization, **kw),
            bits_of((widths[0],)))


def conv2d(tree_depth: int, *, stride: int = 1, padding: int = 0, channels: int = 1,
           group: int | None = None, lut_rank: int = 2, parametrization: str = "raw",
           field: int = 3, dims: tuple[int, int] = (7, 6)):
    conn = {"channel_group_size": group} if group else None
    conv = LogicConv2d(in_dim=dims, channels=channels, num_kernels=4, tree_depth=tree_depth,
                       receptive_field_size=field, stride=stride, padding=padding,
                       lut_rank=lut_rank, parametrization=parametrization,
                       connections_kwargs=conn)
    width = 4 * conv.n_kernel_positions
    out = -(-width // 8) * 4  # out * 2 >= width, a multiple of the 4 classes
    model = nn.Sequential(conv, nn.Flatten(), LogicDense(width, out), GroupSum(4, tau=2.5))
    return model, bits_of((channels, *dims))


def conv3d():
    model = nn.Sequential(
        LogicConv3d(in_dim=(4, 5, 4), channels=2, num_kernels=3, tree_depth=2,
                    receptive_field_size=2, padding=1),
        OrPooling3d(kernel_size=2, stride=2),
        nn.Flatten(), LogicDense(3 * 2 * 3 * 2, 18), GroupSum(3))
    return model, bits_of((2, 4, 5, 4))


def conv_transpose2d():
    t = LogicConvTranspose2d(in_dim=(3, 4), channels=2, num_kernels=2, tree_depth=2,
                             receptive_field_size=3, stride=2, output_padding=1)
    model = nn.Sequential(t, nn.Flatten(), LogicDense(2 * 8 * 10, 80), GroupSum(4))
    return model, bits_of((2, 3, 4))


def or_pool2d_padded():
    model = nn.Sequential(
        LogicConv2d(in_dim=(7, 6), channels=1, num_kernels=3, tree_depth=2,
                    receptive_field_size=3, padding=1),
        OrPooling2d(kernel_size=3, stride=2, padding=1),
        nn.Flatten(), LogicDense(3 * 4 * 3, 24), GroupSum(4, tau=0.75, beta=-2.0))
    return model, bits_of((1, 7, 6))


def residual():
    model = nn.Sequential(
        ResidualLogicBlock(in_dim=(6, 5), in_channels=2, out_channels=2, tree_depth=2,
                           receptive_field_size=3, padding=1),
        nn.Flatten(), LogicDense(60, 40), GroupSum(4))
    return model, bits_of((2, 6, 5))


def group_sum_scaled():
    return _dense(40, 60, 30, k=5, tau=7.3, beta=3.5), bits_of((40,))


def fixed_binarization():
    """Per-feature thresholds, 3 bits each (features merged: feature-major, bit-minor)."""
    th = torch.sort(torch.randn(12, 3, generator=torch.Generator().manual_seed(5)), 1).values
    model = nn.Sequential(FixedBinarization(th), LogicDense(36, 30), LogicDense(30, 24),
                          GroupSum(4))
    return model, normal_of((12,))


def learnable_binarization():
    """Channel-wise thresholds in front of a convolution (2 channels x 2 bits -> 4 channels)."""
    th = torch.tensor([[-0.5, 0.3], [0.0, 0.8]])
    model = nn.Sequential(LearnableBinarization(th, feature_dim=1),
                          LogicConv2d(in_dim=(5, 5), channels=4, num_kernels=4, tree_depth=2,
                                      receptive_field_size=3, padding=1),
                          nn.Flatten(), LogicDense(100, 60), GroupSum(3))
    return model, normal_of((2, 5, 5))


def zoo_clgn_mnist_tiny():
    import torchlogix.models as zoo

    model = zoo.ClgnMnistTiny(thresholds=torch.tensor([0.5]), binarization="dummy",
                              binarization_kwargs={})
    return model, bits_of((1, 28, 28))


#: name -> builder; every model gets ``randomize(model, seed)``
CASES: dict[str, Callable[[], tuple[nn.Module, Features]]] = {
    "dense_raw2": lambda: dense("raw"),
    "dense_light2": lambda: dense("light"),
    "dense_warp2": lambda: dense("warp"),
    "dense_light4": lambda: dense("light", 4),
    "dense_warp4": lambda: dense("warp", 4),
    "dense_light6": lambda: dense("light", 6),
    "dense_warp6": lambda: dense("warp", 6),
    "dense_warp6_learnable": lambda: dense("warp", 6, connections="learnable",
                                           connections_kwargs={"num_candidates": 4}),
    "dense_light2_learnable": lambda: dense("light", connections="learnable",
                                            connections_kwargs={"num_candidates": 3}),
    "conv2d_depth1_padding": lambda: conv2d(1, padding=1),
    "conv2d_depth2_stride2": lambda: conv2d(2, stride=2, padding=1),
    "conv2d_depth3_groups": lambda: conv2d(3, channels=4, group=2, padding=1),
    "conv2d_warp4": lambda: conv2d(2, lut_rank=4, parametrization="warp", channels=2),
    "conv2d_light4_stride2": lambda: conv2d(2, lut_rank=4, parametrization="light", stride=2,
                                            field=4, padding=1),
    "conv3d_orpool3d": conv3d,
    "conv_transpose2d_stride2_outpad1": conv_transpose2d,
    "orpool2d_padding": or_pool2d_padded,
    "residual_block": residual,
    "groupsum_tau_beta": group_sum_scaled,
    "fixed_binarization": fixed_binarization,
    "learnable_binarization": learnable_binarization,
    "zoo_ClgnMnistTiny": zoo_clgn_mnist_tiny,
}


def build(name: str, seed: int = 0) -> tuple[nn.Module, Features]:
    torch.manual_seed(seed)  # the wiring torchlogix draws
    model, features = CASES[name]()
    return randomize(model, seed + 1), features


def _group_sum(model: nn.Module) -> nn.Module:
    return [m for m in model.modules() if isinstance(m, GroupSum)][-1]


def torchlogix_classes(model: nn.Module, x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """torchlogix's own eval forward on ``x``: (samples, k) counts, (samples,) argmax class."""
    model.eval()
    seen: list[torch.Tensor] = []
    gs = _group_sum(model)
    hook = gs.register_forward_hook(lambda _m, inputs, _out: seen.append(inputs[0].detach()))
    try:
        with torch.no_grad():
            scores = model(x)
    finally:
        hook.remove()
    g = seen[0]
    assert bool(((g == 0) | (g == 1)).all()), "GroupSum input is not 0/1"
    counts = g.reshape(len(x), gs.k, -1).sum(-1)
    return counts.numpy().astype(np.int64), torch.argmax(scores, dim=1).numpy()


def circuit_bits(model: nn.Module, x: torch.Tensor) -> np.ndarray:
    """What the circuit takes for ``x``: the input bits, or the leading binarization's output
    bits (torchlogix's own binarization layer run on ``x``), flattened C-order."""
    first = next(iter(model.children()))
    if "Binarization" in type(first).__name__:
        with torch.no_grad():
            x = first.eval()(x)
    assert bool(((x == 0) | (x == 1)).all())
    return x.reshape(len(x), -1).numpy().astype(np.uint8)


def simulate_net(logic_net, bits: np.ndarray) -> dict[str, np.ndarray]:
    """A LogicNet's output words on (samples, width) 0/1 inputs."""
    return logic_net.output_words(simulate(logic_net.aig, np.asarray(bits, dtype=np.uint8)))


def counts_of(words: dict[str, np.ndarray], k: int) -> np.ndarray:
    return np.stack([np.asarray(words[f"count{c}"]) for c in range(k)], axis=1)
