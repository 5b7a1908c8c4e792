"""Getting a torch_dwn model out of a file or memory, without running its code.

``torch.save(model)`` files are loaded with ``torch.load(weights_only=True)`` and the stand-ins
of :mod:`.standins` allow-listed; a file that names a torch_dwn class gatecomp does not read is
refused in one line, a file of another library is passed on to the next frontend. State_dicts
are read from their wrapper (:mod:`.state_dict`).
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import torch
from torch import nn

from ...errors import GatecompError, UnknownFormatError
from ..checkpoint import model_file
from .modules import is_dwn_module
from .read import Parsed, read_modules
from .standins import SAFE_GLOBALS, STAND_INS
from .state_dict import read_state_dict

_UNSUPPORTED = re.compile(r"Unsupported global: GLOBAL (\S+)")


def load_file(path: str | Path) -> object:
    """The unpickled object, torch_dwn classes as stand-ins; errors as one line.

    torch's own ``nn`` modules the pickle names are allow-listed too (they only hold state
    here), so a model with, say, a ``ReLU`` is refused by name by the reader rather than
    passed on as a file of another library."""
    path = model_file(path)
    safe = list(SAFE_GLOBALS)
    for _ in range(64):  # one retry per torch.nn class the allow-list lacks
        try:
            with torch.serialization.safe_globals(safe):
                return torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - every failure becomes one readable line
            m = _UNSUPPORTED.search(str(exc))
            name = m.group(1) if m else ""
            if name.startswith("torch_dwn."):
                known = ", ".join(sorted(n.rsplit(".", 1)[1] for n in STAND_INS))
                raise GatecompError(f"{path}: {name} is not a torch_dwn 1.1.1 class gatecomp "
                                    f"reads (it reads {known})") from None
            cls = _torch_module(name)
            if cls is None:
                raise UnknownFormatError(str(path)) from None
            safe.append(cls)
    raise UnknownFormatError(str(path))


def _torch_module(name: str) -> type | None:
    """torch's ``nn`` module class ``name`` (``torch.nn.modules.activation.ReLU``), or None."""
    module, _, cls = name.rpartition(".")
    if not module.startswith("torch.nn.modules."):
        return None
    found = getattr(importlib.import_module(module), cls, None)
    return found if isinstance(found, type) and issubclass(found, nn.Module) else None


def parse(obj: object, label: str) -> tuple[Parsed, str]:
    """``(layers, format)`` of a loaded object, or UnknownFormatError when not torch_dwn's."""
    if isinstance(obj, nn.Module):
        if not is_dwn_module(obj):
            raise UnknownFormatError(label)
        fmt = "module" if label.startswith("<in-memory") else "torch_dwn.pickle"
        return read_modules(obj, label), fmt
    if isinstance(obj, dict):
        return read_state_dict(obj, label), "torch_dwn.state_dict"
    raise UnknownFormatError(label)
