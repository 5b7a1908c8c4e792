"""Where the compile spent its time (``report.json["timings_s"]``, and the FPGA tools')."""

from __future__ import annotations

from .html import note, section
from .inputs import BuildData
from .svg import Bar, hbar_chart


def timings_section(data: BuildData) -> str:
    """Seconds per compile stage, and per FPGA tool when ``gatecomp build`` ran."""
    t = data.report.get("timings_s") or {}
    body = []
    if t:
        body.append(hbar_chart("timings", "Compile: seconds per stage", [
            Bar(k, v, f"report.timings_s.{k}", "f3", 6) for k, v in t.items()], "s"))
    b = (data.board or {}).get("timings_s") or {}
    if b:
        body.append(hbar_chart("fpga_timings", "FPGA build: seconds per tool", [
            Bar(k, v, f"board.timings_s.{k}", "f2", 6) for k, v in b.items()], "s"))
    if not body:
        body.append(note("Not measured."))
    return section("timings", "Time spent", "\n".join(body))
