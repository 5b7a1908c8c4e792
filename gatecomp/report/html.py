"""HTML building blocks of the report: escaping, numbers tied to their source, tables, page.

Every figure is written by :func:`num`, which puts the value's origin on the element
(``data-key="report.gates.ands_lowered"``: a dotted path into ``report.json``; ``board.`` into
``board/report.json``; ``aig.`` computed from ``NAME.aig``), so a test can read the page back
and compare each number with the file it came from. Formatting is fixed (no locale, no
thousands separators) so the output is deterministic and the shown text parses back.
"""

from __future__ import annotations

import html

NOT_MEASURED = "not measured"


def esc(text: object) -> str:
    """``text`` escaped for HTML content and attribute values."""
    return html.escape(str(text), quote=True)


def fmt_value(value: object, fmt: str = "auto") -> str:
    """``value`` as shown: ``int``, ``pct`` (a fraction as %), ``pct100`` (already percent),
    ``fN`` (N decimals), ``auto`` (ints plain, floats to 4 significant digits)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if fmt == "int":
        return str(int(value))
    if fmt == "pct":
        return f"{100.0 * float(value):.2f}%"
    if fmt == "pct100":
        return f"{float(value):.1f}%"
    if fmt.startswith("f") and fmt[1:].isdigit():
        return f"{float(value):.{int(fmt[1:])}f}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def num(value: object, key: str | None = None, fmt: str = "auto", unit: str = "") -> str:
    """One figure as a ``<span class="num">`` naming its source (``data-key``); "not
    measured" where the value is None, so nothing is invented."""
    if value is None:
        return f'<span class="na">{NOT_MEASURED}</span>'
    attrs = f' data-key="{esc(key)}" data-fmt="{esc(fmt)}"' if key else ""
    suffix = f" {esc(unit)}" if unit else ""
    return f'<span class="num"{attrs}>{esc(fmt_value(value, fmt))}</span>{suffix}'


def table(headers: list[str], rows: list[list[str]], cls: str = "") -> str:
    """A table of already-rendered cells (use :func:`num` / :func:`esc` for them)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    attr = f' class="{esc(cls)}"' if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def facts(rows: list[tuple[str, str]]) -> str:
    """A two-column key/value table (label escaped, value already rendered)."""
    body = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="facts"><tbody>{body}</tbody></table>'


def section(sid: str, title: str, body: str) -> str:
    """One report section; ``sid`` is its anchor."""
    return f'<section id="{esc(sid)}"><h2>{esc(title)}</h2>\n{body}\n</section>'


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
margin:0 auto;max-width:1040px;padding:1em 2em;color:#1d2330;background:#fff}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #d0d6e0;padding-bottom:.2em;
margin-top:1.8em}h3{font-size:1.05em;margin:1.2em 0 .4em}
table{border-collapse:collapse;margin:.5em 0;font-size:.92em}
th,td{border:1px solid #d0d6e0;padding:.25em .6em;text-align:left;vertical-align:top}
thead th{background:#eef1f6}table.facts th{background:#f6f8fb;font-weight:600}
td .num,td.num{font-variant-numeric:tabular-nums}.na{color:#8a93a3;font-style:italic}
.note{color:#4d5566;font-size:.9em}.cards{display:flex;flex-wrap:wrap;gap:.6em}
.card{border:1px solid #d0d6e0;border-radius:6px;padding:.5em .9em;min-width:9em}
.card .label{font-size:.8em;color:#4d5566}.card .value{font-size:1.35em;font-weight:600}
.ok{color:#1a7f37;font-weight:600}.bad{color:#c62828;font-weight:600}
svg.plot{display:block;margin:.6em 0;max-width:100%;height:auto}
svg.plot text{font-family:inherit;font-size:11px;fill:#1d2330}
.side{display:flex;flex-wrap:wrap;gap:2em}.side>div{flex:1 1 420px}
nav a{margin-right:.8em;font-size:.9em}
"""


def page(title: str, subtitle: str, nav: list[tuple[str, str]], sections: list[str]) -> str:
    """The whole document: inline CSS, no scripts, no external resources."""
    links = "".join(f'<a href="#{esc(sid)}">{esc(t)}</a>' for sid, t in nav)
    body = "\n".join(s for s in sections if s)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)}</title>\n<style>{CSS}</style></head>\n<body>\n"
            f"<h1>{esc(title)}</h1>\n<p class=\"note\">{subtitle}</p>\n<nav>{links}</nav>\n"
            f"{body}\n</body></html>\n")
