"""Getting a torchlogix model out of a file, a wrapper dict or memory, without running its code.

* ``torch.save(model)`` files: ``torch.load(weights_only=True)`` with the stand-ins of
  :mod:`.standins` allow-listed. Zoo classes (``torchlogix.models.*``: Dlgn..., Clgn...) are
  ``nn.Sequential`` subclasses with a constructor only, so each zoo name the file refers to gets
  a ``Sequential`` stand-in of that name (``CNN`` and ``RandomlyConnectedNN`` wrap theirs in
  ``.model``); any other class is refused.
* ``{"state_dict": ..., "model": "ClgnMnistTiny", "model_kwargs": {...}}`` wrappers (or a bare
  state_dict with ``--arch``): the architecture is built by torchlogix's own zoo class (so
  torchlogix must be installed) and takes the state_dict with ``load_state_dict(strict=True)``.
"""

from __future__ import annotations

import pickletools
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from ...errors import GatecompError, UnknownFormatError
from ..checkpoint import model_file
from ..dlgn.torchlogix_import import INSTALL, import_torchlogix, load_strictly, torchlogix_version
from .standins import SAFE_GLOBALS, STAND_INS, StandIn

#: zoo modules whose Sequential subclasses a pickled model may name
ZOO_MODULES = ("torchlogix.models.dense", "torchlogix.models.conv")
#: zoo classes whose forward is ``self.model(x)``
ZOO_WRAPPERS = {"torchlogix.models.conv.CNN", "torchlogix.models.nn.RandomlyConnectedNN"}
#: wrapper fields a state_dict checkpoint may carry
WRAPPER_FIELDS = ("state_dict", "model_state_dict", "model", "arch", "model_kwargs")
_UNSUPPORTED = re.compile(r"Unsupported global: GLOBAL (\S+)")


class ZooSequential(nn.Sequential):
    """Base of the stand-ins for zoo ``nn.Sequential`` subclasses (Sequential's forward)."""


class ZooWrapper(StandIn):
    """Base of the stand-ins for zoo modules whose forward is ``self.model(x)``."""


@dataclass
class Source:
    """A torchlogix model as found: its module tree and how it was stored."""

    module: nn.Module
    label: str
    format: str
    arch: dict = field(default_factory=dict)


def load_file(path: str | Path) -> object:
    """The unpickled object, torchlogix classes as stand-ins; errors as one line."""
    path = model_file(path)
    return load_file_with(path, lambda name: _zoo_stand_in(name, path), SAFE_GLOBALS)


def load_file_with(path: Path, resolve: Callable[[str], type | None],
                   safe: list | None = None) -> object:
    """``torch.load(weights_only=True)`` allowing ``safe`` plus, for each torchlogix class the
    file names, ``resolve(name)`` (None: refuse the file)."""
    extra: list = list(safe if safe is not None else _real_safe())
    for _ in range(64):  # one retry per class the allow-list lacks
        try:
            with torch.serialization.safe_globals(extra):
                return torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - every failure becomes one readable line
            name = _unsupported_global(exc)
            cls = resolve(name) if name and name.startswith("torchlogix.") else None
            if cls is None:
                _refuse_foreign(path, name)
            extra.append((cls, name))
    raise GatecompError(f"{path}: the pickle names too many torchlogix classes")


def _real_safe() -> list:
    from .own_forward import real_safe_globals

    return real_safe_globals()


def _refuse_foreign(path: Path, name: str | None) -> None:
    """A torchlogix model holding a class gatecomp does not read is refused naming that class;
    any other unreadable file is left to the next frontend."""
    if name is not None and any(g.startswith("torchlogix.") for g in pickled_globals(path)):
        raise GatecompError(f"{path}: the torchlogix model holds {name}, which is not a layer "
                            "gatecomp reads (nothing of the file was run)")
    raise UnknownFormatError(str(path))


def pickled_globals(path: Path) -> set[str]:
    """The ``module.name`` globals a ``torch.save`` zip's pickle refers to, read without
    unpickling (protocol-2 GLOBAL opcodes, as torch.save writes)."""
    try:
        with zipfile.ZipFile(path) as zf:
            data = next((zf.read(n) for n in zf.namelist() if n.endswith("data.pkl")), b"")
        return {arg.replace(" ", ".") for op, arg, _ in pickletools.genops(data)
                if op.name == "GLOBAL"}
    except (zipfile.BadZipFile, ValueError, OSError, StopIteration):
        return set()


