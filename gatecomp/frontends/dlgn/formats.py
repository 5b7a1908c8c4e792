"""Checkpoint formats for DLGNs: reading each into one neutral description, writing ours.

Readers turn a loaded object into a :class:`ParsedNet` (per layer: weights, wiring, in_dim) and
do not validate beyond what they need to find the layers; :mod:`gatecomp.frontends.dlgn` checks
shapes, ranges and values once for all formats. Supported:

``gatecomp.dlgn``
    Our format: ``torch.save`` of a plain dict ``{"format": "gatecomp.dlgn", "version": 1,
    "layers": [{"type": "logic", "in_dim", "out_dim", "parametrization"}, ...,
    {"type": "groupsum", "k", "tau"}], "state_dict": {"<i>.weights", "<i>.indices"},
    "encoding": {...} | None, "dataset": {...} | None, "metrics": {...}, ...}``
    (``<i>`` = position in ``layers``). Written by :func:`save_dlgn`.
``difflogic.pickle``
    A whole pickled ``nn.Sequential`` of ``Flatten`` / difflogic ``LogicLayer`` / ``GroupSum``
    (read through :mod:`gatecomp.frontends.dlgn.difflogic_shim`), or an in-memory module of those or
    of our :mod:`gatecomp.nn` layers (format ``module``).
``difflogic.state_dict``
    ``{"<prefix>weights": (out, 16), "<prefix>indices": (2, out)}`` per layer; the wiring may
    instead be passed separately (difflogic does not store it in its state_dict).
``torchlogix.state_dict``
    ``{"<prefix>weight": (out, 16) raw or (out, 4) light/warp,
    "<prefix>connections.indices": (2, out), "<prefix>_export_lut_ids": (out,) (optional,
    checked against the gates read)}`` of ``LogicDense`` layers with ``lut_rank=2`` and fixed
    connections. light and warp are both stored as (out, 4): the parametrization must be named
    (wrapper field ``parametrization`` or ``--parametrization``), it is never guessed.

A state_dict may be wrapped as ``{"state_dict" | "model_state_dict": sd, "num_classes" | "k",
"tau", "input_width", "parametrization"}`` (plus training bookkeeping such as ``epoch``, which is
skipped); state_dicts carry no GroupSum, so ``num_classes`` comes from the wrapper or the caller.

Every entry is read or refused (:mod:`gatecomp.frontends.dlgn.strict`): a key no layer consumed,
a gap in the layer numbering, an unknown wrapper field or module attribute is a one-line error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from ...errors import GatecompError, UnknownFormatError
from ...nn import GroupSum, LogicLayer, ThermometerEncoding
from ..checkpoint import load_failure, model_file, refused_global, save_checkpoint
from ..strict import refuse_unread_state
from . import difflogic_shim
from .strict import (
    MODULE_STATE,
    refuse_position_gaps,
    refuse_unknown_wrapper_keys,
    refuse_unread_keys,
)

FORMAT = "gatecomp.dlgn"
VERSION = 1
SUPPORTED_FORMATS = ("gatecomp.dlgn", "difflogic.pickle", "difflogic.state_dict",
                     "torchlogix.state_dict", "module")
SUPPORTED_LAYERS = ("torch.nn.Flatten", "difflogic LogicLayer", "difflogic GroupSum",
                    "gatecomp.nn.LogicLayer", "gatecomp.nn.GroupSum")
#: other names users give torchlogix's Walsh-Hadamard ("warp") parametrization
PARAMETRIZATION_ALIASES = {"walsh": "warp"}
#: wrapper fields read around a bare state_dict
WRAPPER_FIELDS = ("state_dict", "model_state_dict", "num_classes", "k", "tau", "input_width",
                  "parametrization")


@dataclass
class ParsedLogic:
    """One logic layer as found in a checkpoint (unvalidated)."""

    name: str
    weights: torch.Tensor
    indices: torch.Tensor | None
    in_dim: int | None = None
    parametrization: str | None = None  # None: raw if (out, 16), else it must be named
    export_ids: torch.Tensor | None = None  # torchlogix's cached gate IDs, checked when read


@dataclass
class ParsedNet:
    """A DLGN as found in a checkpoint (unvalidated)."""

    format: str
    logic: list[ParsedLogic]
    k: int | None = None
    tau: float | None = None
    input_width: int | None = None
    encoding: dict | None = None
    extra: dict = field(default_factory=dict)  # dataset, metrics, training, ...
    state_dict: dict | None = None  # the state_dict as read (a library's forward reloads it)
    origin: nn.Module | None = None  # the module as given or unpickled (its own forward)


# -- loading a file ------------------------------------------------------------------------
def load_file(path: str | Path) -> object:
    """``torch.load`` with ``weights_only=True`` and the difflogic allow-list, errors mapped."""
    path = model_file(path)
    safe = [*difflogic_shim.SAFE_GLOBALS, LogicLayer, GroupSum]
    try:
        with torch.serialization.safe_globals(safe):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - every failure becomes one readable line
        name = refused_global(exc)
        if name:
            raise GatecompError(
                f"{path}: unsupported layer or object type {name} in pickled model "
                f"(supported layers: {', '.join(SUPPORTED_LAYERS)}; nothing of it was run)"
            ) from None
        raise GatecompError(f"{path}: not a readable PyTorch checkpoint: "
                            f"{load_failure(path, exc)}") from None


# -- dispatch ------------------------------------------------------------------------------
def parse(obj: object, source: str) -> ParsedNet:
    """Recognise the format of a loaded object and read its layers."""
    if isinstance(obj, nn.Module):
        return parse_module(obj)
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(m, nn.Module) for m in obj):
        return parse_module(nn.Sequential(*obj))
    if isinstance(obj, dict):
        fmt = obj.get("format")
        if isinstance(fmt, str):
            if fmt == FORMAT:
                return parse_ours(obj, source)
            raise UnknownFormatError(f"{source}: unknown checkpoint format {fmt!r} "
                                     f"(supported: {', '.join(SUPPORTED_FORMATS)})")
        for key in ("state_dict", "model_state_dict"):
            if isinstance(obj.get(key), dict):
                refuse_unknown_wrapper_keys(source, obj, WRAPPER_FIELDS)
                net = parse_state_dict(obj[key], source)
                _apply_wrapper(net, obj, source)
                return net
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            return parse_state_dict(obj, source)
    raise UnknownFormatError(f"{source}: unknown checkpoint format ({type(obj).__name__}); "
                             f"supported: {', '.join(SUPPORTED_FORMATS)}")


def _apply_wrapper(net: ParsedNet, wrapper: dict, source: str) -> None:
    k = wrapper.get("num_classes", wrapper.get("k"))
    tau = wrapper.get("tau")
    width = wrapper.get("input_width")
    try:
        net.k = None if k is None else int(k)
        net.tau = None if tau is None else float(tau)
        net.input_width = None if width is None else int(width)
    except (TypeError, ValueError):
        raise GatecompError(f"{source}: num_classes/tau/input_width must be numbers") from None
    declared = wrapper.get("parametrization")
    if declared is not None:
        set_parametrization(net, declared, source, "the checkpoint's 'parametrization'")


def set_parametrization(net: ParsedNet, declared: object, source: str, origin: str) -> None:
    """Name the parametrization of every logic layer: one name, or one per layer.

    A layer whose format already states it must agree (our format and pickled modules do).
    """
    names = declared if isinstance(declared, list | tuple) else [declared] * len(net.logic)
    if len(names) != len(net.logic) or not all(isinstance(n, str) for n in names):
        raise GatecompError(f"{source}: {origin} must be a name or a list of {len(net.logic)} "
                            "names (raw, light, warp)")
    for layer, name in zip(net.logic, names, strict=True):
        name = PARAMETRIZATION_ALIASES.get(name, name)
        stated = PARAMETRIZATION_ALIASES.get(layer.parametrization, layer.parametrization)
        if stated is not None and stated != name:
            raise GatecompError(f"{source}: {layer.name} is {stated!r} but {origin} says "
                                f"{name!r}")
        layer.parametrization = name


# -- in-memory / pickled modules -----------------------------------------------------------
def _flatten_modules(module: nn.Module) -> list[nn.Module]:
    if isinstance(module, nn.Sequential):
        return [m for child in module for m in _flatten_modules(child)]
    return [module]


def parse_module(module: nn.Module) -> ParsedNet:
    """Read an ``nn.Sequential`` (possibly nested) of supported layers."""
    mods = _flatten_modules(module)
    shim = any(isinstance(m, (difflogic_shim.LogicLayer, difflogic_shim.GroupSum)) for m in mods)
    net = ParsedNet("difflogic.pickle" if shim else "module", [], origin=module)
    for pos, m in enumerate(mods):
        where = f"module {pos} ({type(m).__name__})"
        if net.k is not None and not isinstance(m, nn.Flatten):
            raise GatecompError(f"{where} follows the GroupSum; GroupSum must be the last layer")
        _refuse_unread_state(m, where)
        if isinstance(m, nn.Flatten):
            if net.logic:
                raise GatecompError(f"{where}: Flatten is only supported before the logic layers")
        elif isinstance(m, LogicLayer):
            net.logic.append(ParsedLogic(where, m.weights.detach(), m.indices.detach(),
                                         m.in_dim, m.parametrization))
        elif isinstance(m, difflogic_shim.LogicLayer):
            idx = getattr(m, "indices", None)
            weights = getattr(m, "weights", None)
            if not isinstance(weights, torch.Tensor):
                raise GatecompError(f"{where}: difflogic LogicLayer has no 'weights' tensor")
            net.logic.append(ParsedLogic(where, weights.detach(), _stack_indices(idx, where),
                                         _int_attr(m, "in_dim", where), "raw"))
        elif isinstance(m, (GroupSum, difflogic_shim.GroupSum)):
            net.k = _int_attr(m, "k", where)
            net.tau = float(getattr(m, "tau", 1.0))
        else:
            cls = f"{type(m).__module__}.{type(m).__qualname__}"
            raise GatecompError(f"{where}: unsupported layer type {cls} "
                                f"(supported: {', '.join(SUPPORTED_LAYERS)})")
    return net


def _refuse_unread_state(m: nn.Module, where: str) -> None:
    state = MODULE_STATE.get(type(m))
    if state is not None:  # a type outside the table is refused by name in parse_module
        refuse_unread_state(m, where, state)


def _int_attr(m: nn.Module, name: str, where: str) -> int | None:
    v = getattr(m, name, None)
    if v is None:
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        raise GatecompError(f"{where}: attribute {name}={v!r} is not an integer") from None


def _stack_indices(idx: object, where: str) -> torch.Tensor:
    """difflogic keeps the wiring as a tuple ``(a, b)``; accept that or a (2, out) tensor."""
    if isinstance(idx, torch.Tensor):
        return idx
    if (isinstance(idx, (tuple, list)) and len(idx) == 2
            and all(isinstance(t, torch.Tensor) for t in idx)):
        a, b = idx
        if a.shape != b.shape or a.ndim != 1:
            raise GatecompError(f"{where}: wiring tensors have shapes {tuple(a.shape)} and "
                                f"{tuple(b.shape)}, expected two equal (out,) vectors")
        return torch.stack([a, b])
    raise GatecompError(f"{where}: missing or malformed wiring 'indices' "
                        "(expected a tuple of two index tensors)")


# -- state dicts -----------------------------------------------------------------------------
def _natural_key(prefix: str) -> list:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", prefix)]


def parse_state_dict(sd: dict, source: str) -> ParsedNet:
    """Read a difflogic or torchlogix state_dict (wiring may be missing: given separately).

    Every entry must be consumed by a logic layer, and no ``Sequential`` position between logic
    layers may be empty; anything else is refused (see :mod:`.dlgn_strict`).
    """
    bad = [k for k, v in sd.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise GatecompError(f"{source}: state_dict entry {bad[0]!r} is not a tensor")
    keys = list(sd)
    torchlogix = [k[: -len("weight")] for k in keys
                  if k.endswith("weight") and not k.endswith("connections.weight")
                  and (k == "weight" or k.endswith(".weight"))]
    difflogic = [k[: -len("weights")] for k in keys
                 if (k == "weights" or k.endswith(".weights"))
                 and not k.endswith("connections.weights")]
    if difflogic and not torchlogix:
        fmt, prefixes = "difflogic.state_dict", difflogic
    elif torchlogix and not difflogic:
        fmt, prefixes = "torchlogix.state_dict", torchlogix
    else:
        raise GatecompError(
            f"{source}: state_dict is neither a difflogic ('<i>.weights') nor a torchlogix "
            f"('<i>.weight' + '<i>.connections.indices') layout (keys: {', '.join(keys[:6])})")
    prefixes = sorted(prefixes, key=_natural_key)
    net = ParsedNet(fmt, [], state_dict=sd)
    consumed: set[str] = set()
    read = _read_difflogic_layer if fmt == "difflogic.state_dict" else _read_torchlogix_layer
    for p in prefixes:
        net.logic.append(read(sd, p, consumed))
    refuse_unread_keys(source, keys, consumed)
    refuse_position_gaps(source, prefixes)
    return net


def _take(sd: dict, key: str, consumed: set[str]) -> torch.Tensor | None:
    if key in sd:
        consumed.add(key)
    return sd.get(key)


def _layer_name(prefix: str) -> str:
    return f"layer '{prefix.rstrip('.') or '<root>'}'"


def _read_difflogic_layer(sd: dict, p: str, consumed: set[str]) -> ParsedLogic:
    weights = _take(sd, p + "weights", consumed)
    idx = _take(sd, p + "indices", consumed)
    if idx is None and p + "indices.0" in sd and p + "indices.1" in sd:
        idx = torch.stack([_take(sd, p + "indices.0", consumed),
                           _take(sd, p + "indices.1", consumed)])
    return ParsedLogic(_layer_name(p), weights, idx, parametrization="raw")


def _read_torchlogix_layer(sd: dict, p: str, consumed: set[str]) -> ParsedLogic:
    weights = _take(sd, p + "weight", consumed)
    idx = _take(sd, p + "connections.indices", consumed)
    if idx is None:
        idx = _take(sd, p + "indices", consumed)
    export_ids = _take(sd, p + "_export_lut_ids", consumed)
    return ParsedLogic(_layer_name(p), weights, idx, export_ids=export_ids)


# -- ours ------------------------------------------------------------------------------------
def parse_ours(ckpt: dict, source: str) -> ParsedNet:
    """Read a ``gatecomp.dlgn`` checkpoint dict."""
    version = ckpt.get("version")
    if version != VERSION:
        raise GatecompError(f"{source}: unsupported {FORMAT} version {version!r} "
                            f"(this gatecomp reads version {VERSION})")
    layers, sd = ckpt.get("layers"), ckpt.get("state_dict")
    if not isinstance(layers, list) or not isinstance(sd, dict):
        raise GatecompError(f"{source}: {FORMAT} checkpoint lacks 'layers' list or "
                            "'state_dict' dict")
    refuse_unknown_wrapper_keys(source, ckpt, OUR_FIELDS)
    net = ParsedNet(FORMAT, [], encoding=ckpt.get("encoding"),
                    extra={k: ckpt[k] for k in ("dataset", "metrics", "training") if k in ckpt})
    consumed: set[str] = set()
    for i, spec in enumerate(layers):
        kind = spec.get("type") if isinstance(spec, dict) else None
        where = f"layer {i} ({kind})"
        _refuse_unknown_spec_keys(source, where, spec)
        if net.k is not None:
            raise GatecompError(f"{where} follows the GroupSum; GroupSum must be the last layer")
        if kind == "logic":
            w = _take(sd, f"{i}.weights", consumed)
            if w is None:
                raise GatecompError(f"{source}: {where}: state_dict lacks '{i}.weights'")
            try:
                in_dim = int(spec["in_dim"])
                out_dim = int(spec["out_dim"])
            except (KeyError, TypeError, ValueError):
                raise GatecompError(
                    f"{source}: {where}: needs integer in_dim and out_dim") from None
            if w.ndim < 1 or w.shape[0] != out_dim:
                raise GatecompError(f"{source}: {where}: weights have shape {tuple(w.shape)} "
                                    f"but out_dim is {out_dim}")
            net.logic.append(ParsedLogic(where, w, _take(sd, f"{i}.indices", consumed), in_dim,
                                         spec.get("parametrization", "raw")))
        elif kind == "groupsum":
            try:
                net.k, net.tau = int(spec["k"]), float(spec.get("tau", 1.0))
            except (KeyError, TypeError, ValueError):
                raise GatecompError(f"{source}: {where}: needs integer k and number tau") from None
        else:
            raise GatecompError(f"{source}: layer {i}: unsupported layer type {kind!r} "
                                "(supported: 'logic', 'groupsum')")
    refuse_unread_keys(source, list(sd), consumed)
    if net.logic:
        net.input_width = net.logic[0].in_dim
    return net


#: top-level fields of our format, and the fields of each layer spec by type
OUR_FIELDS = ("format", "version", "layers", "state_dict", "encoding", "dataset", "metrics",
              "training")
_SPEC_FIELDS = {"logic": {"type", "in_dim", "out_dim", "parametrization"},
                "groupsum": {"type", "k", "tau"}}


def _refuse_unknown_spec_keys(source: str, where: str, spec: object) -> None:
    known = _SPEC_FIELDS.get(spec.get("type")) if isinstance(spec, dict) else None
    for key in (spec if known else ()):
        if key not in known:
            raise GatecompError(f"{source}: {where}: field {key!r} is not understood "
                                f"(a {spec['type']} layer has {', '.join(sorted(known))})")


def dlgn_checkpoint(module: nn.Sequential, *, encoding: ThermometerEncoding | dict | None = None,
                    dataset: dict | None = None, metrics: dict | None = None,
                    training: dict | None = None) -> dict:
    """Our checkpoint dict for an ``nn.Sequential`` of :class:`LogicLayer` s and a GroupSum.

    Everything is plain data + tensors, so ``torch.load(weights_only=True)`` reads it.
    """
    layers, sd = [], {}
    mods = _flatten_modules(module)
    for i, m in enumerate(mods):
        if isinstance(m, LogicLayer):
            layers.append({"type": "logic", "in_dim": m.in_dim, "out_dim": m.out_dim,
                           "parametrization": m.parametrization})
            sd[f"{i}.weights"] = m.weights.detach().cpu().clone().contiguous()
            sd[f"{i}.indices"] = m.indices.detach().cpu().clone().contiguous()
        elif isinstance(m, GroupSum):
            layers.append({"type": "groupsum", "k": m.k, "tau": m.tau})
        else:
            raise ValueError(f"cannot save layer {type(m).__name__} in {FORMAT} format")
    if isinstance(encoding, ThermometerEncoding):
        encoding = encoding.to_dict()
    return {"format": FORMAT, "version": VERSION, "layers": layers, "state_dict": sd,
            "encoding": encoding, "dataset": dataset, "metrics": metrics or {},
            **({} if training is None else {"training": training})}


def save_dlgn(path: str | Path, module: nn.Sequential, **kwargs: object) -> Path:
    """Write :func:`dlgn_checkpoint` to ``path`` with ``torch.save``; returns the path."""
    return save_checkpoint(path, dlgn_checkpoint(module, **kwargs))
