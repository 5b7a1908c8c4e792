"""The standard-cell library an ASIC estimate maps to: a Liberty file, its cells and area unit.

No PyPI package ships a Liberty file (the sky130/gf180/IHP wheels only point at downloads), so
the default is Debian's ``qflow-tech-osu018``: the OSU 0.18 um cells with table-based timing.
``--asic osu035`` / ``osu050`` name its sibling packages; any other value is a Liberty path.

Liberty has no area unit attribute: the figure is in whatever unit the library's author chose.
Where a LEF of the same cells lies beside the Liberty file and most cells' areas (80 %) equal
their macros' width x height (LEF sizes are microns), the unit is um2 and the report says so;
otherwise it is reported as the library's own unit. The LEF sizes are also summed on their own
(``footprint_um2``): OSU018's Liberty gives OAI21X1 23 and NAND3X1 36 where their macros are
32 x 1 um2, so the two figures differ by a few per cent on real nets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import GatecompError

#: where Debian's qflow-tech-* packages put their technology files
QFLOW_TECH = Path("/usr/share/qflow/tech")
#: shorthand names -> (Liberty path, Debian package)
KNOWN = {"osu018": (QFLOW_TECH / "osu018" / "osu018_stdcells.lib", "qflow-tech-osu018"),
         "osu035": (QFLOW_TECH / "osu035" / "osu035_stdcells.lib", "qflow-tech-osu035"),
         "osu050": (QFLOW_TECH / "osu050" / "osu05_stdcells.lib", "qflow-tech-osu050")}
#: share of cells whose Liberty area must equal their LEF macro's size for the unit to be um2
UM2_AGREEMENT = 0.8
DEFAULT_LIBRARY = "osu018"

_CELL = re.compile(r"\bcell\s*\(\s*\"?([A-Za-z_][\w$]*)\"?\s*\)\s*\{")
_AREA = re.compile(r"\barea\s*:\s*([0-9.eE+-]+)\s*;")
_FF = re.compile(r"\b(ff|latch|ff_bank|latch_bank|statetable)\s*\(")
_LIB_NAME = re.compile(r"\blibrary\s*\(\s*\"?([\w.$-]+)\"?\s*\)")
_MACRO = re.compile(r"^\s*MACRO\s+(\S+)(.*?)^\s*END\s+\1\b", re.MULTILINE | re.DOTALL)
_SIZE = re.compile(r"\bSIZE\s+([0-9.]+)\s+BY\s+([0-9.]+)")


@dataclass(frozen=True)
class CellLibrary:
    """One Liberty library: what the mapper, the timer and the report need of it."""

    name: str  # the Liberty ``library(...)`` name
    path: Path
    areas: dict[str, float]  # cell -> area, in ``area_unit``
    sequential: frozenset[str]  # cells with an ff/latch group (flip-flops, latches)
    area_unit: str  # "um2", or "library unit" when nothing says which
    footprints: dict[str, float] | None  # cell -> LEF macro width x height (um2), if a LEF
    sim_models: Path | None  # Verilog models of the cells beside the Liberty file, if any

    @property
    def area_key(self) -> str:
        """The report's key for the area: ``area_um2`` only where the unit is known."""
        return "area_um2" if self.area_unit == "um2" else "area_library_units"


def resolve_library(spec: str | None) -> CellLibrary:
    """The library ``--asic`` names (None: OSU018); one line naming what to install if absent."""
    spec = spec or DEFAULT_LIBRARY
    if spec in KNOWN:
        path, package = KNOWN[spec]
        if not path.is_file():
            raise GatecompError(f"{spec} Liberty file {path} not found; install it with "
                                f"`apt-get install {package}`")
    else:
        path = Path(spec)
        if not path.is_file():
            raise GatecompError(f"--asic {spec}: no such Liberty file (or give one of "
                                f"{', '.join(KNOWN)})")
    return read_library(path)


def read_library(path: Path) -> CellLibrary:
    """Cells, areas and the area unit of the Liberty file ``path`` (a light scan, not a full
    parser: Yosys, ABC and OpenSTA read the file themselves; we only count and name)."""
    text = Path(path).read_text(errors="replace")
    name = _LIB_NAME.search(text)
    if name is None:
        raise GatecompError(f"{path} is not a Liberty file (no library(...) group)")
    areas, sequential = {}, set()
    starts = list(_CELL.finditer(text))
    for i, m in enumerate(starts):
        body = text[m.end():starts[i + 1].start() if i + 1 < len(starts) else len(text)]
        area = _AREA.search(body)
        areas[m.group(1)] = float(area.group(1)) if area else 0.0
        if _FF.search(body):
            sequential.add(m.group(1))
    if not areas:
        raise GatecompError(f"{path} defines no cells")
    models = Path(path).with_suffix(".v")
    footprints = _lef_footprints(Path(path), set(areas))
    return CellLibrary(name.group(1), Path(path), areas, frozenset(sequential),
                       _area_unit(areas, footprints), footprints,
                       models if models.is_file() else None)


def _lef_footprints(lib: Path, cells: set[str]) -> dict[str, float] | None:
    """Width x height of every macro of a LEF beside ``lib`` that defines all of ``cells``."""
    for lef in sorted(lib.parent.glob("*.lef")):
        sizes = {}
        for m in _MACRO.finditer(lef.read_text(errors="replace")):
            size = _SIZE.search(m.group(2))
            if size is not None:
                sizes[m.group(1)] = float(size.group(1)) * float(size.group(2))
        if cells <= set(sizes):
            return {c: sizes[c] for c in sorted(cells)}
    return None


def _area_unit(areas: dict[str, float], footprints: dict[str, float] | None) -> str:
    """``um2`` when most cells' Liberty areas equal their LEF footprints (within 1 %)."""
    if footprints is None:
        return "library unit"
    sized = [c for c, a in areas.items() if a > 0]
    same = [c for c in sized if abs(footprints[c] - areas[c]) <= 0.01 * areas[c]]
    return "um2" if sized and len(same) >= UM2_AGREEMENT * len(sized) else "library unit"
