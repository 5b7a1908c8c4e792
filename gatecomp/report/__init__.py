"""``report.html``: one self-contained page drawn from a build directory's files.

Written by every compile (beside ``report.json``) and again by ``gatecomp build`` (with the
FPGA results); ``gatecomp report BUILD_DIR`` redraws it. The page has inline CSS and inline
SVG charts only (no scripts, fonts or network resources), so it opens offline, and the same
files always give the same bytes. Sections without data say "not measured".
"""

from __future__ import annotations

from pathlib import Path

from ..outdir import write_atomic
from .accuracy import accuracy_section
from .html import page
from .implementation import implementation_section
from .inputs import HTML_FILE, BuildData, load_build
from .layers import gate_types_section, layers_section
from .levels import levels_section
from .stages import passes_section, stages_section
from .summary import subtitle, summary_section
from .timings import timings_section

#: (anchor, title, section function), in page order
SECTIONS = (
    ("summary", "Summary", summary_section),
    ("accuracy", "Accuracy", accuracy_section),
    ("stages", "Gates through the flow", stages_section),
    ("layers", "Layers", layers_section),
    ("gate_types", "Gate types", gate_types_section),
    ("levels", "Levels", levels_section),
    ("passes", "Passes", passes_section),
    ("implementation", "FPGA and ASIC", implementation_section),
    ("timings", "Time", timings_section),
)


def render_report(data: BuildData) -> str:
    """The page for one build's files."""
    title = f"gatecomp report: {data.name or data.build_dir.name}"
    return page(title, subtitle(data), [(sid, t) for sid, t, _ in SECTIONS],
                [fn(data) for _, _, fn in SECTIONS])


def write_report_html(build_dir: str | Path) -> Path:
    """(Re)write ``build_dir/report.html`` from the build's files; its path."""
    data = load_build(build_dir)
    out = Path(build_dir) / HTML_FILE
    write_atomic(out, render_report(data).encode("utf-8"))  # a stopped build keeps the old one
    return out


__all__ = ["HTML_FILE", "BuildData", "load_build", "render_report", "write_report_html"]
