"""The ``gatecomp.recurrent`` checkpoint: a :class:`~gatecomp.nn.recurrent.RecurrentLogic`.

A plain dict of plain data and tensors, so ``torch.load(weights_only=True)`` reads it::

    {"format": "gatecomp.recurrent", "version": 1,
     "spec": {"in_dim", "state_dim", "step_widths", "readout_widths", "num_classes", "tau",
              "output": "last" | "each", "learn_init", "parametrization"},
     "state_dict": the module's state_dict ("step.<i>.weights", "step.<i>.indices",
                   "readout.<i>.weights", "readout.<i>.indices", "init_logits"),
     "sequence": {"steps": T, "features_per_step": F},
     "encoding": the per-step input encoding (on F features) | None,
     "dataset": {...} | None, "metrics": {...}, "training": {...}}

``sequence`` says how a sample's raw features become a sequence (row-major, ``F`` features a
step, :func:`gatecomp.nn.recurrent.rows_as_steps`), ``encoding`` how one step's features become
its input bits. Every field and spec key is read or refused, and the state_dict is loaded with
``strict=True`` into a module built from the spec, so no entry is skipped.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ...errors import GatecompError
from ...nn import ThermometerEncoding
from ...nn.recurrent import RecurrentLogic
from ..checkpoint import read_checkpoint, save_checkpoint
from ..strict import refuse_unknown_fields

FORMAT = "gatecomp.recurrent"
VERSION = 1
FIELDS = ("format", "version", "spec", "state_dict", "sequence", "encoding", "dataset",
          "metrics", "training")
SPEC_KEYS = ("in_dim", "state_dim", "step_widths", "readout_widths", "num_classes", "tau",
             "output", "learn_init", "parametrization")
SEQUENCE_KEYS = ("steps", "features_per_step")


def recurrent_checkpoint(module: RecurrentLogic, *, steps: int,
                         encoding: ThermometerEncoding | dict | None = None,
                         dataset: dict | None = None, metrics: dict | None = None,
                         training: dict | None = None) -> dict:
    """Our checkpoint dict for ``module``, trained on sequences of ``steps`` steps."""
    if isinstance(encoding, ThermometerEncoding):
        encoding = encoding.to_dict()
    features = None if encoding is None else int(encoding["num_features"])
    sd = {k: v.detach().cpu().clone().contiguous() for k, v in module.state_dict().items()}
    return {"format": FORMAT, "version": VERSION, "spec": module.spec(), "state_dict": sd,
            "sequence": {"steps": int(steps), "features_per_step": features},
            "encoding": encoding, "dataset": dataset, "metrics": metrics or {},
            "training": training or {}}


def save_recurrent(path: str | Path, module: RecurrentLogic, **kwargs: object) -> Path:
    """Write :func:`recurrent_checkpoint` to ``path`` with ``torch.save``; returns the path."""
    return save_checkpoint(path, recurrent_checkpoint(module, **kwargs))


def read_file(path: str | Path) -> dict:
    """Load ``path`` if it is a ``gatecomp.recurrent`` checkpoint, else UnknownFormatError."""
    return read_checkpoint(path, FORMAT)


def parse_checkpoint(ckpt: dict, source: str) -> RecurrentLogic:
    """The eval-mode module a checkpoint dict describes; every field read or refused."""
    refuse_unknown_fields(source, ckpt, FIELDS, "checkpoint")
    if ckpt.get("version") != VERSION:
        raise GatecompError(f"{source}: {FORMAT} version {ckpt.get('version')!r} is not "
                            f"supported (gatecomp reads version {VERSION})")
    spec, sequence = ckpt.get("spec"), ckpt.get("sequence")
    for name, obj, keys in (("spec", spec, SPEC_KEYS), ("sequence", sequence, SEQUENCE_KEYS)):
        if not isinstance(obj, dict):
            raise GatecompError(f"{source}: the checkpoint's {name!r} is not a dict")
        refuse_unknown_fields(source, obj, keys, name)
        missing = [k for k in keys if k not in obj]
        if missing:
            raise GatecompError(f"{source}: the checkpoint's {name!r} lacks {missing[0]!r}")
    sd = ckpt.get("state_dict")
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise GatecompError(f"{source}: the checkpoint's 'state_dict' is not a dict of tensors")
    try:
        module = RecurrentLogic.from_spec(spec)
        module.load_state_dict(sd, strict=True)
    except (ValueError, TypeError, KeyError, RuntimeError) as exc:
        first = " ".join(str(exc).split())[:300]
        raise GatecompError(f"{source}: the state_dict does not fit the spec: {first}") from None
    return module.eval()
