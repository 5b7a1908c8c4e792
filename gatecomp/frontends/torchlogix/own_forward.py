"""torchlogix's own eval forward on the check vectors: what compile holds the circuit to.

Independent of gatecomp's reading (:mod:`.read`): the model runs through torchlogix 0.2.2's
layer code. A pickled file is loaded a second time with torchlogix's real classes allow-listed
(still ``weights_only=True``); a module given in memory or built from a state_dict is used as
it is. Counts are the sums of the GroupSum's 0/1 inputs (captured by a hook, integers), the
class is ``argmax`` of the model's float scores (torch's first-index rule). When the circuit
starts after the model's binarization layer, a hook puts the check bits in place of that
layer's output, so every layer after it is still torchlogix's.
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..dlgn.torchlogix_import import import_torchlogix, not_installed_reason, torchlogix_version
from ..reference import OwnForward, input_bits, reading_only
from .load import load_file_with
from .network import Network
from .standins import STAND_INS, TORCH_CLASSES, short_name


def own_forward(net: Network, x_bits: np.ndarray) -> OwnForward:
    version = torchlogix_version()
    if version is None:
        return reading_only(not_installed_reason())
    module = _real_module(net)
    x = input_bits(x_bits, net.input_width)
    how = {"torchlogix.pickle": "the pickled model reloaded with torchlogix's classes",
           "torchlogix.state_dict": f"{net.arch.get('model')} built by torchlogix, state_dict "
                                    "loaded with strict=True",
           "module": "the module given"}.get(net.format, net.format)
    return OwnForward(f"torchlogix {version} eval forward ({how})", run(module, net, x))


def _real_module(net: Network) -> nn.Module:
    origin = net.origin
    if net.format == "torchlogix.pickle":
        import_torchlogix()
        return load_file_with(Path(net.source), _real_class)
    return origin


def _real_class(name: str) -> type | None:
    module, _, cls = name.rpartition(".")
    if name not in STAND_INS and not module.startswith("torchlogix.models"):
        return None
    return getattr(importlib.import_module(module), cls, None)


def real_safe_globals() -> list:
    """torchlogix's own classes (and torch's containers) for a second, real load."""
    return [*TORCH_CLASSES, *(c for c in map(_real_class, STAND_INS) if c is not None)]


def _leading_binarization(module: nn.Module) -> nn.Module | None:
    for m in module.modules():
        if short_name(m).endswith("Binarization"):
            return m
        if short_name(m).startswith(("LogicDense", "LogicConv")):
            return None
    return None


def _group_sum(module: nn.Module) -> nn.Module:
    return [m for m in module.modules() if short_name(m) == "GroupSum"][-1]


def run(module: nn.Module, net: Network, x: np.ndarray) -> dict[str, np.ndarray]:
    """Counts and class of ``module``'s eval forward on the circuit's input bits ``x``."""
    modes = {m: m.training for m in module.modules()}
    module.eval()
    binarize = _leading_binarization(module) \
        if net.binarization is not None and net.comparators is None else None
    captured: list[torch.Tensor] = []
    hooks = [_group_sum(module).register_forward_hook(
        lambda _m, inputs, _out: captured.append(inputs[0].detach()))]
    try:
        preds = []
        with torch.no_grad():
            for at in range(0, len(x), 1024):
                bits = torch.from_numpy(x[at:at + 1024].astype(np.float32))
                if net.comparators is not None:
                    scores = module(_features(net, x[at:at + 1024]))
                elif binarize is None:
                    scores = module(bits.reshape(len(bits), *net.input_shape))
                else:
                    hooks.append(binarize.register_forward_hook(
                        lambda _m, _i, out, b=bits: b.reshape(out.shape)))
                    scores = module(_dummy_features(net, len(bits)))
                    hooks.pop().remove()
                preds.append(torch.argmax(scores, dim=1))
    finally:
        for h in hooks:
            h.remove()
        for m, mode in modes.items():
            m.training = mode
    sums = torch.cat(captured).reshape(len(x), net.num_classes, -1).sum(-1) if len(x) else \
        torch.zeros(0, net.num_classes)
    result = {f"count{c}": sums[:, c].numpy().astype(np.int64) for c in range(net.num_classes)}
    result["pred"] = torch.cat(preds).numpy().astype(np.int64) if preds else \
        np.zeros(0, np.int64)
    return result


def _features(net: Network, x: np.ndarray) -> torch.Tensor:
    """The circuit's input words as the float feature tensor the model takes."""
    c = net.comparators
    weights = 1 << np.arange(c.bits, dtype=np.int64)
    values = x.reshape(len(x), c.features, c.bits).astype(np.int64) @ weights
    return torch.from_numpy(values.astype(np.float32)).reshape(len(x), *c.feature_shape)


def _dummy_features(net: Network, n: int) -> torch.Tensor:
    """Zeros shaped like the features the binarization compares (its output is replaced)."""
    b = net.binarization
    bits_per = b.thresholds.shape[-1]
    shape = list(b.bits_shape)
    dim = b.feature_dim - 1 if b.feature_dim > 0 else len(shape) + b.feature_dim + 1
    if len(shape) == 1:
        shape = [shape[0] // bits_per]
    else:
        shape[dim] //= bits_per
    return torch.zeros(n, *shape) if math.prod(shape) else torch.zeros(n, 1)
