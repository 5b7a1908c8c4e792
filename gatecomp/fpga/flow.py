"""``gatecomp build build/NAME``: Yosys + nextpnr + packer on ``board/``, then ``report.json``.

Runs the commands :func:`gatecomp.fpga.project.flow_steps` defines (the ones in the
Makefile) inside ``board/``, showing each step with its time, and writes
``board/report.json``: LUTs, flip-flops, carry cells, RAM (whole design, core, shell),
utilisation per bel type, Fmax per clock, critical-path logic levels, pipeline latency and
throughput. A design that does not fit, or misses the board clock (or ``--freq``), raises a
one-line :class:`GatecompError` that says by how much and what would help; the report is
written first.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import GatecompError
from ..interrupts import terminate_as_interrupt
from ..outdir import output_lock, write_atomic
from ..report import write_report_html
from ..sidecar import Sidecar
from ..toolchain import require_fpga_tool
from .boards import Pin, Target
from .project import (
    BOARD_DIR,
    DEFAULT_FREQ_MHZ,
    TARGET_FILE,
    bitstream_name,
    core_source,
    flow_steps,
    yosys_script,
)
from .report import (
    LOGIC_BEL,
    log_utilization,
    overflow_message,
    resources,
    timing,
    timing_message,
    utilization,
)
from .uart_host import frame_bytes

Progress = Callable[[str], None]
REPORT_FILE = "report.json"


@dataclass
class BuildResult:
    board_dir: Path
    bitstream: Path
    netlist: Path
    report: dict


def load_project(build_dir: Path) -> tuple[dict, Sidecar, Target]:
    """(target.json record, rtl sidecar, Target) of a build dir made with --board/--device."""
    build_dir = Path(build_dir)
    rec_path = build_dir / BOARD_DIR / TARGET_FILE
    if not rec_path.is_file():
        if not build_dir.is_dir():
            raise GatecompError(f"build directory {build_dir} not found")
        raise GatecompError(f"{build_dir} has no board/; compile it with --board BOARD or "
                            f"--device DEVICE (e.g. --device ice40-up5k-sg48)")
    record = json.loads(rec_path.read_text())
    module = record["module"]
    sidecar = Sidecar.read(build_dir / "rtl" / f"{module}.json")
    t = dict(record["target"])
    pins = {}
    for key in ("clock", "uart_rx", "uart_tx"):
        pins[key] = Pin(**t[key]) if t.get(key) else None
    leds = tuple(Pin(**p) for p in t.get("leds") or ())
    target = Target(**{**t, **pins, "leds": leds})
    return record, sidecar, target


def build(build_dir: Path, freq_mhz: float | None = None,
          progress: Progress | None = None, time_limit_min: float | None = None) -> BuildResult:
    """Synthesise, place, route and pack ``build_dir/board``; write ``board/report.json``.

    Parameters
    ----------
    build_dir
        A ``gatecomp compile --board/--device`` output.
    freq_mhz
        Required clock (MHz); default: the board clock, or no requirement for a device-only
        target (nextpnr then aims at 48 MHz on iCE40, 100 MHz on ECP5).
    progress
        Called with one line per step.
    time_limit_min
        Minutes the whole flow may take; a step still running then is stopped and reported
        (nextpnr can route an unroutable design for hours).

    Raises
    ------
    GatecompError
        A tool is missing or fails, the design does not fit, or it misses ``freq_mhz``.
    """
    say = progress or (lambda _m: None)
    build_dir = Path(build_dir)
    record, sidecar, target = load_project(build_dir)
    module = record["module"]
    board = build_dir / BOARD_DIR
    required = freq_mhz or (target.clock_hz / 1e6 if target.clock_hz else None)
    aim = required or DEFAULT_FREQ_MHZ[target.family]
    cells = record.get("core") == core_source(module, True)  # --luts-per-stage: LUT cells
    chains = bool(record.get("carry_chains"))
    (board / "synth.ys").write_text(yosys_script(module, target, cells, chains))
    steps = flow_steps(module, target, aim)
    tools = {s.tool: require_fpga_tool(s.tool) for s in steps}
    with output_lock(board), terminate_as_interrupt():
        _remove_outputs(board, steps)  # a rerun starts clean, even after a killed build
        commands, seconds = _run_steps(steps, tools, board, say, time_limit_min, module,
                                       target, cells, chains)
        report = make_report(board, module, record, sidecar, target, required, aim, commands,
                             seconds)
        write_atomic(board / REPORT_FILE, json.dumps(report, indent=2) + "\n")
        write_report_html(build_dir)  # report.html again, now with the FPGA results
    say(summary_line(report))
    if required is not None:
        _check_timing(report, sidecar, module, target, required, board)
    return BuildResult(board, board / bitstream_name(module, target),
                       board / record["netlist"], report)


def _run_steps(steps, tools: dict[str, str], board: Path, say: Progress,
               time_limit_min: float | None, module: str, target: Target, cells: bool,
               chains: bool) -> tuple[list[str], dict[str, float]]:
    """Run the flow's steps in ``board``, one line each to ``say``; (commands, seconds per
    tool). A step past the time limit or failing raises a one-line GatecompError."""
    seconds: dict[str, float] = {}
    commands = []
    deadline = None if time_limit_min is None else time.perf_counter() + 60 * time_limit_min
    for i, step in enumerate(steps, 1):
        say(f"[{i}/{len(steps)}] {step.name} ...")
        argv = [tools[step.tool], *step.args]
        commands.append(" ".join([Path(argv[0]).name, *step.args]))
        start = time.perf_counter()
        left = None if deadline is None else max(0.0, deadline - start)
        try:
            proc = _run_tool(argv, board, left, step)
            if proc is None:
                _too_long(step, board, cells, time_limit_min, chains)
            if proc.returncode != 0:
                _fail(module, target, board, step, proc)
            _check_wrote(step, board, proc)
        except BaseException:  # failed, stopped or interrupted: its outputs may be half-written
            _remove_outputs(board, [step])
            raise
        seconds[step.tool] = round(time.perf_counter() - start, 2)
        say(f"[{i}/{len(steps)}] {step.name}: done ({seconds[step.tool]:.1f} s)")
    return commands, seconds


def _run_tool(argv: list[str], board: Path, timeout: float | None,
              step) -> subprocess.CompletedProcess | None:
    """Run one tool (None: past ``timeout``); a binary that cannot start is a one-line error."""
    try:
        return subprocess.run(argv, cwd=board, capture_output=True, text=True, timeout=timeout,
                              errors="replace")
    except subprocess.TimeoutExpired:
        return None
    except OSError as exc:
        raise GatecompError(f"{step.name}: cannot run {argv[0]}: {exc.strerror}") from None


def _check_wrote(step, board: Path, proc: subprocess.CompletedProcess) -> None:
    """A tool that exits 0 without writing its outputs is broken, not successful."""
    missing = [out for out in step.outputs if not (board / out).is_file()]
    if missing:
        said = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or ["no output"]
        raise GatecompError(f"{step.name}: {Path(proc.args[0]).name} exited 0 but wrote no "
                            f"{missing[0]} (it said: {said[0][:120]})")


def _remove_outputs(board: Path, steps) -> None:
    """Delete what ``steps`` write (netlists, placed designs, bitstreams) and the reports."""
    for name in (*(out for s in steps for out in s.outputs), REPORT_FILE, "nextpnr_report.json"):
        (board / name).unlink(missing_ok=True)


def _check_timing(report: dict, sidecar: Sidecar, module: str, target: Target, required: float,
                  board: Path) -> None:
    """A one-line GatecompError (what would help, where the report is) if Fmax misses
    ``required``."""
    levels, latency = sidecar.stats.levels or 0, sidecar.latency
    per_stage = -(-levels // max(latency, 1)) if levels else None
    luts_per_stage = sidecar.options.get("luts_per_stage")
    flag = "--luts-per-stage" if luts_per_stage else "--levels-per-stage"
    msg = timing_message(module, target.description, report["timing"]["fmax_mhz"] or 0.0,
                         required, luts_per_stage or per_stage, flag)
    if msg:
        raise GatecompError(msg + f" (report: {board / REPORT_FILE})")


def _too_long(step, board: Path, cells: bool, limit_min: float, chains: bool = False) -> None:
    """The one-line error for a step stopped at the time limit, with its last log line."""
    log_path = board / step.log if step.log else None
    lines = (log_path.read_text(errors="replace").strip().splitlines()
             if log_path and log_path.is_file() else [])
    last = f"; last log line: {lines[-1].removeprefix('Info:').strip()}" if lines else ""
    hint = "give it more with --time-limit"
    if step.tool.startswith("nextpnr") and cells:
        shorter = "with shorter carry chains (--chain-length 14) or " if chains else ""
        hint = (f"a --lut-cells core of a big net may not route: compile {shorter}without "
                f"--lut-cells, or give it more with --time-limit")
    raise GatecompError(f"{step.name} did not finish within {limit_min:g} min ({hint})"
                        f"{last}")


def _fail(module: str, target: Target, board: Path, step, proc) -> None:
    log_path = board / step.log if step.log else None
    text = log_path.read_text(errors="replace") if log_path and log_path.is_file() else ""
    text += proc.stdout + proc.stderr
    if step.tool.startswith("nextpnr"):
        msg = overflow_message(module, target.description, log_utilization(text),
                               target.family)
        if msg:
            raise GatecompError(msg)
    errors = [ln.strip() for ln in text.splitlines() if "ERROR" in ln or "error" in ln.lower()]
    detail = errors[0] if errors else (text.strip().splitlines() or ["no output"])[-1]
    where = f" (log: {log_path})" if log_path else ""
    raise GatecompError(f"{step.name} failed: {detail}{where}")


def make_report(board: Path, module: str, record: dict, sidecar: Sidecar, target: Target,
                required: float | None, aim: float, commands: list[str],
                seconds: dict[str, float]) -> dict:
    """``board/report.json`` from the tools' outputs in ``board``."""
    stat = json.loads((board / "yosys_stat.json").read_text())
    pnr = json.loads((board / "nextpnr_report.json").read_text())
    res = resources(stat, record["top"], module, target.family)
    tim = timing(pnr)
    fmax = tim["fmax_mhz"]
    util = utilization(pnr)
    latency = sidecar.latency
    throughput = {"core_inferences_per_s": round(fmax * 1e6) if fmax else None,
                  "note": "one inference per clock at Fmax (fully pipelined core)"}
    if target.board:
        per_s = target.baud / 10 / frame_bytes(sidecar.in_data.width)
        throughput["uart_inferences_per_s"] = round(per_s, 1)
    logic = util.get(LOGIC_BEL[target.family], {})
    return {
        "module": module, "top": record["top"],
        "target": {"name": target.name, "description": target.description,
                   "family": target.family, "device": target.device,
                   "package": target.package, "speed": target.speed},
        "bitstream": record["bitstream"], "netlist": record["netlist"],
        "core_source": record.get("core", core_source(module, False)),
        "resources": res,
        "utilization": util,
        "logic_utilization_percent": logic.get("percent"),
        "timing": {**tim, "required_mhz": required, "nextpnr_target_mhz": aim,
                   "met": None if required is None or fmax is None else fmax >= required},
        "pipeline": {"latency": latency, "ir_levels": sidecar.stats.levels,
                     "registers": sidecar.stats.registers,
                     "latency_ns_at_fmax": round(latency * 1e3 / fmax, 2) if fmax else None},
        "throughput": throughput,
        "commands": commands,
        "timings_s": seconds,
    }


def summary_line(report: dict) -> str:
    r = report["resources"]
    t = report["timing"]
    return (f"{report['module']} on {report['target']['name']}: {r['total']['luts']} LUTs "
            f"({r['core']['luts']} in the core), {r['total']['ffs']} FFs, "
            f"{r['total']['carry']} carry, logic {report['logic_utilization_percent']}% used, "
            f"Fmax {t['fmax_mhz']} MHz, {t['critical_path_logic_levels']} logic levels, "
            f"latency {report['pipeline']['latency']}, "
            f"{(report['throughput']['core_inferences_per_s'] or 0) / 1e6:.1f} M inferences/s")

