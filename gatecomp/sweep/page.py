"""``sweep.html``: the sweep's Pareto fronts as one self-contained page (inline CSS and SVG).

It is drawn with the building blocks of ``report.html`` (:mod:`gatecomp.report.html` for the
page, tables and figures, :mod:`gatecomp.report.svg` for the SVG frame, labels and palette), so
both pages look alike and open offline; only the scatter plot, which the build report does not
need, is drawn here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..report.html import esc, facts, fmt_value, note, num, page, section, table
from ..report.svg import PALETTE, coord, svg_root, svg_text
from .grid import Grid, show
from .pareto import FRONTS, Front

HTML_FILE = "sweep.html"


@dataclass(frozen=True)
class Dot:
    """One point of a scatter plot; ``tag`` is written beside it when it is on the front."""

    x: float
    y: float
    label: str
    on_front: bool
    tag: str = ""


@dataclass(frozen=True)
class Summary:
    """What the page says about the run itself."""

    model: str
    cluster: str
    seconds: float
    ran: int
    cached: int
    failed: int


def _ticks(lo: float, hi: float, integral: bool, n: int = 5) -> list[float]:
    """Up to ``n`` axis labels from ``lo`` to ``hi``; whole numbers for counts."""
    if hi <= lo:
        return [lo]
    ticks = [lo + i * (hi - lo) / (n - 1) for i in range(n)]
    return sorted({float(round(t)) for t in ticks}) if integral else ticks


def scatter_chart(plot_id: str, title: str, dots: list[Dot], x_label: str, y_label: str,
                  join: bool = True) -> str:
    """Dots on x/y axes spanning their range; front dots larger and red, joined in x order
    when ``join`` (a front of two objectives: a third would make the line a lie)."""
    left, top, w, h = 70.0, 40.0, 560.0, 260.0
    xs, ys = [d.x for d in dots], [d.y for d in dots]
    x_int, y_int = (all(float(v).is_integer() for v in vals) for vals in (xs, ys))
    x_lo, x_hi, y_lo, y_hi = min(xs), max(xs), min(ys), max(ys)
    pad_x, pad_y = (x_hi - x_lo) * 0.05 or 1.0, (y_hi - y_lo) * 0.05 or 1.0
    x_lo, x_hi, y_lo, y_hi = x_lo - pad_x, x_hi + pad_x, y_lo - pad_y, y_hi + pad_y

    def xy(d: Dot) -> tuple[float, float]:
        return (left + w * (d.x - x_lo) / (x_hi - x_lo),
                top + h - h * (d.y - y_lo) / (y_hi - y_lo))

    body = [svg_text(0, 14, title),
            f'<rect x="{coord(left)}" y="{coord(top)}" width="{coord(w)}" height="{coord(h)}" '
            f'fill="none" stroke="#d0d6e0"/>']
    for v in _ticks(x_lo + pad_x, x_hi - pad_x, x_int):
        x = left + w * (v - x_lo) / (x_hi - x_lo)
        body.append(svg_text(x, top + h + 14, fmt_value(round(v, 2)), "middle"))
    for v in _ticks(y_lo + pad_y, y_hi - pad_y, y_int):
        y = top + h - h * (v - y_lo) / (y_hi - y_lo)
        body.append(svg_text(left - 6, y + 4, fmt_value(round(v, 2)), "end"))
    body.append(svg_text(left + w / 2, top + h + 32, x_label, "middle"))
    body.append(svg_text(4, top - 10, y_label))
    front = sorted((d for d in dots if d.on_front), key=lambda d: (d.x, d.y))
    if join and len(front) > 1:
        coords = " ".join(f"{coord(x)},{coord(y)}" for x, y in map(xy, front))
        body.append(f'<polyline points="{coords}" fill="none" stroke="{PALETTE[3]}" '
                    f'stroke-dasharray="4,3"/>')
    for d in sorted(dots, key=lambda d: d.on_front):  # front dots drawn last, on top
        x, y = xy(d)
        color, r = (PALETTE[3], 5) if d.on_front else (PALETTE[0], 3.5)
        body.append(f'<circle class="dot{" front" if d.on_front else ""}" cx="{coord(x)}" '
                    f'cy="{coord(y)}" r="{r}" fill="{color}" fill-opacity="0.8">'
                    f"<title>{esc(d.label)}</title></circle>")
        if d.on_front and d.tag:
            body.append(svg_text(x + 7, y - 5, d.tag))
    return svg_root(plot_id, title, left + w + 90, top + h + 42, body)


def _front_section(front: Front, grid: Grid, rows: list[dict[str, Any]],
                   members: list[int]) -> str:
    obj = front.objectives
    measured = [r for r in rows if r["status"] == "ok" and None not in
                [o.value(r) for o in obj]]
    if not measured:
        return section(front.name, front.title, note(
            "not measured: no point has these figures" + (
                " (give board or device in the grid, without --no-build)"
                if front.name == "fpga" else "")))
    on = set(members)
    dots = [Dot(obj[0].value(r), obj[1].value(r), _dot_label(r, grid), rows.index(r) in on,
                f"{obj[2].label.split()[0]} {show(r[obj[2].column])}" if len(obj) > 2 else "")
            for r in measured]
    chart = scatter_chart(f"front-{front.name}", front.title, dots, obj[0].label, obj[1].label,
                          join=len(obj) == 2)
    best = " / ".join(f"{o.label} {'lower' if o.better == 'min' else 'higher'}" for o in obj)
    head = ["point", *grid.keys, *(o.label for o in obj)]
    body = [[num(rows[i]["point"], fmt="int"), *(esc(show(rows[i][k])) for k in grid.keys),
             *(num(rows[i][o.column]) for o in obj)] for i in members]
    return section(front.name, front.title,
                   chart + note(f"{len(members)} of {len(measured)} points on the front "
                                f"(better: {best}): the red dots"
                                + (", each with its latency." if len(obj) > 2 else "."))
                   + table(head, body))


def _dot_label(row: dict[str, Any], grid: Grid) -> str:
    opts = ", ".join(f"{k}={show(row[k])}" for k in grid.keys)
    return f"point {row['point']}: {opts}" if opts else f"point {row['point']}"


def _points_section(grid: Grid, rows: list[dict[str, Any]]) -> str:
    cols = ["ands", "levels", "latency", "lut4", "fpga_lut_area", "fmax_mhz",
            "accuracy_ir", "seconds", "pareto"]
    head = ["point", *grid.keys, "status", "cached", *cols]
    body = [[num(r["point"], fmt="int"), *(esc(show(r[k])) for k in grid.keys),
             esc(r["status"]), esc(show(r["cached"])), *(num(r[c]) if c != "pareto"
                                                        else esc(r[c]) for c in cols)]
            for r in rows]
    failed = [r for r in rows if r["status"] == "failed"]
    errors = "".join(f"<li>point {r['point']}: {esc(r['message'])}</li>" for r in failed)
    return section("points", "All points", table(head, body)
                   + (f"<h3>Failed points</h3><ul>{errors}</ul>" if failed else ""))


def render_sweep(grid: Grid, rows: list[dict[str, Any]], fronts: dict[str, list[int]],
                 summary: Summary) -> str:
    """The whole page: summary, one section per front, every point."""
    values = {k: sorted({show(r[k]) or "(default)" for r in rows}) for k in grid.keys}
    about = facts([("model", esc(summary.model)),
                   *((f"grid: {k}", esc(", ".join(v))) for k, v in values.items()),
                   ("points", num(len(rows), fmt="int")), ("run", num(summary.ran, fmt="int")),
                   ("reused (cached)", num(summary.cached, fmt="int")),
                   ("failed", num(summary.failed, fmt="int")),
                   ("cluster", esc(summary.cluster)),
                   ("wall time", num(round(summary.seconds, 1), unit="s"))])
    sections = [section("summary", "Sweep", about)]
    sections += [_front_section(f, grid, rows, fronts.get(f.name, [])) for f in FRONTS]
    sections.append(_points_section(grid, rows))
    nav = [("summary", "Sweep"), *((f.name, f.name) for f in FRONTS), ("points", "Points")]
    return page(f"gatecomp sweep: {Path(summary.model).name}",
                f"{len(rows)} points; sweep.csv has every figure", nav, sections)


def write_html(out_dir: Path, grid: Grid, rows: list[dict[str, Any]],
               fronts: dict[str, list[int]], summary: Summary) -> Path:
    path = Path(out_dir) / HTML_FILE
    tmp = path.with_name(f".{HTML_FILE}.tmp")
    tmp.write_text(render_sweep(grid, rows, fronts, summary), encoding="utf-8")
    tmp.replace(path)
    return path
