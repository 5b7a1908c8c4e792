"""The DLGN's own forward: the model's library code, run on the check vectors.

gatecomp's reference (:func:`gatecomp.frontends.dlgn.reference_outputs`) is its own rebuild of
the network from what the reader understood; a misread checkpoint passes a check against it.
This module runs, independently of that reading, the code the model was trained with:

* a module given in memory or unpickled: the module itself, in eval mode;
* a torchlogix state_dict: torchlogix's ``LogicDense`` layers built from the state_dict with
  ``load_state_dict(strict=True)`` (so torchlogix, too, must consume every entry), where
  torchlogix is installed;
* a difflogic state_dict: difflogic's python forward (gatecomp's copy in
  :mod:`.difflogic_shim`: difflogic itself needs CUDA to install);
* our own checkpoints: their layers are :mod:`gatecomp.nn`, whose eval forward is the model's.
"""

from __future__ import annotations

import re

import numpy as np
import torch
from torch import nn

from ...errors import GatecompError
from ..reference import OwnForward, input_bits, reading_only
from . import difflogic_shim
from .model import DLGNModel
from .torchlogix_import import (
    import_torchlogix,
    load_strictly,
    not_installed_reason,
    torchlogix_version,
)


def own_forward(model: DLGNModel, x_bits: np.ndarray) -> OwnForward:
    """The model's own eval forward on ``x_bits`` as ``pred`` (and counts where exact)."""
    if model.origin is not None:
        name = ("difflogic's python forward (gatecomp's copy: difflogic needs CUDA to install) "
                "of the pickled modules" if model.format == "difflogic.pickle"
                else "the module's own eval forward")
        return OwnForward(name, _run(model.origin, model, x_bits))
    if model.format == "torchlogix.state_dict":
        return _torchlogix_forward(model, x_bits)
    if model.format == "difflogic.state_dict":
        return OwnForward("difflogic's python forward (gatecomp's copy: difflogic needs CUDA to "
                          "install)", _run(_difflogic_modules(model), model, x_bits))
    if model.format == "gatecomp.dlgn":
        return OwnForward("gatecomp.nn eval forward (the checkpoint's own layers)",
                          _run(model.module, model, x_bits))
    return reading_only(f"no library forward for {model.format}")


def _torchlogix_forward(model: DLGNModel, x_bits: np.ndarray) -> OwnForward:
    version = torchlogix_version()
    if version is None:
        return reading_only(not_installed_reason())
    rebuilt = _torchlogix_sequential(model)
    if rebuilt is None:
        return reading_only("the state_dict's keys are not those of an nn.Sequential, so "
                            "torchlogix's model cannot be rebuilt from it")
    kinds = sorted({s.parametrization for s in model.layers})
    return OwnForward(f"torchlogix {version} LogicDense forward (state_dict reloaded with "
                      f"strict=True, parametrization {'/'.join(kinds)})",
                      _run(rebuilt, model, x_bits))


def _torchlogix_sequential(model: DLGNModel) -> nn.Sequential | None:
    """torchlogix's own Sequential for the state_dict: LogicDense at each layer's position."""
    positions = [_position(key) for key in model.state_dict if key.endswith(".weight")]
    if None in positions or not positions:
        return None
    tlx = import_torchlogix()
    mods: list[nn.Module] = [nn.Flatten() for _ in range(min(positions))]
    for spec in model.layers:
        layer = tlx.layers.LogicDense(spec.in_dim, spec.out_dim, lut_rank=2,
                                      parametrization=spec.parametrization, connections="fixed")
        mods.append(layer)
    mods.append(tlx.layers.GroupSum(model.num_classes, model.tau))
    seq = nn.Sequential(*mods)
    sd = {k: v for k, v in model.state_dict.items() if not k.endswith("._export_lut_ids")}
    load_strictly(seq, sd, f"{model.source}: torchlogix's own LogicDense model")
    return seq


def _position(key: str) -> int | None:
    m = re.fullmatch(r"(\d+)\.weight", key)
    return int(m.group(1)) if m else None


def _difflogic_modules(model: DLGNModel) -> nn.Sequential:
    layers = [difflogic_shim.LogicLayer(s.in_dim, s.out_dim,
                                        (torch.from_numpy(s.a), torch.from_numpy(s.b)),
                                        weights=layer.weights.detach().clone())
              for s, layer in zip(model.layers, list(model.module)[:-1], strict=True)]
    return nn.Sequential(*layers, difflogic_shim.GroupSum(model.num_classes, model.tau))


def _run(module: nn.Module, model: DLGNModel, x_bits: np.ndarray) -> dict[str, np.ndarray]:
    """``pred`` (first-index argmax of the scores) and ``count<c>`` where scores * tau are
    integers, from ``module``'s eval forward; the module's train/eval modes are restored."""
    x = input_bits(x_bits, model.input_width)
    modes = {m: m.training for m in module.modules()}
    module.eval()
    try:
        with torch.no_grad():
            scores = torch.cat([module(torch.from_numpy(x[at:at + 4096].astype(np.float32)))
                                for at in range(0, len(x), 4096)]) if len(x) else \
                torch.zeros(0, model.num_classes)
    finally:
        for m, mode in modes.items():
            m.training = mode
    if scores.ndim != 2 or scores.shape[1] != model.num_classes:
        raise GatecompError(f"{model.source}: the model's own forward gives shape "
                            f"{tuple(scores.shape)}, expected (samples, {model.num_classes})")
    result = {"pred": torch.argmax(scores, dim=1).numpy().astype(np.int64)}
    counts = scores.double().numpy() * model.tau
    if np.all(np.abs(counts - np.rint(counts)) < 1e-3):
        for c in range(model.num_classes):
            result[f"count{c}"] = np.rint(counts[:, c]).astype(np.int64)
    return result
