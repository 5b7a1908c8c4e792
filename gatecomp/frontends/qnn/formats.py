"""The ``gatecomp.qnn`` checkpoint: a quantized network in its integer form, as a plain dict.

Like ``gatecomp.bnn``, it stores what the hardware computes — the :mod:`gatecomp.nn.integer`
layers every low-bit network is folded into — not the training state, so
``torch.load(weights_only=True)`` reads it::

    {"format": "gatecomp.qnn", "version": 1,
     "layers": [{"type": "linear", "in_dim": 128, "out_dim": 64, "in_bits": 2, "levels": 3},
                ..., {"type": "scores", "in_dim": 64, "num_classes": 10, "in_bits": 2}],
     "state_dict": {"0.weight": int64 (out, in), "0.bias": int64 (out,),
                    "0.thresholds": int64 (out, levels), ..., "<last>.weight", "<last>.bias"},
     "encoding": {...} | None, "dataset": {...} | None, "metrics": {...}, "folding": {...},
     "training": {...}}

Every field, layer-spec key and state_dict entry is read or refused (:mod:`.strict`):
``training`` (and ``brevitas``, a float state the layers were folded from) are recorded
provenance, the rest defines the network; ``in_bits`` is required (the first layer's code width
is nowhere else) and spec sizes must equal the tensors'.

:func:`read_file` sniffs a file and raises :class:`UnknownFormatError` for anything else, so
the frontend registry can offer the file to the next frontend.
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from ...errors import GatecompError
from ...nn import IntLinear, IntScores, check_chain
from ..checkpoint import read_checkpoint, save_checkpoint
from ..strict import (
    COMMON_STATE,
    ModuleState,
    check_module,
    check_spec_sizes,
    layer_module,
    layer_spec,
    layer_tensors,
    module_where,
    read_layer_list,
    refuse_hooks,
    refuse_unknown_fields,
)

FORMAT = "gatecomp.qnn"
VERSION = 1
#: top-level fields of a checkpoint: all read (``training``/``brevitas`` recorded as provenance)
FIELDS = ("format", "version", "layers", "state_dict", "encoding", "dataset", "metrics",
          "folding", "training", "brevitas")
#: per layer type: (spec keys, state_dict tensors)
LAYERS = {"linear": (("type", "in_dim", "out_dim", "in_bits", "levels"),
                     ("weight", "bias", "thresholds")),
          "scores": (("type", "in_dim", "num_classes", "in_bits"), ("weight", "bias"))}
TENSORS = {kind: tensors for kind, (_, tensors) in LAYERS.items()}


def _module_state() -> dict[type, ModuleState]:
    """What :func:`integer_layers` reads of gatecomp's own classes (any other one must bring a
    ``fold()``, the documented protocol, and no hooks)."""
    from ...nn import QuantLinear, QuantScores

    return {**COMMON_STATE,
            IntLinear: ModuleState(("in_bits",), buffers=("weight", "bias", "thresholds")),
            IntScores: ModuleState(("in_bits",), buffers=("weight", "bias")),
            QuantLinear: ModuleState(("weight_bits", "act_bits", "in_bits"), ("weight", "scale"),
                                     ("mask",), ("bn",)),
            QuantScores: ModuleState(("weight_bits", "in_bits"), ("weight", "scale", "bias"),
                                     ("mask",))}


SUPPORTED_MODULES = ("IntLinear/QuantLinear layers, then IntScores/QuantScores (Flatten, "
                     "Identity skipped; other layers need a fold())")


def integer_layers(module: nn.Module | list[nn.Module], label: str = "<in-memory model>"
                   ) -> list[nn.Module]:
    """The integer layers of ``module``: a (nested) ``nn.Sequential`` or list whose layers are
    :class:`IntLinear` / :class:`IntScores` or have a ``fold()`` returning one (``nn.Flatten``
    and ``nn.Identity`` skipped). gatecomp's own classes must carry only the state they read
    (:func:`.strict.check_module`); raises ``ValueError`` for anything else or a broken chain,
    :class:`GatecompError` for unread state or hooks."""
    table = _module_state()
    stack = [(str(i), m) for i, m in enumerate(module)] \
        if isinstance(module, (list, tuple, nn.Sequential)) else [("0", module)]
    out: list[nn.Module] = []
    while stack:
        name, m = stack.pop(0)
        where = module_where(label, name, m)
        if type(m) in table or isinstance(m, tuple(table)) or type(m).__module__.startswith(
                "gatecomp."):
            check_module(m, where, table, SUPPORTED_MODULES)
        else:
            refuse_hooks(m, where)
        if isinstance(m, nn.Sequential):
            stack = [(f"{name}.{i}", c) for i, c in enumerate(m)] + stack
        elif isinstance(m, (nn.Flatten, nn.Identity)):
            continue
        elif isinstance(m, (IntLinear, IntScores)):
            out.append(m)
        elif callable(getattr(m, "fold", None)):
            folded = m.fold()
            stack = [(f"{name}.fold", f) for f in (
                [*folded] if isinstance(folded, (list, tuple, nn.Sequential)) else [folded])
            ] + stack
        else:
            raise ValueError(f"unsupported layer {type(m).__module__}.{type(m).__qualname__}")
    check_chain(out)
    return out


def qnn_checkpoint(module: nn.Module | list[nn.Module], *, encoding: object = None,
                   dataset: dict | None = None, metrics: dict | None = None,
                   folding: dict | None = None, **extra: object) -> dict:
    """Our checkpoint dict for a network of integer layers (or layers that fold into them)."""
    layers, sd = [], {}
    for i, m in enumerate(integer_layers(module)):
        sd[f"{i}.weight"] = m.weight.detach().cpu().clone().contiguous()
        sd[f"{i}.bias"] = m.bias.detach().cpu().clone().contiguous()
        if isinstance(m, IntLinear):
            layers.append({"type": "linear", "in_dim": m.in_dim, "out_dim": m.out_dim,
                           "in_bits": m.in_bits, "levels": m.levels})
            sd[f"{i}.thresholds"] = m.thresholds.detach().cpu().clone().contiguous()
        else:
            layers.append({"type": "scores", "in_dim": m.in_dim, "num_classes": m.num_classes,
                           "in_bits": m.in_bits})
    refuse_unknown_fields("qnn_checkpoint", extra, FIELDS[8:], "extra")
    if encoding is not None and not isinstance(encoding, dict):
        encoding = encoding.to_dict()
    return {"format": FORMAT, "version": VERSION, "layers": layers, "state_dict": sd,
            "encoding": encoding, "dataset": dataset, "metrics": metrics or {},
            "folding": folding or {}, **extra}


def save_qnn(path: str | Path, module: nn.Module | list[nn.Module], **kwargs: object) -> Path:
    """Write :func:`qnn_checkpoint` to ``path`` with ``torch.save``; returns the path."""
    return save_checkpoint(path, qnn_checkpoint(module, **kwargs))


def read_file(path: str | Path) -> dict:
    """Load ``path`` if it is a ``gatecomp.qnn`` checkpoint, else raise UnknownFormatError."""
    return read_checkpoint(path, FORMAT)


def parse_checkpoint(ckpt: dict, source: str) -> list[nn.Module]:
    """The integer layers stored in a ``gatecomp.qnn`` checkpoint dict (validated chain).

    Every field, spec key and state_dict entry must be one this reader consumes.
    """
    mods = read_layer_list(ckpt, source, FORMAT, VERSION, FIELDS, TENSORS, _layer)
    try:
        check_chain(mods)
    except ValueError as exc:
        raise GatecompError(f"{source}: {exc}") from None
    return mods


def _layer(source: str, i: int, spec: object, sd: dict, consumed: set[str]) -> nn.Module:
    """Layer ``i`` from its spec and its state_dict tensors (marked consumed)."""
    kind, where, keys = layer_spec(source, i, spec, LAYERS)
    if "in_bits" not in spec:
        raise GatecompError(f"{where}: the spec lacks 'in_bits' (the width of the codes it "
                            "reads is stated nowhere else)")
    tensors = layer_tensors(sd, i, keys, where, consumed)
    cls = IntLinear if kind == "linear" else IntScores
    m = layer_module(where, lambda: cls(*tensors, in_bits=int(spec["in_bits"])))
    check_spec_sizes(where, spec, {"in_dim": m.in_dim, "out_dim": m.out_dim,
                                   "levels": getattr(m, "levels", None),
                                   "num_classes": getattr(m, "num_classes", None)})
    return m
