"""Pareto fronts of a sweep: the points no other point beats on every objective at once.

A sweep's point is worth looking at only if nothing else is smaller *and* faster *and*
shallower; the fronts say which those are. Points missing a figure (not built for an FPGA,
failed) are on no front of that figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Objective:
    """A figure column and whether less or more of it is better."""

    column: str
    better: str = "min"  # "min" | "max"
    label: str = ""

    def value(self, row: dict[str, Any]) -> float | None:
        v = row.get(self.column)
        return None if v is None or isinstance(v, bool) else float(v)


@dataclass(frozen=True)
class Front:
    """A named front: its objectives (the first two are the chart's x and y axes)."""

    name: str
    title: str
    objectives: tuple[Objective, ...]


FRONTS = (
    Front("fpga", "FPGA: LUT area vs Fmax vs latency (measured by gatecomp build)",
          (Objective("fpga_lut_area", "min", "LUT area (core)"),
           Objective("fmax_mhz", "max", "Fmax (MHz)"),
           Objective("latency", "min", "latency (cycles)"))),
    Front("luts", "LUT4 estimate vs latency (gatecomp's own mapping, every point)",
          (Objective("lut4", "min", "LUT4 (estimate)"),
           Objective("latency", "min", "latency (cycles)"))),
    Front("logic", "ANDs vs levels (the optimized AIG)",
          (Objective("ands", "min", "ANDs"), Objective("levels", "min", "levels"))),
)


def _dominates(a: list[float], b: list[float], signs: list[float]) -> bool:
    """``a`` is at least as good as ``b`` everywhere and better somewhere."""
    better = False
    for x, y, s in zip(a, b, signs, strict=True):
        if s * x > s * y:
            return False
        better = better or s * x < s * y
    return better


def front_members(rows: list[dict[str, Any]], front: Front) -> list[int]:
    """Indices (into ``rows``) of the rows on ``front``: every objective measured and no
    other row dominating them; equal rows are all kept."""
    signs = [1.0 if o.better == "min" else -1.0 for o in front.objectives]
    scored = []
    for i, row in enumerate(rows):
        vals = [o.value(row) for o in front.objectives]
        if row.get("status") == "ok" and None not in vals:
            scored.append((i, vals))
    return [i for i, a in scored
            if not any(_dominates(b, a, signs) for j, b in scored if j != i)]


def mark_fronts(rows: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Every front's members, also written into each row's ``pareto`` column
    (``fpga;logic``)."""
    members = {f.name: front_members(rows, f) for f in FRONTS}
    for row in rows:
        row["pareto"] = ""
    for name, idx in members.items():
        for i in idx:
            rows[i]["pareto"] = f"{rows[i]['pareto']};{name}".lstrip(";")
    return members
