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
