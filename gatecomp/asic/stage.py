"""The compile stage behind ``--asic``: map and time the RTL, keep ``asic/`` and its figures.

It runs before the build directory is written, in a scratch directory laid out like the build
(``rtl/NAME.v``, ``asic/``), so a failing tool leaves nothing behind, like every other check;
:meth:`AsicBuild.write` then puts ``asic/`` into the finished build. The scripts there read
``../rtl/NAME.v`` and the library by its absolute path, so ``yosys map.ys`` and
``sta -exit sta.tcl`` in ``asic/`` redo exactly what the compile did.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..sidecar import Sidecar
from .library import CellLibrary, resolve_library
from .synth import DELAY_TARGET_PS, Mapped, map_rtl
from .timing import Timing, time_netlist
from .tools import find_asic_tools

ASIC_DIR = "asic"
CONSTRAINTS = ("one clock; inputs at its edge, outputs by the next; ideal input drive, no "
               "output load, no wire load (pre-layout)")


@dataclass(frozen=True)
class AsicBuild:
    """``report.json["asic"]`` and the files of ``asic/`` (name -> text)."""

    report: dict
    files: dict[str, str]

    def write(self, out_dir: Path) -> None:
        """Write ``out_dir/asic/``."""
        target = Path(out_dir) / ASIC_DIR
        target.mkdir(exist_ok=True)
        for name, text in self.files.items():
            (target / name).write_text(text)


def prepare(spec: str | None) -> CellLibrary:
    """The library and the tools, checked before a compile spends time on anything else."""
    find_asic_tools()
    return resolve_library(spec)


def asic_stage(clock, spec: str | None, verilog: str, sidecar: Sidecar) -> AsicBuild | None:
    """Map ``verilog`` (the build's RTL) onto the library ``spec`` names and time it; None when
    ``--asic`` was not given."""
    if spec is None:
        return None
    tools, lib = find_asic_tools(), resolve_library(spec)
    top = sidecar.module
    with clock.stage("asic", f"ASIC map + timing ({lib.name})") as st, \
            tempfile.TemporaryDirectory(prefix="gatecomp-asic-") as tmp:
        (Path(tmp) / "rtl").mkdir()
        (Path(tmp) / "rtl" / f"{top}.v").write_text(verilog)
        work = Path(tmp) / ASIC_DIR
        work.mkdir()
        mapped = map_rtl(tools.yosys, work, f"../rtl/{top}.v", top, lib)
        timing = time_netlist(tools.sta, work, top, sidecar.clock, lib)
        files = {p.name: p.read_text() for p in sorted(work.iterdir()) if p.is_file()}
        report = asic_report(lib, mapped, timing, f"{ASIC_DIR}/{top}.v")
        st.detail = (f"{mapped.cells} cells ({mapped.flops} flops), "
                     f"{report[lib.area_key]:.0f} {lib.area_unit}, {timing.delay_ns:.2f} ns, "
                     f"{timing.fmax_mhz:.0f} MHz")
    return AsicBuild(report, files)


def asic_report(lib: CellLibrary, mapped: Mapped, timing: Timing, netlist: str) -> dict:
    """``report.json["asic"]``: the issue's fields first, then how they were obtained."""
    report = {"library": lib.name, "liberty": str(lib.path), lib.area_key: round(mapped.area, 3)}
    if lib.area_unit != "um2":
        report["area_unit"] = "the library's own (Liberty names none and no LEF confirms um2)"
    report.update(cells=mapped.cells, delay_ns=round(timing.delay_ns, 4),
                  fmax_mhz=round(timing.fmax_mhz, 2), flops=mapped.flops, netlist=netlist)
    if mapped.footprint_um2 is not None:
        report["footprint_um2"] = round(mapped.footprint_um2, 3)
    report.update(
        min_period_ns=round(timing.min_period_ns, 4),
        critical_path={"from": timing.start, "to": timing.end, "cells": timing.path_cells,
                       "setup_ns": round(timing.setup_ns, 4)},
        abc_delay_ns=round(mapped.abc_delay_ns, 4),
        cell_types=mapped.cell_types,
        tools={"map": f"{mapped.yosys} + ABC (&nf, delay target {DELAY_TARGET_PS} ps)",
               "timing": "OpenSTA report_checks"},
        constraints=CONSTRAINTS)
    return report
