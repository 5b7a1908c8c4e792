"""Mapping the RTL onto a Liberty library with Yosys and ABC, and reading back what came out.

The RTL (``rtl/NAME.v``), not ``NAME.aig``, is mapped: it holds the stream wrapper and the
pipeline registers, which an ASIC pays for. Yosys elaborates it without its own generic
``synth`` (ABC restructures the whole combinational logic anyway, and Yosys' flop
optimisations would blur the register count), maps the flip-flops with ``dfflibmap`` (OSU018
has no enable or reset flop: the clock enable and the valid bits' synchronous reset become
gates in front of ``DFFPOSX1``), and ABC maps the logic delay-first with the library's timing
(``&nf``), buffers and resizes, and prints its own delay (``stime -p``).

Counts and area are read from the written netlist with the library's areas, and checked
against Yosys' ``stat -liberty``; a cell the library does not define (an unmapped ``$_AND_``)
is an error, as is a step whose log line is missing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..errors import GatecompError
from .library import CellLibrary
from .tools import require_lines, run_tool

#: ABC's delay target (ps) for ``&nf``/``upsize``/``dnsize``: below any real path, so ABC maps
#: for its least delay and recovers area only where that does not lengthen the critical path
DELAY_TARGET_PS = 1
MAP_SCRIPT = "map.ys"
ABC_SCRIPT = "map.abc"
YOSYS_LOG = "yosys.log"

_STIME = re.compile(r"ABC: WireLoad.*?Area\s*=\s*([0-9.]+).*?Delay\s*=\s*([0-9.]+)\s*ps")
_CHIP_AREA = re.compile(r"Chip area for (?:top )?module '[^']*':\s*([0-9.]+)")
_INSTANCE = re.compile(r"^\s*(\\?[A-Za-z_$][\w$]*)\s+(\\?\S+)\s*\(", re.MULTILINE)
_VERSION = re.compile(r"^(Yosys \S+)", re.MULTILINE)


@dataclass(frozen=True)
class Mapped:
    """The mapped netlist's figures."""

    cell_types: dict[str, int]  # cell -> instances, by name
    cells: int
    flops: int  # instances of the library's sequential cells
    area: float  # sum of the instances' Liberty areas (equals Yosys' stat -liberty)
    footprint_um2: float | None  # sum of their LEF footprints, where the library has a LEF
    abc_delay_ns: float  # ABC's own estimate of the longest combinational path
    yosys: str  # version line


def abc_script(delay_ps: int = DELAY_TARGET_PS) -> str:
    """ABC's script: Yosys' Liberty flow (``&nf``) plus sizing, ending in ``stime -p``."""
    d = f"-D {delay_ps}"
    return (f"strash; &get -n; &fraig -x; &put; scorr; dc2; dretime; strash; &get -n; "
            f"&dch -f; &nf {d}; &put; buffer -p; upsize {d}; dnsize {d}; stime -p\n")


def yosys_script(rtl: str, top: str, liberty: Path, netlist: str) -> str:
    """Yosys' script, run in ``asic/``: elaborate, map flops and logic, count, write."""
    lib = str(liberty)
    return "\n".join([
        f"read_verilog {rtl}",
        f"hierarchy -check -top {top}",
        "proc; flatten; opt_expr; opt_clean",
        "techmap; opt -fast",
        f"dfflibmap -liberty {lib}",
        f"abc -liberty {lib} -script {ABC_SCRIPT}",
        # internal wire names go, so aliases merge and OpenSTA reads plain assigns
        "rename -hide w:* i:* o:* %u %d",
        "opt_clean -purge",
        f"stat -liberty {lib}",
        f"write_verilog -noattr -noexpr -simple-lhs {netlist}",
        "",
    ])


def map_rtl(yosys: str, work: Path, rtl: str, top: str, lib: CellLibrary) -> Mapped:
    """Map ``rtl`` (a path relative to ``work``) to ``work/TOP.v``; its figures."""
    netlist = f"{top}.v"
    (work / ABC_SCRIPT).write_text(abc_script())
    (work / MAP_SCRIPT).write_text(yosys_script(rtl, top, lib.path, netlist))
    log = run_tool([yosys, MAP_SCRIPT], work, work / YOSYS_LOG, "yosys (ASIC mapping)")
    require_lines(log, {"dfflibmap": "Executing DFFLIBMAP pass",
                        "abc": "ABC RESULTS:", "abc stime -p": "ABC: WireLoad",
                        "stat -liberty": "Chip area for", "write_verilog":
                        f"Dumping module `\\{top}'"}, "yosys (ASIC mapping)")
    types = count_cells(work / netlist, lib)
    area = sum(lib.areas[c] * n for c, n in types.items())
    stat_area = float(_CHIP_AREA.findall(log)[-1])
    if abs(stat_area - area) > 1e-6 * max(area, 1.0) + 1e-3:
        raise GatecompError(f"mapped netlist area {area:g} differs from yosys stat's "
                            f"{stat_area:g}: the netlist was not read as written")
    stime = _STIME.findall(log)[-1]
    fp = (None if lib.footprints is None
          else sum(lib.footprints[c] * n for c, n in types.items()))
    version = _VERSION.search(log)
    return Mapped(dict(sorted(types.items())), sum(types.values()),
                  sum(n for c, n in types.items() if c in lib.sequential), area, fp,
                  float(stime[1]) / 1000.0, version.group(1) if version else "Yosys")


def count_cells(netlist: Path, lib: CellLibrary) -> Counter:
    """Instances by cell type in a Yosys netlist; any type the library lacks is an error."""
    text = netlist.read_text()
    body = text[text.find(");") + 2:] if ");" in text else text  # after the port list
    types = Counter(m.group(1) for m in _INSTANCE.finditer(body)
                    if m.group(1) not in ("module", "input", "output", "wire", "assign",
                                          "inout", "reg"))
    foreign = sorted(set(types) - set(lib.areas))
    if foreign:
        raise GatecompError(f"yosys left {sum(types[c] for c in foreign)} cells unmapped to "
                            f"{lib.name} (e.g. {foreign[0]}); see {netlist.parent / YOSYS_LOG}")
    return types
