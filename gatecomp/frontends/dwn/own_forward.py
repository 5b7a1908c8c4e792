"""torch_dwn's own forward on the check vectors, with a CPU port of its CUDA kernel.

torch_dwn 1.1.1's ``EFDFunction.forward`` calls its compiled ``efd_cuda.forward`` and raises
on CPU tensors. :func:`efd_forward_cpu` ports ``efd_cuda_forward_kernel`` line for line with
torch ops (``addr |= (input[i][mapping[j][l]] > 0) << l``, ``output = luts[j][addr]``), and
while the check runs it stands in for ``EFDFunction`` in ``torch_dwn.lut_layer``; everything
else is the library's code: ``LUTLayer.forward``, ``LearnableMapping``'s argmax gather, the
straight-through ``STE``, ``GroupSum``'s permutation, padding and ``/ tau``, the thermometer's
``binarize``. It is independent of gatecomp's reading (:mod:`.read`): the module tree is loaded
a second time with torch_dwn's real classes (still ``weights_only=True``), or built by
torch_dwn from the state_dict wrapper; counts are GroupSum run with ``tau = 1`` on the same
input, the class ``argmax`` of its real scores.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import types
from collections import OrderedDict
from importlib import metadata
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ...errors import GatecompError
from ..reference import OwnForward, input_bits, reading_only
from .evaluate import features_of
from .network import Network
from .standins import STAND_INS, TORCH_CLASSES, short_name

INSTALL = "python -m gatecomp.frontends.dwn.install (make setup does it)"
NAME = "torch_dwn {v} LUT forward (gatecomp's CPU port of its CUDA kernel)"


def efd_forward_cpu(x: torch.Tensor, mapping: torch.Tensor, luts: torch.Tensor
                    ) -> torch.Tensor:
    """``efd_cuda_forward``: (batch, num_luts) float32 of float32 ``x`` (batch, inputs),
    int32 ``mapping`` (num_luts, n) and float32 ``luts`` (num_luts, 2**n)."""
    for name, t, dtype in (("input", x, torch.float32), ("mapping", mapping, torch.int32),
                           ("luts", luts, torch.float32)):
        if t.dtype != dtype or t.dim() != 2:  # the kernel's packed_accessor32<type, 2>
            raise RuntimeError(f"efd forward: {name} must be a 2-d {dtype} tensor")
    m = mapping.long()
    addr = (x[:, m[:, 0]] > 0).to(torch.int64)
    for col in range(1, mapping.size(1)):
        addr |= (x[:, m[:, col]] > 0).to(torch.int64) << col
    return luts[torch.arange(luts.size(0))[None, :], addr]


class CpuEFDFunction:
    """What ``LUTLayer.forward`` calls as ``EFDFunction.apply`` (forward only)."""

    @staticmethod
    def apply(x, mapping, luts, alpha, beta):
        return efd_forward_cpu(x, mapping, luts)


def torch_dwn_version() -> str | None:
    try:
        return metadata.version("torch_dwn")
    except metadata.PackageNotFoundError:
        return None


def import_torch_dwn() -> types.ModuleType:
    """``torch_dwn``; where CUDA is available but its extension was never built (our install),
    ``efd_cuda`` is a placeholder that says so: only the CPU port below is ever called."""
    try:
        return importlib.import_module("torch_dwn")
    except ImportError as exc:
        if "efd_cuda" not in str(exc):
            raise
    placeholder = types.ModuleType("efd_cuda")
    placeholder.__doc__ = "torch_dwn's CUDA extension, not built (gatecomp's install)"
    sys.modules["efd_cuda"] = placeholder
    return importlib.import_module("torch_dwn")


@contextlib.contextmanager
def cpu_kernel():
    """``torch_dwn.lut_layer.EFDFunction`` replaced by the CPU port, restored afterwards."""
    lut_layer = importlib.import_module("torch_dwn.lut_layer")
    saved = lut_layer.EFDFunction
    lut_layer.EFDFunction = CpuEFDFunction
    try:
        yield
    finally:
        lut_layer.EFDFunction = saved


def own_forward(net: Network, x_bits: np.ndarray) -> OwnForward:
    version = torch_dwn_version()
    if version is None:
        return reading_only(f"torch_dwn is not installed here: {INSTALL} to check against "
                            "its forward")
    import_torch_dwn()
    module, how = real_module(net)
    encoder = real_encoder(net)
    x = input_bits(x_bits, net.input_width)
    with cpu_kernel():
        outputs = run(module, encoder, net, x)
    return OwnForward(f"{NAME.format(v=version)}, {how}", outputs)


def _real_class(name: str) -> type:
    module, _, cls = name.rpartition(".")
    return getattr(importlib.import_module(module), cls)


def _real_load(path: Path) -> object:
    safe = [*TORCH_CLASSES, *(_real_class(name) for name in STAND_INS)]
    with torch.serialization.safe_globals(safe):
        return torch.load(path, map_location="cpu", weights_only=True)


def real_module(net: Network) -> tuple[nn.Module, str]:
    """torch_dwn's own module tree for ``net``, and how it was obtained."""
    if net.format == "torch_dwn.pickle":
        return _real_load(Path(net.source)), "the pickled model reloaded with torch_dwn's classes"
    if net.format == "torch_dwn.state_dict":
        return _built(net), "torch_dwn's LUTLayer/GroupSum built, state_dict loaded strictly"
    return net.origin, "the module given"


