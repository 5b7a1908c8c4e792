"""What the readers refuse: every field, tensor and module setting is read, or named.

A reader that skips what it does not know compiles a circuit that computes something else (a
bias nobody read, a batch norm that uses batch statistics, a hook that rescales the scores).
These checks name the first thing a reader did not consume, in one line:

* :func:`refuse_unknown_fields` -- checkpoint fields or layer-spec keys outside what is read;
* :func:`refuse_unread_entries` -- state_dict entries no layer consumed;
* :func:`check_module_tree` -- modules of a type outside a table (subclasses too: their forward
  may differ), and per module any parameter, buffer, child, attribute or hook the table does
  not list, or a setting whose value is not the one the reader assumes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import torch
from torch import nn

from ..errors import GatecompError


def refuse_unknown_fields(source: str, obj: Mapping, read: Iterable[str], what: str,
                          skipped: Iterable[str] = (), skipped_hint: str = "") -> None:
    """Raise on the first key of ``obj`` outside ``read`` (``what``: e.g. "checkpoint").

    Keys in ``skipped`` (records that cannot change the forward, such as training
    bookkeeping) pass; ``skipped_hint`` says so in the error.
    """
    known, passing = tuple(read), frozenset(skipped)
    for key in obj:
        if key not in known and key not in passing:
            raise GatecompError(f"{source}: {what} field {key!r} is not understood (gatecomp "
                                f"reads {', '.join(known)}{skipped_hint}); refusing rather "
                                "than ignore it")


def refuse_unread_entries(source: str, keys: Iterable[str], consumed: set[str],
                          kind_of: Callable[[str], str]) -> None:
    """Raise on the first state_dict key no layer consumed; ``kind_of`` says whose it seems."""
    for key in keys:
        if key not in consumed:
            raise GatecompError(f"{source}: state_dict entry {key!r} was not understood (it seems "
                                f"to belong to {kind_of(key)}); refusing rather than compile "
                                "the network without it")


def integral_tensor(sd: dict, key: str, where: str) -> torch.Tensor:
    """``sd[key]``, which must be a tensor of integers (bool, int, or integral floats)."""
    t = sd.get(key)
    if not isinstance(t, torch.Tensor):
        raise GatecompError(f"{where}: state_dict lacks '{key}'")
    if t.is_floating_point() and not bool((torch.isfinite(t) & (t == t.round())).all()):
        raise GatecompError(f"{where}: state_dict entry '{key}' holds non-integer values "
                            "(it would be truncated, not read)")
    return t


def check_spec_sizes(where: str, spec: dict, sizes: dict) -> None:
    """Raise when a size the spec states differs from the one its tensors have."""
    for key, value in sizes.items():
        if key in spec and value is not None and spec[key] != value:
            raise GatecompError(f"{where}: the spec says {key}={spec[key]!r} but the tensors "
                                f"have {value}")



@dataclass(frozen=True)
class ModuleState:
    """What a reader interprets of one module class: its attributes, parameters, buffers and
    children, plus ``settings``: attribute -> the value the reader assumes (or a predicate)."""

    attributes: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    buffers: tuple[str, ...] = ()
    children: tuple[str, ...] | None = ()  # None: any (a container)
    settings: Mapping[str, object] = field(default_factory=dict)


#: containers and shape modules every reader shares (eval mode: Dropout is the identity)
COMMON_STATE: dict[type, ModuleState] = {
    nn.Sequential: ModuleState(children=None),
    nn.Flatten: ModuleState(("start_dim", "end_dim"), settings={"start_dim": 1, "end_dim": -1}),
    nn.Identity: ModuleState(),
    nn.Dropout: ModuleState(("p", "inplace")),
    nn.BatchNorm1d: ModuleState(
        ("num_features", "eps", "momentum", "affine", "track_running_stats"),
        ("weight", "bias"), ("running_mean", "running_var", "num_batches_tracked"),
        settings={"track_running_stats": True}),
}

_INTERNALS = frozenset(vars(nn.Module()))
_HOOKS = tuple(sorted(k for k in _INTERNALS if k.endswith("hooks") and "state_dict" not in k
                      and "load_state" not in k))


def refuse_hooks(module: nn.Module, where: str) -> None:
    """Raise when ``module`` has forward/backward hooks (they change what it computes)."""
    for hooks in _HOOKS:
        if getattr(module, hooks, None):
            raise GatecompError(f"{where}: has {hooks.strip('_')} registered, which change the "
                                "forward; remove them before compiling")


def refuse_unread_state(module: nn.Module, where: str, state: ModuleState) -> None:
    """Raise on the first hook, parameter, buffer, child, attribute or setting of ``module``
    that ``state`` does not cover."""
    refuse_hooks(module, where)
    for kind, table, allowed in (("parameter", module._parameters, state.parameters),
                                 ("buffer", module._buffers, state.buffers)):
        for key, value in table.items():
            if key not in allowed and value is not None:
                raise GatecompError(f"{where}: unknown {kind} {key!r} (gatecomp does not know how "
                                    "it changes the forward)")
    if state.children is not None:
        for key in module._modules:
            if key not in state.children:
                raise GatecompError(f"{where}: unexpected child module {key!r}")
    extra = sorted(set(vars(module)) - _INTERNALS - set(state.attributes))
    if extra:
        raise GatecompError(f"{where}: unknown attribute {extra[0]!r} (gatecomp does not know how "
                            "it changes the forward)")
    for name, want in state.settings.items():
        value = getattr(module, name, None)
        ok = want(value) if callable(want) else value == want
        if not ok:
            raise GatecompError(f"{where}: {name}={value!r} is not supported (gatecomp reads "
                                f"this layer as {name}={want if not callable(want) else 'valid'})")


def check_module(m: nn.Module, where: str, table: Mapping[type, ModuleState],
                 supported: str) -> None:
    """Raise unless ``m`` is exactly a type of ``table`` whose state the table covers, with no
    hooks; ``supported`` lists the layers for the error message."""
    state = table.get(type(m))
    if state is None:
        base = next((t.__name__ for t in table if isinstance(m, t)), None)
        why = (f"a subclass of {base}, whose forward may differ" if base
               else f"{type(m).__module__}.{type(m).__qualname__} is not a layer gatecomp reads")
        raise GatecompError(f"{where}: {why} (supported: {supported})")
    refuse_unread_state(m, where, state)


def check_module_tree(module: nn.Module, label: str, table: Mapping[type, ModuleState],
                      supported: str) -> None:
    """:func:`check_module` on every module of ``module``'s tree."""
    for name, m in module.named_modules():
        check_module(m, module_where(label, name, m), table, supported)


