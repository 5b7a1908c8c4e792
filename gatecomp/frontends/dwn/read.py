"""Reading a torch_dwn module tree into a :class:`~.network.Network`, layer by layer.

The walk follows ``Sequential``'s forward: ``LUTLayer`` s in order, ``STE`` / ``Flatten`` /
``Identity`` between them (on bits, identities), one ``GroupSum`` at the end. Each module is
checked by :mod:`.modules` (every attribute read or refused). A ``LUTLayer`` with
``ste=False`` outputs its raw table values instead of bits: the next ``LUTLayer`` (or an
``STE``) still reads them as ``> 0``, but a ``GroupSum`` would sum the floats, so that is
refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from torch import nn

from ...errors import GatecompError
from .layers import group_sum, lut_layer
from .modules import DUMMY_MAPPING, check, where_of
from .network import GroupSumSpec, LutLayer, Network
from .standins import short_name


def leaves(module: nn.Module, label: str, path: str = "") -> list[tuple[str, nn.Module]]:
    """``(path, layer)`` in forward order; containers checked and opened."""
    check(module, where_of(label, path, module))
    if not isinstance(module, nn.Sequential):
        return [(path, module)]
    out: list[tuple[str, nn.Module]] = []
    for key, child in module._modules.items():
        out += leaves(child, label, f"{path}.{key}" if path else key)
    return out


@dataclass
class Parsed:
    """The layers of a model as read, before the class sums close it."""

    layers: list[LutLayer] = field(default_factory=list)
    group_sum: tuple[GroupSumSpec, np.ndarray] | None = None
    modules: list[str] = field(default_factory=list)
    floats: bool = False  # the last layer output raw LUT values (ste=False)


def read_lut_module(m: nn.Module, path: str, in_width: int, label: str) -> LutLayer:
    """A ``LUTLayer`` (stand-in or real) as a :class:`LutLayer`."""
    where = where_of(label, path, m)
    sizes = (m.input_size, m.output_size, m.n)
    mapping = m._modules.get("mapping")
    if mapping is not None:
        check(mapping, where_of(label, f"{path}.mapping", mapping))
        if short_name(mapping) != "LearnableMapping":
            raise GatecompError(f"{where}: its mapping is a {short_name(mapping)}")
        return lut_layer(where, path, sizes, in_width, m._parameters.get("luts"),
                         weights=mapping._parameters.get("weights"),
                         dummy=m._parameters.get(DUMMY_MAPPING))
    if m._parameters.get(DUMMY_MAPPING) is not None:
        raise GatecompError(f"{where}: has a dummy mapping but no LearnableMapping")
    return lut_layer(where, path, sizes, in_width, m._parameters.get("luts"),
                     mapping=m._parameters.get("mapping"))


def _layer(parsed: Parsed, path: str, m: nn.Module, label: str) -> None:
    where, kind = where_of(label, path, m), short_name(m)
    if parsed.group_sum is not None:
        raise GatecompError(f"{where}: {kind} after the GroupSum is not read (the GroupSum "
                            "must be the model's last layer)")
    if isinstance(m, (nn.Flatten, nn.Identity)):
        return
    parsed.modules.append(f"{path} {kind}")
    if kind == "STE":
        parsed.floats = False
    elif kind == "LUTLayer":
        width = parsed.layers[-1].width if parsed.layers else m.input_size
        if not isinstance(m.ste, bool):
            raise GatecompError(f"{where}: ste={m.ste!r} is not a bool")
        parsed.layers.append(read_lut_module(m, path, width, label))
        parsed.floats = not m.ste
    elif kind == "GroupSum":
        if not parsed.layers:
            raise GatecompError(f"{where}: a GroupSum before any LUTLayer")
        if parsed.floats:
            raise GatecompError(f"{where}: the GroupSum sums raw LUT values (the layer before "
                                "has ste=False); gatecomp compiles sums of bits")
        parsed.group_sum = group_sum(where, m.k, m.tau, m.randperm, parsed.layers[-1].width)
    else:  # pragma: no cover - modules.check admits no other class
        raise GatecompError(f"{where}: {kind} is not read")


def read_modules(module: nn.Module, label: str) -> Parsed:
    """Every layer of ``module`` read; raises unless it is LUT layers closed by a GroupSum."""
    parsed = Parsed()
    for path, m in leaves(module, label):
        _layer(parsed, path, m, label)
    if not parsed.layers:
        raise GatecompError(f"{label}: the model has no LUTLayer")
    if parsed.group_sum is None:
        raise GatecompError(f"{label}: the model does not end in a GroupSum, so it has no "
                            "classes to compile")
    return parsed


def network_of(parsed: Parsed, label: str, fmt: str, version: str, origin: object) -> Network:
    spec, groups = parsed.group_sum
    return Network(parsed.layers, spec, groups, label, fmt, version, origin,
                   modules=parsed.modules)
