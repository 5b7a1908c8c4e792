"""The implementations: FPGA resources against the device and timing (``board/report.json``,
written by ``gatecomp build``), and the ASIC figures (``report.json["asic"]``) beside them."""

from __future__ import annotations

from .html import esc, facts, note, num, section, table
from .inputs import BuildData
from .stages import lookup
from .svg import Bar, Meter, hbar_chart, meter_chart, stacked_chart

_RESOURCES = (("luts", "LUT4 cells"), ("ffs", "flip-flops"), ("carry", "carry cells"),
              ("ram", "RAM blocks"), ("dsp", "DSP blocks"), ("muxes", "wide-function muxes"),
              ("lut_area", "LUT area (LUT4 + carry slots)"), ("other", "other cells"))


def _resource_table(res: dict) -> tuple[str, str]:
    """Design/core/shell table of every resource class, and the core-vs-shell chart."""
    cells, rows = [], []
    for key, label in _RESOURCES:
        if key not in res.get("total", {}):
            continue
        cells.append([esc(label)] + [num(res[part].get(key), f"board.resources.{part}.{key}",
                                         "int") for part in ("total", "core", "shell")])
        if res["total"][key]:
            rows.append((label, [Bar("core", res["core"][key], f"board.resources.core.{key}",
                                     "int", 0),
                                 Bar("shell", res["shell"][key],
                                     f"board.resources.shell.{key}", "int", 1)]))
    chart = stacked_chart("fpga_core_shell", "Each resource: the core (the network) and the "
                          "shell (I/O)", rows, ("core", "shell")) if rows else ""
    return table(["resource", "design", "core", "shell"], cells), chart


def _timing_rows(b: dict) -> list[tuple[str, str]]:
    t, p, thr = b.get("timing", {}), b.get("pipeline", {}), b.get("throughput", {})
    rows = [("target", esc(b.get("target", {}).get("description", "?"))),
            ("core synthesized", esc(b.get("core_source", "?"))),
            ("Fmax", num(t.get("fmax_mhz"), "board.timing.fmax_mhz", "f2", "MHz")),
            ("required clock", num(t["required_mhz"], "board.timing.required_mhz", "f2", "MHz")
             if t.get("required_mhz") is not None else esc("none (no --freq, no board clock)")),
            ("timing met", num(t["met"], "board.timing.met") if t.get("met") is not None
             else esc("-"))]
    for clk in sorted(t.get("clocks", {})):
        rows.append((f"clock {clk}: Fmax", num(t["clocks"][clk].get("fmax_mhz"),
                                               f"board.timing.clocks.{clk}.fmax_mhz", "f2",
                                               "MHz")))
    rows += [("latency at Fmax", num(p.get("latency_ns_at_fmax"),
                                     "board.pipeline.latency_ns_at_fmax", "f2", "ns")),
             ("throughput (core, one per clock)",
              num(thr.get("core_inferences_per_s"), "board.throughput.core_inferences_per_s",
                  "int", "inferences/s"))]
    if thr.get("uart_inferences_per_s") is not None:
        rows.append(("throughput over the UART", num(thr["uart_inferences_per_s"],
                                                     "board.throughput.uart_inferences_per_s",
                                                     "f1", "inferences/s")))
    return rows


def fpga_body(b: dict) -> str:
    """Timing facts, the resource table and charts, utilisation against the device."""
    res_table, core_chart = _resource_table(b.get("resources", {}))
    util = b.get("utilization", {})
    meters = [Meter(bel, u["used"], u["available"], f"board.utilization.{bel}.used",
                    f"board.utilization.{bel}.available") for bel, u in sorted(util.items())]
    pct = [Bar(bel, u["percent"], f"board.utilization.{bel}.percent", "pct100", 2)
           for bel, u in sorted(util.items()) if u.get("percent") is not None]
    parts = [facts(_timing_rows(b)), "<h3>Resources</h3>", res_table, core_chart,
             note("Per network layer: not measured (Yosys synthesizes the core as one "
                  "module; the split shown is the core against the I/O shell).")]
    if meters:
        parts += ["<h3>Against the device</h3>",
                  meter_chart("fpga_utilization", "Used / available per bel type", meters),
                  hbar_chart("fpga_percent", "Device use (%)", pct) if pct else ""]
    return "\n".join(p for p in parts if p)


def _side_by_side(b: dict | None, a: dict | None) -> str:
    """FPGA and ASIC figures in one table, "not measured" where a flow has not run."""
    def f(key: str, fmt: str, unit: str = "") -> str:
        src, _, path = key.partition(".")
        if src == "board":
            return num(lookup(b, path), key, fmt, unit)
        return num(lookup(a, path), f"report.{key}", fmt, unit)  # report.json["asic"]

    rows = [["Fmax", f("board.timing.fmax_mhz", "f2", "MHz"), f("asic.fmax_mhz", "f2", "MHz")],
            ["critical path delay", f("board.timing.critical_path_ns", "f3", "ns"),
             f("asic.delay_ns", "f3", "ns")],
            ["logic", f("board.resources.total.luts", "int", "LUT4"),
             f("asic.cells", "int", "cells")],
            ["area", f("board.resources.total.lut_area", "int", "LUT4 slots"),
             f("asic.area_um2", "f1", "µm²") if a and "area_um2" in a
             else f("asic.area_library_units", "f1", "library units")],
            ["flip-flops", f("board.resources.total.ffs", "int"), f("asic.flops", "int")]]
    return table(["", "FPGA", "ASIC"], [[esc(r[0]), r[1], r[2]] for r in rows])


def asic_body(a: dict) -> str:
    """The library, the critical path's ends, and the mapped cells by type."""
    crit = a.get("critical_path") or {}
    rows = [("library", esc(a.get("library", "?"))),
            ("minimum clock period", num(a.get("min_period_ns"), "report.asic.min_period_ns",
                                         "f3", "ns")),
            ("critical path", esc(f"{crit.get('from', '?')} -> {crit.get('to', '?')}")
             if crit else '<span class="na">not measured</span>'),
            ("cells on the critical path",
             num(crit.get("cells") if isinstance(crit.get("cells"), int) else None,
                 "report.asic.critical_path.cells", "int"))]
    parts = [facts(rows)]
    types = a.get("cell_types")
    if isinstance(types, dict) and types and all(isinstance(v, int) for v in types.values()):
        bars = [Bar(t, n, f"report.asic.cell_types.{t}", "int", 4)
                for t, n in sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))]
        parts.append(hbar_chart("asic_cells", "Standard cells by type", bars))
    return "\n".join(parts)


def implementation_section(data: BuildData) -> str:
    """FPGA (when built) and ASIC (when synthesized), side by side, then the FPGA details."""
    b, a = data.board, data.report.get("asic")
    body = [_side_by_side(b, a)]
    if a:
        body += ["<h3>ASIC</h3>", asic_body(a)]
    else:
        body.append(note("ASIC: not measured (no asic figures in report.json)."))
    if b:
        body += ["<h3>FPGA</h3>", fpga_body(b)]
    else:
        body.append(note("FPGA: not measured. Compile with --board BOARD or --device DEVICE, "
                         "then run `gatecomp build BUILD_DIR`."))
    return section("implementation", "FPGA and ASIC", "\n".join(body))