def _unsupported_global(exc: Exception) -> str | None:
    m = _UNSUPPORTED.search(str(exc))
    return m.group(1) if m else None


def _zoo_stand_in(name: str, path: Path) -> type:
    module, _, cls = name.rpartition(".")
    if name in ZOO_WRAPPERS:
        base = ZooWrapper
    elif module in ZOO_MODULES and re.fullmatch(r"(Dlgn|Clgn)\w*", cls):
        base = ZooSequential
    else:
        raise GatecompError(f"{path}: {name} is not a torchlogix 0.2.2 class gatecomp reads "
                            f"(it reads {', '.join(sorted(s.rsplit('.', 1)[1] for s in STAND_INS))}"
                            " and the zoo models)")
    return type(cls, (base,), {"__module__": module, "__qualname__": cls})


def is_torchlogix_module(module: nn.Module) -> bool:
    """Whether any module of the tree is torchlogix's (stand-in or real)."""
    return any(type(m).__module__.startswith("torchlogix.") for m in module.modules())


def source_of(obj: object, label: str, arch: str | None = None,
              arch_kwargs: dict | None = None) -> Source:
    """The :class:`Source` of a loaded object, or UnknownFormatError when not torchlogix."""
    if isinstance(obj, nn.Module):
        if not is_torchlogix_module(obj):
            raise UnknownFormatError(label)
        stored = "module" if label.startswith("<in-memory") else "torchlogix.pickle"
        return Source(obj, label, stored)
    if isinstance(obj, dict):
        return _from_state_dict(obj, label, arch, arch_kwargs)
    raise UnknownFormatError(label)


def _from_state_dict(obj: dict, label: str, arch: str | None, arch_kwargs: dict | None
                     ) -> Source:
    named = obj.get("model", obj.get("arch")) if isinstance(obj.get("model", obj.get("arch")),
                                                              str) else None
    if arch is None and named is None:
        raise UnknownFormatError(label)
    sd = obj.get("state_dict", obj.get("model_state_dict")) if named else obj
    if named is not None:
        unknown = [k for k in obj if k not in WRAPPER_FIELDS]
        if unknown:
            raise GatecompError(f"{label}: checkpoint field {unknown[0]!r} is not understood "
                                f"(a torchlogix wrapper has {', '.join(WRAPPER_FIELDS)})")
    kwargs = dict(obj.get("model_kwargs") or {}) if named else {}
    kwargs.update(arch_kwargs or {})
    name = arch or named
    if not isinstance(sd, dict):
        raise GatecompError(f"{label}: the wrapper has no 'state_dict' dict")
    module = build_zoo_model(name, kwargs, label)
    load_strictly(module, sd, f"{label}: torchlogix's {name}")
    return Source(module, label, "torchlogix.state_dict", {"model": name, "kwargs": kwargs})


def build_zoo_model(name: str, kwargs: dict, label: str) -> nn.Module:
    """torchlogix's zoo class ``name`` built with ``kwargs`` (thresholds as a tensor)."""
    if torchlogix_version() is None:
        raise GatecompError(f"{label}: building {name} from a state_dict needs torchlogix "
                            f"({INSTALL}); a whole pickled model (torch.save(model)) does not")
    tlx = import_torchlogix()
    import importlib

    zoo = importlib.import_module("torchlogix.models")
    cls = getattr(zoo, name, None)
    if not isinstance(cls, type) or not issubclass(cls, nn.Module):
        raise GatecompError(f"{label}: {name!r} is not a torchlogix {tlx.__name__} zoo model "
                            "(see torchlogix.models)")
    if "thresholds" in kwargs and not isinstance(kwargs["thresholds"], torch.Tensor):
        kwargs["thresholds"] = torch.tensor(kwargs["thresholds"], dtype=torch.float32)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError, AssertionError) as exc:
        raise GatecompError(f"{label}: torchlogix's {name}({', '.join(kwargs)}) cannot be "
                            f"built: {exc}") from None
