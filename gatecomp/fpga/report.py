"""Reading the FPGA tools' results: Yosys ``stat -json``, nextpnr ``--report`` and its log.

Pure functions on parsed JSON/text, so they are unit-tested without the tools. The core's
figures are told apart from the shell's because Yosys runs ``-noflatten``: the core module and
every module below it are summed (:func:`module_cells`).
"""

from __future__ import annotations

import math
import re
from collections import Counter

#: cell type -> resource class, per family (types not listed count as "other")
CELL_CLASSES = {
    "ice40": {"SB_LUT4": "luts", "SB_CARRY": "carry", "SB_RAM40_4K": "ram",
              "SB_SPRAM256KA": "ram", "SB_MAC16": "dsp"},
    "ecp5": {"LUT4": "luts", "CCU2C": "carry", "DP16KD": "ram", "TRELLIS_DPR16X4": "ram",
             "MULT18X18D": "dsp", "ALU54B": "dsp", "PFUMX": "muxes", "L6MUX21": "muxes"},
}
#: nextpnr bel type that limits logic size, per family
LOGIC_BEL = {"ice40": "ICESTORM_LC", "ecp5": "TRELLIS_COMB"}

_UTIL_LINE = re.compile(r"Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+(\d+)%")


def _strip(name: str) -> str:
    return name[1:] if name.startswith("\\") else name


def module_cells(stat: dict, module: str) -> Counter:
    """Leaf cell counts of ``module`` and everything it instantiates (Yosys ``stat -json``)."""
    mods = {_strip(k): v for k, v in stat.get("modules", {}).items()}
    memo: dict[str, Counter] = {}

    def walk(name: str) -> Counter:
        if name in memo:
            return memo[name]
        total: Counter = Counter()
        for cell, count in mods[name].get("num_cells_by_type", {}).items():
            sub = _strip(cell)
            if sub in mods:
                for k, v in walk(sub).items():
                    total[k] += v * count
            else:
                total[cell] += count
        memo[name] = total
        return total

    return walk(module) if module in mods else Counter()


#: LUT4 slots one carry cell occupies: an ECP5 CCU2C holds two LUT4s; an iCE40 SB_CARRY sits
#: beside the LUT of its logic cell. Comparing designs by LUT4 cells alone would make carry
#: chains look free.
CARRY_LUT_SLOTS = {"ice40": 0, "ecp5": 2}


def classify(cells: Counter, family: str) -> dict[str, int]:
    """{luts, ffs, carry, ram, dsp, muxes, other, lut_area} from leaf cell counts.

    ``lut_area`` is the honest logic size: LUT4 cells plus the LUT4 slots carry cells occupy.
    """
    table = CELL_CLASSES[family]
    out = dict.fromkeys(("luts", "ffs", "carry", "ram", "dsp"), 0)
    for cell, count in cells.items():
        key = "ffs" if cell.startswith(("SB_DFF", "TRELLIS_FF")) else table.get(cell, "other")
        out[key] = out.get(key, 0) + int(count)
    out["lut_area"] = out["luts"] + CARRY_LUT_SLOTS[family] * out["carry"]
    return out


def resources(stat: dict, top: str, core: str, family: str) -> dict[str, dict[str, int]]:
    """Resource classes for the whole design, the core (with its submodules) and the shell."""
    total = classify(module_cells(stat, top), family)
    core_res = classify(module_cells(stat, core), family)
    shell = {k: total.get(k, 0) - core_res.get(k, 0) for k in total}
    return {"total": total, "core": core_res, "shell": shell}


def utilization(report: dict) -> dict[str, dict]:
    """nextpnr ``utilization`` with a percentage, bel types in use only (logic bel always)."""
    out = {}
    for bel, u in sorted(report.get("utilization", {}).items()):
        used, avail = int(u["used"]), int(u["available"])
        if used or bel in LOGIC_BEL.values():
            out[bel] = {"used": used, "available": avail,
                        "percent": round(100.0 * used / avail, 1) if avail else None}
    return out


def timing(report: dict) -> dict:
    """Per-clock Fmax (MHz) and constraint, the worst clock, and the critical path's
    logic levels (cells of type ``logic`` on nextpnr's slowest clock-to-clock critical path)."""
    clocks = {}
    for clk, f in sorted(report.get("fmax", {}).items()):
        clocks[clk] = {"fmax_mhz": round(float(f["achieved"]), 2),
                       "constraint_mhz": float(f["constraint"]),
                       "met": float(f["achieved"]) >= float(f["constraint"])}
    fmax = min((c["fmax_mhz"] for c in clocks.values()), default=None)
    levels = None
    delay = None
    paths = report.get("critical_paths") or []
    # register-to-register paths set Fmax; I/O paths to or from <async> have no logic to count
    clocked = [p for p in paths if "<async>" not in (p.get("from"), p.get("to"))]
    paths = clocked or paths
    if paths:
        worst = max(paths, key=lambda p: sum(s.get("delay", 0.0) for s in p.get("path", [])))
        steps = worst.get("path", [])
        levels = sum(1 for s in steps if s.get("type") == "logic")
        delay = round(sum(float(s.get("delay", 0.0)) for s in steps), 3)
    return {"clocks": clocks, "fmax_mhz": fmax, "critical_path_logic_levels": levels,
            "critical_path_ns": delay}


def log_utilization(log_text: str) -> dict[str, tuple[int, int]]:
    """``{bel: (used, available)}`` from nextpnr's "Device utilisation" log lines (also
    printed when the design does not fit, when no report is written)."""
    out = {}
    for m in _UTIL_LINE.finditer(log_text):
        out[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return out


def overflow_message(module: str, target_desc: str, util: dict[str, tuple[int, int]],
                     family: str) -> str | None:
    """One line saying which resources are over capacity and by how much, or None."""
    over = [(bel, used, avail) for bel, (used, avail) in util.items() if used > avail]
    if not over:
        return None
    parts = [f"{used} {bel} needed, {avail} available ({used - avail} over, "
             f"{100.0 * used / avail:.0f}%)" for bel, used, avail in over]
    bigger = ("a bigger device (e.g. --device ecp5-25k or --board ulx3s)" if family == "ice40"
              else "a bigger device (e.g. --device ecp5-85k)")
    return (f"{module} does not fit {target_desc}: {'; '.join(parts)}; try {bigger}, fewer "
            f"pipeline registers (a larger --levels-per-stage) or a smaller network")


def timing_message(module: str, target_desc: str, fmax: float, required: float,
                   levels_per_stage: int | None,
                   flag: str = "--levels-per-stage") -> str | None:
    """One line saying by how much Fmax misses ``required`` (MHz) and what would help.

    ``flag`` is the option the stages were cut with (``--levels-per-stage`` or
    ``--luts-per-stage``), whose smaller value is suggested."""
    if fmax >= required:
        return None
    short = 100.0 * (required - fmax) / required
    hint = f"more pipeline stages (--pipeline-stages N or a smaller {flag})"
    if levels_per_stage:
        suggest = max(1, math.floor(levels_per_stage * fmax / required))
        hint = f"more pipeline stages (e.g. {flag} {suggest}, now {levels_per_stage})"
    return (f"{module} misses timing on {target_desc}: Fmax {fmax:.1f} MHz < {required:g} MHz "
            f"required ({short:.0f}% short); try {hint}, or a lower clock (--freq)")
