"""Static timing of the mapped netlist with OpenSTA: the critical path and the clock it allows.

The constraints (``asic/NAME.sdc``) are the usual ones for a core whose neighbours are
registers: one clock on the clock port, inputs arriving at its edge and outputs required by
the next (zero external delay), ideal input drivers, no output load, no wire-load model (the
figure is pre-layout: cell and pin loads only). Every register-to-register, input-to-register,
register-to-output and input-to-output path is then checked against the clock; the worst slack
at a nominal period gives the least period (``period - slack``: the critical path's arrival
plus its endpoint's setup time), and fmax is its inverse. A combinational core has only
input-to-output paths, so its least period is its longest input-to-output delay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import GatecompError
from .library import CellLibrary
from .tools import require_lines, run_tool

#: nominal clock period (ns) for the check; the least period does not depend on it
NOMINAL_PERIOD_NS = 10.0
STA_SCRIPT = "sta.tcl"
STA_LOG = "sta.log"

_ARRIVAL = re.compile(r"^\s*(-?[0-9.]+)\s+data arrival time", re.MULTILINE)
_SLACK = re.compile(r"^\s*(-?[0-9.]+)\s+slack \((MET|VIOLATED)\)", re.MULTILINE)
_SETUP = re.compile(r"^\s*(-?[0-9.]+)\s+-?[0-9.]+\s+library setup time", re.MULTILINE)
_POINT = re.compile(r"^(Startpoint|Endpoint):\s*(.+?)\s*$", re.MULTILINE)
_STEP = re.compile(r"^\s*-?[0-9.]+\s+-?[0-9.]+\s+[v^]\s+([^\s/]+)/\S+\s+\(\w+\)", re.MULTILINE)
_ERROR = re.compile(r"^Error:.*$", re.MULTILINE)


@dataclass(frozen=True)
class Timing:
    """The worst path OpenSTA found."""

    delay_ns: float  # data arrival at the critical path's endpoint
    setup_ns: float  # the endpoint flop's setup time (0 at an output port)
    min_period_ns: float
    start: str
    end: str
    path_cells: int  # cells the critical path goes through (a start flop counts, the end not)

    @property
    def fmax_mhz(self) -> float:
        return 1000.0 / self.min_period_ns


def sdc(clock: str, period_ns: float = NOMINAL_PERIOD_NS) -> str:
    """The constraints (see the module docstring)."""
    return "\n".join([
        f"create_clock -name {clock} -period {period_ns:g} [get_ports {clock}]",
        f"set_input_delay 0 -clock {clock} [delete_from_list [all_inputs] [get_ports {clock}]]",
        f"set_output_delay 0 -clock {clock} [all_outputs]",
        "",
    ])


def sta_script(lib: Path, netlist: str, top: str, sdc_file: str) -> str:
    """OpenSTA's script, run in ``asic/``: read, link, constrain, report the worst path."""
    return "\n".join([f"read_liberty {lib}", f"read_verilog {netlist}", f"link_design {top}",
                      f"read_sdc {sdc_file}", "report_checks -path_delay max -digits 4",
                      "exit", ""])


def time_netlist(sta: str, work: Path, top: str, clock: str, lib: CellLibrary) -> Timing:
    """Run OpenSTA on ``work/TOP.v``; the critical path, or a one-line error."""
    sdc_file = f"{top}.sdc"
    (work / sdc_file).write_text(sdc(clock))
    (work / STA_SCRIPT).write_text(sta_script(lib.path, f"{top}.v", top, sdc_file))
    out = run_tool([sta, "-no_splash", "-exit", STA_SCRIPT], work, work / STA_LOG,
                   "OpenSTA (ASIC timing)")
    problem = _ERROR.search(out)
    if problem:  # OpenSTA goes on after a netlist it could not read: its report would lie
        raise GatecompError(f"OpenSTA: {problem.group(0).strip()[:200]} (see {work / STA_LOG})")
    require_lines(out, {"report_checks": "data arrival time"}, "OpenSTA (ASIC timing)")
    return parse_report(out)


def parse_report(out: str) -> Timing:
    """The worst path of a ``report_checks -path_delay max`` report."""
    slack = _SLACK.search(out)
    arrival = _ARRIVAL.search(out)
    if slack is None or arrival is None:
        raise GatecompError("OpenSTA reported no constrained path (is the clock port named "
                            "right?)")
    setup = _SETUP.search(out)
    points = dict(m.groups() for m in _POINT.finditer(out))
    end = points.get("Endpoint", "?")
    cells = dict.fromkeys(_STEP.findall(out[:arrival.end()]))  # instances, in path order
    cells.pop(end.split(" ")[0], None)  # the endpoint flop's D pin is not a step
    return Timing(float(arrival.group(1)), -float(setup.group(1)) if setup else 0.0,
                  NOMINAL_PERIOD_NS - float(slack.group(1)),
                  points.get("Startpoint", "?"), end, len(cells))
