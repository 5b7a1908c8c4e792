"""Logic levels: ANDs per level of the optimized AIG, each output port's depth, the critical
path, and the pipeline that cuts it (computed from ``NAME.aig``; keys ``aig.*``)."""

from __future__ import annotations

from .html import esc, facts, note, num, section
from .inputs import BuildData
from .structure import analyse
from .svg import Bar, column_chart, hbar_chart


def _marks(data: BuildData, depth: int) -> tuple[int, ...]:
    """Pipeline cuts to draw: every L levels with --levels-per-stage (other pipelining
    balances stages on its own terms, which the AIG alone does not record)."""
    per = (data.report.get("options") or {}).get("levels_per_stage")
    if not per:
        return ()
    return tuple(range(per + 1, depth + 1, per))


def levels_section(data: BuildData) -> str:
    """The level profile chart, per-port depth chart and the critical path's ends."""
    if data.aig is None:
        return section("levels", "Logic levels and critical path",
                       note(f"Not measured: {data.name or 'NAME'}.aig is missing."))
    s = analyse(data.aig, data.sidecar)
    marks = _marks(data, s.depth)
    title = "ANDs per logic level (optimized AIG" + (
        f"; dashed: a register rank every {marks[0] - 1} levels)" if marks else ")")
    body = [column_chart("level_profile", title, list(s.ands_per_level), 1, "logic level",
                         marks)]
    crit = s.critical
    latency = (data.report.get("pipeline") or {}).get("latency")
    rows = [(f"ANDs in {data.name}.aig", num(s.ands, "aig.ands", "int")),
            ("logic levels (depth)", num(s.depth, "aig.depth", "int"))]
    if crit is not None:
        rows += [("critical path: ANDs on it", num(crit.length, "aig.critical_path", "int")),
                 ("critical path: from input", esc(crit.start)),
                 ("critical path: to output", esc(crit.end))]
    rows.append(("pipeline latency (cycles)", num(latency, "report.pipeline.latency", "int")))
    if latency:
        rows.append(("levels per pipeline stage (mean)", esc(f"{s.depth / latency:.1f}")))
    if data.board:
        t = data.board.get("timing", {})
        rows.append(("FPGA critical path: logic levels",
                     num(t.get("critical_path_logic_levels"),
                         "board.timing.critical_path_logic_levels", "int")))
        rows.append(("FPGA critical path: delay", num(t.get("critical_path_ns"),
                                                      "board.timing.critical_path_ns", "f3",
                                                      "ns")))
    body.insert(0, facts(rows))
    if s.port_depths:
        body.append(hbar_chart("port_depth", "Logic levels per output port", [
            Bar(port, d, f"aig.port_depth.{port}", "int", 4) for port, d in s.port_depths]))
    body.append(note("The AIG's levels are logic levels, not the network's layers: each "
                     "2-input gate is 1 AND level (XOR/XNOR 2) before optimization."))
    return section("levels", "Logic levels and critical path", "\n".join(body))
