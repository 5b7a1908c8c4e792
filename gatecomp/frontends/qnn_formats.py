"""The ``gatecomp.qnn`` checkpoint: a quantized network in its integer form, as a plain dict.

Like ``gatecomp.bnn``, it stores what the hardware computes — the :mod:`gatecomp.nn.integer`
layers every low-bit network is folded into — not the training state, so
``torch.load(weights_only=True)`` reads it::

    {"format": "gatecomp.qnn", "version": 1,
     "layers": [{"type": "linear", "in_dim": 128, "out_dim": 64, "in_bits": 2, "levels": 3},
                ..., {"type": "scores", "in_dim": 64, "num_classes": 10, "in_bits": 2}],
     "state_dict": {"0.weight": int64 (out, in), "0.bias": int64 (out,),
                    "0.thresholds": int64 (out, levels), ..., "<last>.weight", "<last>.bias"},
     "encoding": {...} | None, "dataset": {...} | None, "metrics": {...}, "folding": {...}}

:func:`read_file` sniffs a file and raises :class:`UnknownFormatError` for anything else, so
the frontend registry can offer the file to the next frontend.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..errors import GatecompError
from ..nn import IntLinear, IntScores, check_chain
from .checkpoint import read_checkpoint, save_checkpoint

FORMAT = "gatecomp.qnn"
VERSION = 1


def integer_layers(module: nn.Module | list[nn.Module]) -> list[nn.Module]:
    """The integer layers of ``module``: a (nested) ``nn.Sequential`` or list whose layers are
    :class:`IntLinear` / :class:`IntScores` or have a ``fold()`` returning one (``nn.Flatten``
    and ``nn.Identity`` skipped). Raises ``ValueError`` for anything else or a broken chain."""
    stack = list(module) if isinstance(module, (list, tuple, nn.Sequential)) else [module]
    out: list[nn.Module] = []
    while stack:
        m = stack.pop(0)
        if isinstance(m, nn.Sequential):
            stack = list(m) + stack
        elif isinstance(m, (nn.Flatten, nn.Identity)):
            continue
        elif isinstance(m, (IntLinear, IntScores)):
            out.append(m)
        elif callable(getattr(m, "fold", None)):
            folded = m.fold()
            stack = ([*folded] if isinstance(folded, (list, tuple, nn.Sequential))
                     else [folded]) + stack
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
    """The integer layers stored in a ``gatecomp.qnn`` checkpoint dict (validated chain)."""
    if ckpt.get("version") != VERSION:
        raise GatecompError(f"{source}: unsupported {FORMAT} version {ckpt.get('version')!r} "
                            f"(this gatecomp reads version {VERSION})")
    specs, sd = ckpt.get("layers"), ckpt.get("state_dict")
    if not isinstance(specs, list) or not isinstance(sd, dict) or not specs:
        raise GatecompError(f"{source}: {FORMAT} checkpoint lacks a 'layers' list or "
                            "'state_dict' dict")
    mods: list[nn.Module] = []
    for i, spec in enumerate(specs):
        kind = spec.get("type") if isinstance(spec, dict) else None
        keys = {"linear": ("weight", "bias", "thresholds"), "scores": ("weight", "bias")}.get(kind)
        if keys is None:
            raise GatecompError(f"{source}: layer {i}: unsupported layer type {kind!r} "
                                "(supported: 'linear', 'scores')")
        tensors = [sd.get(f"{i}.{k}") for k in keys]
        missing = [k for k, t in zip(keys, tensors, strict=True) if not isinstance(t, torch.Tensor)]
        if missing:
            raise GatecompError(f"{source}: layer {i} ({kind}): state_dict lacks "
                                f"'{i}.{missing[0]}'")
        try:
            cls = IntLinear if kind == "linear" else IntScores
            mods.append(cls(*tensors, in_bits=int(spec.get("in_bits", 1))))
        except (ValueError, TypeError, RuntimeError) as exc:
            raise GatecompError(f"{source}: layer {i} ({kind}): {exc}") from None
    try:
        check_chain(mods)
    except ValueError as exc:
        raise GatecompError(f"{source}: {exc}") from None
    return mods
