"""Importing torchlogix's layers where torchlogix is installed, whatever the Python.

torchlogix 0.2.2's package ``__init__`` imports its ``Circuit`` exporter, whose f-strings need
Python 3.12; its layers and models need only torch. On an older Python the package is entered
without its ``__init__`` (a bare package module over the installed folder), so its layers' own
eval code can still serve as the reference a compiled circuit is checked against. Install it
with ``pip install --no-deps torchlogix==0.2.2``: its declared dependencies (torchvision,
torch-geometric) are not needed for the layers and would replace the CPU torch.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from importlib import metadata

from torch import nn

from ...errors import GatecompError

#: how to install torchlogix so that its layers can serve as the reference
INSTALL = "pip install --no-deps torchlogix==0.2.2"


def torchlogix_version() -> str | None:
    """The installed torchlogix version, or None."""
    try:
        return metadata.version("torchlogix")
    except metadata.PackageNotFoundError:
        return None


def import_torchlogix() -> types.ModuleType | None:
    """The ``torchlogix`` package with ``layers`` and ``modules`` imported, or None."""
    if torchlogix_version() is None:
        return None
    try:
        importlib.import_module("torchlogix.layers")
    except SyntaxError:
        _enter_without_init()
    importlib.import_module("torchlogix.modules")
    return sys.modules["torchlogix"]


def _enter_without_init() -> None:
    spec = importlib.util.find_spec("torchlogix")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("torchlogix is installed but its package folder was not found")
    package = types.ModuleType("torchlogix")
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    package.__file__ = spec.origin
    sys.modules["torchlogix"] = package
    importlib.import_module("torchlogix.layers")


def not_installed_reason() -> str:
    """Why a check runs against gatecomp's reading only when torchlogix is missing."""
    return f"torchlogix is not installed here: {INSTALL} to check against its forward"


def load_strictly(module: nn.Module, state_dict: dict, what: str) -> None:
    """``module.load_state_dict(state_dict, strict=True)``; ``what`` names the module in the
    one-line error (torchlogix, too, must take every entry)."""
    try:
        module.load_state_dict(state_dict, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise GatecompError(f"{what} does not take this state_dict ({first[:200]})") from None
