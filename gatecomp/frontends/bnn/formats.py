"""The ``gatecomp.bnn`` checkpoint: a binary network in its integer form, as a plain dict.

A checkpoint stores what the hardware computes, not the training state: per hidden layer the
0/1 weights, integer thresholds and comparison directions of a
:class:`gatecomp.nn.ThresholdLinear`, and the 0/1 weights of the final
:class:`gatecomp.nn.PopcountScores`. Everything is plain data + tensors, so
``torch.load(weights_only=True)`` reads it::

    {"format": "gatecomp.bnn", "version": 1,
     "layers": [{"type": "threshold", "in_dim": 192, "out_dim": 64}, ...,
                {"type": "scores", "in_dim": 64, "num_classes": 10}],
     "state_dict": {"0.weight_bits": uint8 (out, in), "0.threshold": int64 (out,),
                    "0.direction": int8 (out,), ..., "<last>.weight_bits": uint8 (k, in)},
     "encoding": {...} | None, "dataset": {...} | None, "metrics": {...},
     "folding": {...}, "training": {...}, "brevitas": {...}}

Every field, layer-spec key and state_dict entry is read or refused (:mod:`.strict`):
``folding`` (how the layers were obtained) and the provenance fields ``training`` (the training
configuration) and ``brevitas`` (the float state the layers were folded from) are recorded, the
rest defines the network. Spec sizes must equal the tensors', and thresholds, directions and
weight bits must hold integers (a float threshold would be truncated, not read).

:func:`read_file` sniffs a file and raises :class:`UnknownFormatError` for anything that is not
this format, so the frontend registry can offer the file to the next frontend.
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from ...nn import PopcountScores, ThermometerEncoding, ThresholdLinear, fold_binary
from ..checkpoint import read_checkpoint, save_checkpoint
from ..strict import (
    check_spec_sizes,
    layer_module,
    layer_spec,
    layer_tensors,
    read_layer_list,
    refuse_unknown_fields,
)

FORMAT = "gatecomp.bnn"
VERSION = 1
#: top-level fields of a checkpoint: all read (the provenance ones recorded, see above)
FIELDS = ("format", "version", "layers", "state_dict", "encoding", "dataset", "metrics",
          "folding", "training", "brevitas")
#: per layer type: (spec keys, state_dict tensors)
LAYERS = {"threshold": (("type", "in_dim", "out_dim"), ("weight_bits", "threshold", "direction")),
          "scores": (("type", "in_dim", "num_classes"), ("weight_bits",))}
TENSORS = {kind: tensors for kind, (_, tensors) in LAYERS.items()}


def bnn_checkpoint(module: nn.Module, *, encoding: ThermometerEncoding | dict | None = None,
                   dataset: dict | None = None, metrics: dict | None = None,
                   **extra: object) -> dict:
    """Our checkpoint dict for a network of :mod:`gatecomp.nn.binary` layers (folded first)."""
    layers, sd = [], {}
    for i, m in enumerate(fold_binary(module)):
        sd[f"{i}.weight_bits"] = m.weight_bits.detach().cpu().clone().contiguous()
        if isinstance(m, ThresholdLinear):
            layers.append({"type": "threshold", "in_dim": m.in_dim, "out_dim": m.out_dim})
            sd[f"{i}.threshold"] = m.threshold.detach().cpu().clone().contiguous()
            sd[f"{i}.direction"] = m.direction.detach().cpu().clone().contiguous()
        else:
            layers.append({"type": "scores", "in_dim": m.in_dim, "num_classes": m.num_classes})
    refuse_unknown_fields("bnn_checkpoint", extra, FIELDS[7:], "extra")
    if isinstance(encoding, ThermometerEncoding):
        encoding = encoding.to_dict()
    return {"format": FORMAT, "version": VERSION, "layers": layers, "state_dict": sd,
            "encoding": encoding, "dataset": dataset, "metrics": metrics or {}, **extra}


def save_bnn(path: str | Path, module: nn.Module, **kwargs: object) -> Path:
    """Write :func:`bnn_checkpoint` to ``path`` with ``torch.save``; returns the path."""
    return save_checkpoint(path, bnn_checkpoint(module, **kwargs))


def read_file(path: str | Path) -> dict:
    """Load ``path`` if it is a ``gatecomp.bnn`` checkpoint, else raise UnknownFormatError."""
    return read_checkpoint(path, FORMAT)


def parse_checkpoint(ckpt: dict, source: str) -> nn.Sequential:
    """The integer-only ``nn.Sequential`` stored in a ``gatecomp.bnn`` checkpoint dict.

    Every field, spec key and state_dict entry must be one this reader consumes.
    """
    mods = read_layer_list(ckpt, source, FORMAT, VERSION, FIELDS, TENSORS, _layer)
    return nn.Sequential(*mods).eval()


def _layer(source: str, i: int, spec: object, sd: dict, consumed: set[str]) -> nn.Module:
    """Layer ``i`` from its spec and its state_dict tensors (marked consumed)."""
    kind, where, keys = layer_spec(source, i, spec, LAYERS)
    tensors = layer_tensors(sd, i, keys, where, consumed)
    cls = ThresholdLinear if kind == "threshold" else PopcountScores
    m = layer_module(where, lambda: cls(*tensors))
    sizes = {"in_dim": m.in_dim, "out_dim": getattr(m, "out_dim", None),
             "num_classes": getattr(m, "num_classes", None)}
    check_spec_sizes(where, spec, sizes)
    return m
