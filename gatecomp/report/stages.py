"""Gates and ANDs before and after each stage of the flow: trained gates, real logic, the
lowered AIG, the care-set sweep, the pass script, LUT alignment, LUT estimates, the FPGA."""

from __future__ import annotations

from .html import esc, note, num, section, table
from .inputs import BuildData
from .svg import Bar, hbar_chart, line_chart

#: (label, report path of the count, unit, report path of the levels or None)
_REPORT_STAGES = (
    ("trained logic gates", "network.logic_gates", "gates", None),
    ("real logic gates (after lowering removed the rest)",
     "network.gate_accounting.logic", "gates", None),
    ("lowered AIG", "gates.ands_lowered", "ANDs", "gates.levels_lowered"),
    ("after the care-set sweep", "care_set.ands_after", "ANDs", None),
    ("after the pass script", "gates.ands_optimized", "ANDs", "gates.levels_optimized"),
    ("after LUT4 stage alignment", "lut_alignment.ands_after", "ANDs", None),
    ("LUT4 cover (estimate)", "luts.lut4.luts", "LUT4", "luts.lut4.depth"),
    ("LUT6 cover (estimate)", "luts.lut6.luts", "LUT6", "luts.lut6.depth"),
)


def lookup(data: dict | None, path: str):
    """``data`` at the dotted ``path`` (list indices as numbers), None where absent."""
    cur = data
    for part in path.split("."):
        if isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        elif isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return None
    return cur


def stage_rows(data: BuildData) -> list[tuple[str, str, str, str | None, str | None]]:
    """(label, unit, count key, levels key, levels source) of each stage that has a figure;
    keys are ``report.``/``board.`` paths."""
    rows = []
    for label, path, unit, lev in _REPORT_STAGES:
        if lookup(data.report, path) is not None:
            rows.append((label, unit, f"report.{path}", lev and f"report.{lev}"))
    if data.board:
        rows.append(("FPGA core after Yosys (LUT4 cells)", "LUT4", "board.resources.core.luts",
                     "board.timing.critical_path_logic_levels"))
    return rows


def value(data: BuildData, key: str):
    """The value behind a ``report.``/``board.`` key."""
    src, _, path = key.partition(".")
    return lookup(data.report if src == "report" else data.board, path)


def stages_section(data: BuildData) -> str:
    """Table of every stage's size and depth, and the AIG stages as a chart."""
    rows, cells = stage_rows(data), []
    for label, unit, key, lev in rows:
        levels = num(value(data, lev), lev, "int") if lev else '<span class="na">-</span>'
        cells.append([esc(label), num(value(data, key), key, "int"), esc(unit), levels])
    body = [table(["stage", "size", "unit", "levels"], cells)]
    ands = [Bar(label, value(data, key), key, "int", 0) for label, unit, key, _ in rows
            if unit == "ANDs"]
    if ands:
        body.append(hbar_chart("stages_ands", "AND gates after each stage", ands))
    cover = [Bar(label, value(data, key), key, "int", 1) for label, unit, key, _ in rows
             if unit != "ANDs"]
    if cover:
        body.append(hbar_chart("stages_gates", "Gates and LUTs", cover))
    acc = lookup(data.report, "network.gate_accounting")
    if acc:
        parts = [(k, acc[k]) for k in ("constant", "wire", "unused", "merged", "logic")
                 if k in acc]
        body.append(hbar_chart("gate_accounting", "Trained gates by what lowering made of them",
                               [Bar(k, v, f"report.network.gate_accounting.{k}", "int", i)
                                for i, (k, v) in enumerate(parts)]))
    return section("stages", "Gates through the flow", "\n".join(body))


def _pass_line(passes: list[dict], what: str, title: str) -> str:
    """``what`` (ands/levels) before the first pass, then after each, as a line."""
    points = [Bar("before the script", passes[0][f"{what}_before"],
                  f"report.passes.0.{what}_before", "int")]
    points += [Bar(f"{i + 1}. {p['pass']}", p[f"{what}_after"],
                   f"report.passes.{i}.{what}_after", "int") for i, p in enumerate(passes)]
    return line_chart(f"passes_{what}", title, points, "pass")


def passes_section(data: BuildData) -> str:
    """The optimizer's per-pass table: ANDs and levels before/after, seconds, and a chart."""
    passes = data.report.get("passes") or []
    if not passes:
        return section("passes", "Optimizer passes", note("No passes ran (empty script)."))
    cells = []
    for i, p in enumerate(passes):
        k = f"report.passes.{i}"
        delta = p["ands_after"] - p["ands_before"]
        cells.append([str(i + 1), esc(p["pass"]), num(p["ands_before"], f"{k}.ands_before", "int"),
                      num(p["ands_after"], f"{k}.ands_after", "int"), esc(f"{delta:+d}"),
                      num(p.get("levels_before"), f"{k}.levels_before", "int"),
                      num(p.get("levels_after"), f"{k}.levels_after", "int"),
                      num(p.get("seconds"), f"{k}.seconds", "f3")])
    body = [table(["#", "pass", "ANDs before", "ANDs after", "change", "levels before",
                   "levels after", "seconds"], cells)]
    body.append(_pass_line(passes, "ands", "ANDs before the script and after each pass"))
    if all(p.get("levels_after") is not None for p in passes):
        body.append(_pass_line(passes, "levels", "Logic levels before the script and after "
                                                 "each pass"))
    return section("passes", "Optimizer passes", "\n".join(body))
