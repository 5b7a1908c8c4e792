"""``sweep.csv``: one row a point, its options as the grid spells them and its report's figures.

The figures are read from the reports stored in each point's ``done.json`` when the table is
written (not when the point ran), so a cached point gets every column a newer gatecomp adds.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .grid import Grid, Point, show
from .task import Outcome

CSV_FILE = "sweep.csv"


@dataclass(frozen=True)
class Figure:
    """One figure column: where it is in ``report.json`` (or ``board/report.json``)."""

    column: str
    path: tuple[str, ...]
    board: bool = False


FIGURES = (
    Figure("ands_lowered", ("gates", "ands_lowered")),
    Figure("ands", ("gates", "ands_optimized")),
    Figure("levels", ("gates", "levels_optimized")),
    Figure("latency", ("pipeline", "latency")),
    Figure("registers", ("pipeline", "registers")),
    Figure("lut4", ("luts", "lut4", "luts")),
    Figure("lut4_depth", ("luts", "lut4", "depth")),
    Figure("lut6", ("luts", "lut6", "luts")),
    Figure("lut6_depth", ("luts", "lut6", "depth")),
    Figure("accuracy_reference", ("accuracy", "reference")),
    Figure("accuracy_ir", ("accuracy", "ir")),
    Figure("fpga_target", ("target", "name"), board=True),
    Figure("fpga_luts", ("resources", "core", "luts"), board=True),
    Figure("fpga_lut_area", ("resources", "core", "lut_area"), board=True),
    Figure("fpga_ffs", ("resources", "core", "ffs"), board=True),
    Figure("fmax_mhz", ("timing", "fmax_mhz"), board=True),
    Figure("latency_ns", ("pipeline", "latency_ns_at_fmax"), board=True),
    Figure("asic_area_um2", ("asic", "area_um2")),
    Figure("asic_fmax_mhz", ("asic", "fmax_mhz")),
)

#: columns after the options and before the figures, and after the figures
HEAD = ("point", "key", "status", "cached")
TAIL = ("compile_s", "seconds", "pareto", "worker", "build_dir", "message")


def _dig(tree: dict | None, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(tree, dict):
            return None
        tree = tree.get(part)
    return tree


def figures(outcome: Outcome | None) -> dict[str, Any]:
    """The figure columns of one point (None where its reports do not have them)."""
    rep = outcome.report if outcome else None
    board = outcome.board_report if outcome else None
    out = {f.column: _dig(board if f.board else rep, f.path) for f in FIGURES}
    timings = _dig(rep, ("timings_s",))
    out["compile_s"] = round(sum(timings.values()), 3) if isinstance(timings, dict) else None
    return out


def make_row(point: Point, key: str, outcome: Outcome | None, cached: bool) -> dict[str, Any]:
    """One row of the table (``outcome`` None: the point has not finished)."""
    status = "pending" if outcome is None else "ok" if outcome.ok else "failed"
    row: dict[str, Any] = {"point": point.index, "key": key[:16], "status": status,
                           "cached": cached}
    row.update({k: v for k, v in point.values.items()})
    row.update(figures(outcome))
    row.update(seconds=outcome.seconds if outcome else None, pareto="",
               worker=outcome.worker if outcome else "",
               build_dir=outcome.build_dir if outcome and outcome.build_dir else "",
               message=(outcome.error or outcome.note or "") if outcome else "")
    return row


def columns(grid: Grid) -> list[str]:
    return [*HEAD, *grid.keys, *(f.column for f in FIGURES), *TAIL]


def csv_text(grid: Grid, rows: list[dict[str, Any]]) -> str:
    """The table as CSV: options as the grid spells them, "" for left out or not measured."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    cols = columns(grid)
    writer.writerow(cols)
    for row in rows:
        writer.writerow([show(row.get(c)) for c in cols])
    return buf.getvalue()


def write_csv(out_dir: Path, grid: Grid, rows: list[dict[str, Any]]) -> Path:
    path = Path(out_dir) / CSV_FILE
    tmp = path.with_name(f".{CSV_FILE}.tmp")
    tmp.write_text(csv_text(grid, rows), encoding="utf-8")
    tmp.replace(path)
    return path
