"""Inline SVG charts drawn here, so the report is one file with no JavaScript, no fonts and
no plotting library (and the same input always draws the same bytes).

Each chart is an ``<svg class="plot" data-plot="ID">``; its value labels carry the same
``data-key`` attributes as the tables (:func:`gatecomp.report.html.num`), so the numbers a
chart shows are checked against their files too.
"""

from __future__ import annotations

from dataclasses import dataclass

from .html import esc, fmt_value

PALETTE = ("#3867d6", "#f7b731", "#20bf6b", "#eb3b5a", "#8854d0", "#0fb9b1", "#fa8231")
ROW = 20  # px per bar row
CHAR = 7.2  # px per label character at 11px


@dataclass(frozen=True)
class Bar:
    """One bar: its label, value, where the value comes from, and how it is shown."""

    label: str
    value: float
    key: str | None = None
    fmt: str = "auto"
    color: int = 0


def coord(x: float) -> str:
    """A coordinate as SVG text: one decimal, so the same chart is the same bytes."""
    return f"{x:.1f}"


def svg_text(x: float, y: float, text: str, anchor: str = "start", key: str | None = None,
             fmt: str = "auto") -> str:
    """A text label; with ``key`` it is a checked number (``data-key``), as in the tables."""
    attrs = f' class="num" data-key="{esc(key)}" data-fmt="{esc(fmt)}"' if key else ""
    return (f'<text x="{coord(x)}" y="{coord(y)}" text-anchor="{anchor}"{attrs}>'
            f"{esc(text)}</text>")


def svg_root(plot_id: str, title: str, width: float, height: float, body: list[str]) -> str:
    """The ``<svg class="plot">`` element around a chart's body, titled for screen readers."""
    w, h = coord(width), coord(height)
    return (f'<svg class="plot" data-plot="{esc(plot_id)}" xmlns="http://www.w3.org/2000/svg" '
            f'width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'role="img" aria-label="{esc(title)}"><title>{esc(title)}</title>'
            + "".join(body) + "</svg>")


def hbar_chart(plot_id: str, title: str, bars: list[Bar], unit: str = "") -> str:
    """Horizontal bars, one row each, scaled to the largest value; the value beside each."""
    label_w = min(360.0, max((len(b.label) for b in bars), default=4) * CHAR + 12)
    area = 420.0
    top = 22.0
    width, height = label_w + area + 110, top + ROW * len(bars) + 8
    peak = max((float(b.value) for b in bars), default=0.0) or 1.0
    body = [svg_text(0, 14, title)]
    for i, b in enumerate(bars):
        y = top + i * ROW
        w = area * max(float(b.value), 0.0) / peak
        body.append(svg_text(label_w - 6, y + 13, b.label, "end"))
        body.append(f'<rect class="bar" x="{coord(label_w)}" y="{coord(y + 3)}" width="{coord(w)}" '
                    f'height="{ROW - 6}" fill="{PALETTE[b.color % len(PALETTE)]}" '
                    f'data-value="{esc(b.value)}"/>')
        text = fmt_value(b.value, b.fmt) + (f" {unit}" if unit else "")
        body.append(svg_text(label_w + w + 5, y + 13, text, key=b.key, fmt=b.fmt))
    return svg_root(plot_id, title, width, height, body)


