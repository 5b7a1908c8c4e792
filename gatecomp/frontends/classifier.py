"""What the classifier frontends share: loading a source, its ports, its AIG and its summaries.

The DLGN, BNN and QNN frontends each end in per-class words (``count0..`` / ``score0..``) and
``pred``, their first-index argmax; the BNN and QNN loaders read a checkpoint's metadata and
the caller's overrides the same way, and record the same fields of a model in its net's meta
and its ``gatecomp info`` summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np

from ..aig import AIG, AIGBuilder, Port, bit_names
from ..errors import GatecompError
from ..synth.arith import argmax_first

#: the checkpoint fields a loader passes on to its model as they are
CHECKPOINT_EXTRA = ("encoding", "dataset", "metrics")


@dataclass
class Loaded:
    """What a loader read of a source, before it is assembled into a model."""

    layers: object
    label: str
    fmt: str
    extra: dict = field(default_factory=dict)
    folding: dict = field(default_factory=dict)
    origin: object = None
    imported: object = None


def in_memory_label(source: object) -> str:
    """``"<in-memory Sequential>"``: how a model given as an object is named in messages."""
    return f"<in-memory {type(source).__name__}>"


def checkpoint_metadata(ckpt: dict) -> tuple[dict, dict]:
    """``(extra, folding)`` of a checkpoint dict: its :data:`CHECKPOINT_EXTRA` fields and a
    copy of its ``folding`` record."""
    return {k: ckpt.get(k) for k in CHECKPOINT_EXTRA}, dict(ckpt.get("folding") or {})


def read_checkpoint_source(path: str | Path, formats: ModuleType) -> Loaded:
    """The layers and metadata of a checkpoint of ``formats`` (a ``formats`` module with
    ``FORMAT``, ``read_file`` and ``parse_checkpoint``)."""
    label = str(path)
    ckpt = formats.read_file(path)
    layers = formats.parse_checkpoint(ckpt, label)
    extra, folding = checkpoint_metadata(ckpt)
    return Loaded(layers, label, formats.FORMAT, extra, folding)


def with_overrides(extra: dict, encoding: object, dataset: object) -> dict:
    """``extra`` with the caller's ``encoding`` / ``dataset`` in place of the source's."""
    if encoding is not None:
        extra["encoding"] = encoding
    if dataset is not None:
        extra["dataset"] = dataset
    return extra


def parse_encoding(enc: object, source: str, from_dict: Callable[[dict], object]) -> object:
    """``enc``, read with ``from_dict`` where it is a dict (a bad one named for ``source``)."""
    if not isinstance(enc, dict):
        return enc
    try:
        return from_dict(enc)
    except ValueError as exc:
        raise GatecompError(f"{source}: bad input encoding: {exc}") from None


def class_ports(prefix: str, num_classes: int, width: int) -> tuple[Port, ...]:
    """``{prefix}0..{prefix}{k-1}`` of ``width`` bits each, then ``pred`` (a class index)."""
    pw = max(1, (num_classes - 1).bit_length())
    return (*(Port(f"{prefix}{c}", width) for c in range(num_classes)), Port("pred", pw))


def classifier_aig(builder: AIGBuilder, words: np.ndarray, out_ports: tuple[Port, ...]) -> AIG:
    """The AIG whose outputs are the class ``words`` (one literal row each) and ``pred``."""
    pred = argmax_first(builder, list(words))
    return builder.build(np.concatenate([*words, pred]), bit_names(out_ports))


def _encoding_dict(model) -> dict | None:
    return None if model.encoding is None else model.encoding.to_dict()


def net_meta(frontend: str, model, **fields: object) -> dict:
    """A lowered net's meta: the frontend, the model's source, format and input width, then
    ``fields``, then its encoding and folding record."""
    return {"frontend": frontend, "source": model.source, "format": model.format,
            "input_width": model.input_width, **fields,
            "encoding": _encoding_dict(model), "folding": model.folding}


def describe_model(model, layers: list[dict], **fields: object) -> dict:
    """A ``gatecomp info`` summary: the model's source, format and input width, then
    ``fields``, the per-layer ``layers``, its folding, encoding, dataset and metrics."""
    return {"source": model.source, "format": model.format, "input_width": model.input_width,
            **fields, "layers": layers, "folding": model.folding,
            "encoding": _encoding_dict(model), "dataset": model.dataset,
            "metrics": model.metrics}
