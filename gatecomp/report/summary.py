"""The report's head: what was compiled, and its headline figures as cards."""

from __future__ import annotations

from .html import esc, num, section
from .inputs import BuildData


def card(label: str, value_html: str) -> str:
    return (f'<div class="card"><div class="label">{esc(label)}</div>'
            f'<div class="value">{value_html}</div></div>')


def subtitle(data: BuildData) -> str:
    r = data.report
    opts = ", ".join(f"{k}={v}" for k, v in (r.get("options") or {}).items() if v is not None)
    return (f"{esc(r.get('source', '?'))} ({esc(r.get('format', '?'))}); module "
            f"{esc(data.name or '?')}; options: {esc(opts or 'defaults')}")


def summary_section(data: BuildData) -> str:
    """Cards: ANDs, levels, latency, accuracy, mismatches; FPGA/ASIC figures when measured."""
    r = data.report
    g, acc, chk = r.get("gates", {}), r.get("accuracy", {}), r.get("checks", {})
    cards = [
        card("ANDs (optimized)", num(g.get("ands_optimized"), "report.gates.ands_optimized",
                                     "int")),
        card("logic levels", num(g.get("levels_optimized"), "report.gates.levels_optimized",
                                 "int")),
        card("latency (cycles)", num(r.get("pipeline", {}).get("latency"),
                                     "report.pipeline.latency", "int")),
        card("model accuracy", num(acc.get("reference"), "report.accuracy.reference", "pct")),
        card("circuit accuracy", num(acc.get("ir"), "report.accuracy.ir", "pct")),
        card("mismatches", num(chk.get("ir_vs_reference_mismatches"),
                               "report.checks.ir_vs_reference_mismatches", "int")),
    ]
    cards += sequential_cards(r.get("sequential"))
    if data.board:
        t = data.board.get("timing", {})
        cards.append(card("Fmax (FPGA)", num(t.get("fmax_mhz"), "board.timing.fmax_mhz", "f2",
                                             "MHz")))
        cards.append(card("LUTs (FPGA)", num(data.board["resources"]["total"].get("luts"),
                                             "board.resources.total.luts", "int")))
    asic = r.get("asic")
    if asic:
        cards.append(card("Fmax (ASIC)", num(asic.get("fmax_mhz"), "report.asic.fmax_mhz", "f2",
                                             "MHz")))
    return section("summary", "Summary", f'<div class="cards">{"".join(cards)}</div>'
                   + reset_note(r.get("sequential")))


def sequential_cards(seq: dict | None) -> list[str]:
    """A sequential build's state: registers (the AIGER latches), trained steps and emit
    mode, so the page says what the step's extra inputs and outputs are."""
    if not seq:
        return []
    key = "report.sequential."
    return [card("state registers", num(seq.get("state_width"), key + "state_width", "int")),
            card("steps (trained)", num(seq.get("steps"), key + "steps", "int")),
            card("outputs after", num(seq.get("emit"), key + "emit") + " step")]


def reset_note(seq: dict | None) -> str:
    """The registers' reset value (a sequence's initial state), bit 0 first."""
    if not seq or "init_state" not in seq:
        return ""
    return (f'<p class="note">reset state, bit 0 first: '
            f'{num(seq["init_state"], "report.sequential.init_state")}</p>')