def column_chart(plot_id: str, title: str, values: list[int], first: int = 1,
                 x_label: str = "", marks: tuple[int, ...] = ()) -> str:
    """Vertical columns for a profile (e.g. ANDs per logic level, ``first`` = the level of
    ``values[0]``); ``marks`` draws dashed lines before those x values (pipeline cuts)."""
    left, top, area_w, area_h = 48.0, 22.0, 640.0, 150.0
    n = max(len(values), 1)
    step = area_w / n
    peak = max(values, default=0) or 1
    body = [svg_text(0, 14, title)]
    body.append(svg_text(left - 4, top + 8, str(peak), "end"))
    body.append(svg_text(left - 4, top + area_h, "0", "end"))
    for i, v in enumerate(values):
        h = area_h * v / peak
        body.append(f'<rect class="bar" x="{coord(left + i * step)}" y="{coord(top + area_h - h)}" '
                    f'width="{coord(max(step - 1, 0.6))}" height="{coord(h)}" fill="{PALETTE[0]}" '
                    f'data-value="{v}"/>')
    every = max(1, -(-n // 16))
    for i in range(0, n, every):
        body.append(svg_text(left + (i + 0.5) * step, top + area_h + 13, str(first + i), "middle"))
    for m in marks:
        x = left + (m - first) * step
        body.append(f'<line x1="{coord(x)}" y1="{coord(top)}" x2="{coord(x)}" '
                    f'y2="{coord(top + area_h)}" '
                    f'stroke="{PALETTE[3]}" stroke-dasharray="3,3"/>')
    body.append(f'<line x1="{coord(left)}" y1="{coord(top + area_h)}" x2="{coord(left + area_w)}" '
                f'y2="{coord(top + area_h)}" stroke="#666"/>')
    body.append(svg_text(left + area_w / 2, top + area_h + 28, x_label, "middle"))
    return svg_root(plot_id, title, left + area_w + 10, top + area_h + 36, body)


@dataclass(frozen=True)
class Meter:
    """``used`` of ``available`` units of one resource, with the sources of both."""

    label: str
    used: int
    available: int
    key_used: str | None = None
    key_available: str | None = None


def meter_chart(plot_id: str, title: str, meters: list[Meter]) -> str:
    """One track per resource, as long as the device has, filled as far as the design uses."""
    label_w = min(220.0, max((len(m.label) for m in meters), default=4) * CHAR + 12)
    area, top = 380.0, 22.0
    body = [svg_text(0, 14, title)]
    for i, m in enumerate(meters):
        y = top + i * ROW
        frac = min(m.used / m.available, 1.0) if m.available else 0.0
        color = PALETTE[3] if m.available and m.used > m.available else PALETTE[2]
        body.append(svg_text(label_w - 6, y + 13, m.label, "end"))
        body.append(f'<rect x="{coord(label_w)}" y="{coord(y + 3)}" width="{coord(area)}" '
                    f'height="{ROW - 6}" fill="#e6e9ef"/>')
        body.append(f'<rect class="bar" x="{coord(label_w)}" y="{coord(y + 3)}" '
                    f'width="{coord(area * frac)}" height="{ROW - 6}" fill="{color}" '
                    f'data-value="{m.used}"/>')
        x = label_w + area + 6
        body.append(svg_text(x, y + 13, str(m.used), key=m.key_used, fmt="int"))
        body.append(svg_text(x + 8 + CHAR * len(str(m.used)), y + 13, "/"))
        body.append(svg_text(x + 20 + CHAR * len(str(m.used)), y + 13, str(m.available),
                           key=m.key_available, fmt="int"))
    width = label_w + area + 150
    return svg_root(plot_id, title, width, top + ROW * len(meters) + 8, body)


def stacked_chart(plot_id: str, title: str, rows: list[tuple[str, list[Bar]]],
                  series: tuple[str, ...]) -> str:
    """Each row split into its series' shares (each row scaled to its own total), with the
    values written in; a legend names the series."""
    label_w = min(200.0, max((len(r[0]) for r in rows), default=4) * CHAR + 12)
    area, top = 440.0, 40.0
    body = [svg_text(0, 14, title)]
    for j, name in enumerate(series):
        x = label_w + j * 110
        body.append(f'<rect x="{coord(x)}" y="20" width="10" height="10" '
                    f'fill="{PALETTE[j % len(PALETTE)]}"/>')
        body.append(svg_text(x + 14, 29, name))
    for i, (label, parts) in enumerate(rows):
        y = top + i * ROW
        total = sum(max(float(p.value), 0.0) for p in parts)
        body.append(svg_text(label_w - 6, y + 13, label, "end"))
        x = label_w
        for p in parts:
            w = area * max(float(p.value), 0.0) / total if total else 0.0
            body.append(f'<rect class="bar" x="{coord(x)}" y="{coord(y + 3)}" width="{coord(w)}" '
                        f'height="{ROW - 6}" fill="{PALETTE[p.color % len(PALETTE)]}" '
                        f'data-value="{esc(p.value)}"/>')
            x += w
        texts = [fmt_value(p.value, p.fmt) for p in parts]
        x = label_w + area + 6
        for k, (p, t) in enumerate(zip(parts, texts, strict=True)):
            body.append(svg_text(x, y + 13, t, key=p.key, fmt=p.fmt))
            x += CHAR * len(t) + (14 if k + 1 < len(parts) else 0)
            if k + 1 < len(parts):
                body.append(svg_text(x - 10, y + 13, "+"))
    return svg_root(plot_id, title, label_w + area + 160, top + ROW * len(rows) + 8, body)


def line_chart(plot_id: str, title: str, points: list[Bar], x_label: str = "") -> str:
    """A polyline of the points' values in order, the y axis spanning their range (so small
    changes, e.g. a pass removing 0.1 % of the ANDs, stay visible); first and last labelled."""
    left, top, area_w, area_h = 56.0, 34.0, 620.0, 140.0
    vals = [float(p.value) for p in points]
    lo, hi = min(vals, default=0.0), max(vals, default=1.0)
    span = (hi - lo) or 1.0
    step = area_w / max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top + area_h - area_h * (v - lo) / span

    coords = " ".join(f"{coord(x)},{coord(y)}" for x, y in (xy(i, v) for i, v in enumerate(vals)))
    body = [svg_text(0, 14, title),
            svg_text(left - 4, top + 4, fmt_value(hi, points[0].fmt if points else "auto"), "end"),
            svg_text(left - 4, top + area_h, fmt_value(lo, points[0].fmt if points else "auto"),
                   "end"),
            f'<line x1="{coord(left)}" y1="{coord(top + area_h)}" x2="{coord(left + area_w)}" '
            f'y2="{coord(top + area_h)}" stroke="#666"/>',
            f'<polyline class="line" points="{coords}" fill="none" stroke="{PALETTE[0]}" '
            f'stroke-width="2"/>']
    for i, p in enumerate(points):
        x, y = xy(i, vals[i])
        body.append(f'<circle class="bar" cx="{coord(x)}" cy="{coord(y)}" r="3" '
                    f'fill="{PALETTE[p.color % len(PALETTE)]}" data-value="{esc(p.value)}">'
                    f"<title>{esc(p.label)}: {esc(fmt_value(p.value, p.fmt))}</title></circle>")
    for i in {0, len(points) - 1} if points else ():
        x, y = xy(i, vals[i])
        anchor = "start" if i == 0 else "end"
        body.append(svg_text(x + (6 if i == 0 else -6), y - 6, fmt_value(points[i].value,
                                                                       points[i].fmt),
                           anchor, key=points[i].key, fmt=points[i].fmt))
    body.append(svg_text(left + area_w / 2, top + area_h + 16, x_label, "middle"))
    return svg_root(plot_id, title, left + area_w + 20, top + area_h + 24, body)