def _built(net: Network) -> nn.Module:
    """The wrapper's Sequential built from torch_dwn's classes, its state_dict loaded with
    ``strict=True`` (so torch_dwn, too, must take every entry)."""
    dwn = import_torch_dwn()
    wrapper = net.origin
    sd = wrapper["state_dict"]
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    for layer in net.layers:
        fixed = sd.get(f"{layer.name}.mapping")
        mapping = fixed if layer.mapping == "fixed" else "learnable"
        layers[layer.name] = dwn.LUTLayer(layer.in_width, layer.width, layer.n, mapping=mapping)
    layers["group_sum"] = dwn.GroupSum(wrapper["num_classes"], wrapper.get("tau", 1))
    model = nn.Sequential(layers)
    try:
        model.load_state_dict(sd, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0][:200]
        raise GatecompError(f"{net.source}: torch_dwn's layers do not take this state_dict "
                            f"({first})") from None
    return model


def real_encoder(net: Network) -> object:
    """torch_dwn's own encoder object for ``net.encoder`` (None without one)."""
    enc = net.encoder
    if enc is None:
        return None
    if enc.kind == "thresholds":  # a bare array: torch_dwn's Thermometer compares it
        dwn = import_torch_dwn()
        thermometer = dwn.Thermometer(num_bits=enc.num_bits)
        origin = enc.origin
        thermometer.thresholds = torch.from_numpy(origin) if isinstance(origin, np.ndarray) \
            else origin
        return thermometer
    if type(enc.origin).__module__.startswith("torch_dwn.") \
            and type(enc.origin) is _real_class(f"torch_dwn.binarization.{enc.kind}"):
        return enc.origin
    return _real_load(Path(enc.source))


def run(module: nn.Module, encoder: object, net: Network, x: np.ndarray
        ) -> dict[str, np.ndarray]:
    """Counts and class of ``module``'s eval forward on the circuit's inputs ``x``."""
    modes = {m: m.training for m in module.modules()}
    module.eval()
    group_sum = [m for m in module.modules() if short_name(m) == "GroupSum"][-1]
    counts: list[torch.Tensor] = []
    hook = group_sum.register_forward_hook(lambda m, inputs, _out: counts.append(
        _untempered(m, inputs[0])))
    preds = []
    try:
        with torch.no_grad():
            for at in range(0, len(x), 1024):
                chunk = x[at:at + 1024]
                if net.comparators is not None:
                    feats = torch.from_numpy(features_of(net, chunk))
                    bits = encoder.binarize(feats).flatten(start_dim=1)
                else:
                    bits = torch.from_numpy(chunk.astype(np.float32))
                preds.append(torch.argmax(module(bits), dim=1))
    finally:
        hook.remove()
        for m, mode in modes.items():
            m.training = mode
    sums = torch.cat(counts) if counts else torch.zeros(0, net.num_classes)
    result = {f"count{c}": sums[:, c].numpy().astype(np.int64) for c in range(net.num_classes)}
    result["pred"] = torch.cat(preds).numpy().astype(np.int64) if preds else \
        np.zeros(0, np.int64)
    return result


def _untempered(m: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """GroupSum's own forward on ``x`` with ``tau = 1``: the integer class sums."""
    tau = m.tau
    m.tau = 1
    try:
        return m.forward(x).detach()
    finally:
        m.tau = tau