def module_where(label: str, name: str, m: nn.Module) -> str:
    """``"<label>: module '1.bn' (BatchNorm1d)"`` for error messages."""
    return f"{label}: module {name or '<root>'!r} ({type(m).__name__})"


def entry_kind(key: str, specs: list, tensors: Mapping[str, tuple[str, ...]]) -> str:
    """What an unread state_dict key ``"<i>.<name>"`` of a layer list seems to belong to;
    ``tensors``: the entries each layer type reads."""
    prefix, _, name = key.partition(".")
    if not prefix.isdigit() or int(prefix) >= len(specs):
        return "a layer the 'layers' list does not describe"
    kind = specs[int(prefix)].get("type")
    return (f"layer {prefix} ({kind}), which has no {name!r} (a {kind} layer reads "
            f"{', '.join(tensors[kind])})")


def read_layer_list(ckpt: dict, source: str, fmt: str, version: int, fields: Iterable[str],
                    tensors: Mapping[str, tuple[str, ...]],
                    read_layer: Callable[[str, int, object, dict, set[str]], nn.Module]
                    ) -> list[nn.Module]:
    """The layers of a ``{"layers": [...], "state_dict": {...}}`` checkpoint of format ``fmt``:
    every field known, the version ``version``, each spec read by ``read_layer`` (which marks
    the entries it consumes) and no state_dict entry left unread."""
    refuse_unknown_fields(source, ckpt, fields, f"{fmt} checkpoint")
    if ckpt.get("version") != version:
        raise GatecompError(f"{source}: unsupported {fmt} version {ckpt.get('version')!r} "
                            f"(this gatecomp reads version {version})")
    specs, sd = ckpt.get("layers"), ckpt.get("state_dict")
    if not isinstance(specs, list) or not isinstance(sd, dict) or not specs:
        raise GatecompError(f"{source}: {fmt} checkpoint lacks a 'layers' list or "
                            "'state_dict' dict")
    consumed: set[str] = set()
    mods = [read_layer(source, i, spec, sd, consumed) for i, spec in enumerate(specs)]
    refuse_unread_entries(source, sd, consumed, lambda key: entry_kind(key, specs, tensors))
    return mods


def layer_spec(source: str, i: int, spec: object,
               layers: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]
               ) -> tuple[str, str, tuple[str, ...]]:
    """``(kind, where, tensor names)`` of layer ``i``'s spec, whose type must be a key of
    ``layers`` (type -> (spec keys, state_dict tensors)) and whose keys all known."""
    kind = spec.get("type") if isinstance(spec, dict) else None
    if kind not in layers:
        raise GatecompError(f"{source}: layer {i}: unsupported layer type {kind!r} "
                            f"(supported: {', '.join(repr(k) for k in layers)})")
    where = f"{source}: layer {i} ({kind})"
    spec_keys, keys = layers[kind]
    refuse_unknown_fields(where, spec, spec_keys, "layer spec")
    return kind, where, keys


def layer_tensors(sd: dict, i: int, keys: Iterable[str], where: str,
                  consumed: set[str]) -> list[torch.Tensor]:
    """Layer ``i``'s integral state_dict tensors ``"<i>.<key>"``, marked consumed."""
    keys = tuple(keys)
    tensors = [integral_tensor(sd, f"{i}.{k}", where) for k in keys]
    consumed.update(f"{i}.{k}" for k in keys)
    return tensors


def layer_module(where: str, build: Callable[[], nn.Module]) -> nn.Module:
    """``build()``, its ``ValueError``/``TypeError``/``RuntimeError`` reworded for ``where``."""
    try:
        return build()
    except (ValueError, TypeError, RuntimeError) as exc:
        raise GatecompError(f"{where}: {exc}") from None
