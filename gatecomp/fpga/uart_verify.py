"""The board UART shell verified at protocol level: in cocotb against the reference, or on a board.

``gatecomp verify build/NAME --uart`` runs :func:`run_uart_verify`: the shell top
``NAME_uart`` with the core (``rtl/NAME.v``) in Icarus, driven by the cocotb host of
``gatecomp/sim/uart_test.py`` with real 8N1 frames at the host's bit time; every answer byte is
compared with the PyTorch reference ``pred`` stored at compile time (``sim/vectors.npz``), and
the frame-timeout rules are checked. What is simulated:

* by default ``board/NAME_uart.v`` exactly as ``gatecomp build`` synthesises it (board baud
  rate, 50 ms timeout: 12 MHz / 115200 baud is 104 cycles a bit and 600 000 cycles of timeout);
* with ``baud`` and/or ``timeout_cycles`` the same Amaranth shell elaborated with those two
  constants (written into the work dir, never into ``board/``): the same logic, far fewer
  clock cycles per vector;
* with ``netlist`` the synthesized netlist (``board/NAME_netlist.v``: shell and core as
  mapped cells) with the vendor cell models, at the board's constants;
* with ``shell`` any other Verilog file defining ``NAME_uart`` (e.g. a hand-modified shell).

:func:`run_board_verify` sends the same vectors to a real board over pyserial
(:class:`gatecomp.fpga.uart_host.BoardLink`) and scores the answers the same way.
The work dir is ``board/uart_sim_<simulator>_<variant>/``.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import GatecompError
from ..sidecar import Sidecar
from ..sim import UART_TEST
from ..toolchain import simulator_env
from ..verify.accuracy import accuracy_from_file
from ..verify.rtl_sim import (
    LABELS_FILE,
    VECTORS_FILE,
    SimVerdict,
    read_verdict,
    require_sim_files,
    require_sources,
    run_cocotb,
)
from . import uart_host
from .flow import load_project
from .project import BOARD_DIR
from .shell import UartTiming, result_port, uart_shell_verilog, uart_timing
from .uart_host import frame_bytes

UART_HOST = Path(uart_host.__file__).resolve()
CONFIG_FILE = "uart_config.json"
RESULTS_FILE = "uart.json"
#: vectors sent when the caller does not say (a 192-bit vector is ~2 ms of line at 115200)
UART_DEFAULT_VECTORS = 20


@dataclass
class UartVerifyResult(SimVerdict):
    """Outcome of one protocol-level run (simulated, or on a board).

    ``vectors`` stream vectors were sent; ``mismatches`` counts expected answers (stream and
    protocol checks) whose byte differed from the reference or never came (``missing``);
    ``extra`` counts answers nobody asked for; ``framing_errors``, ``timing_errors`` (an answer
    before its vector's last byte or too late) and ``led_errors`` count the rest.
    ``pad_ignored``, ``pause_kept`` and ``resync`` are the protocol checks (None: not run).
    ``sim_time_s`` is simulated time; ``seconds`` the whole call, ``sim_seconds`` the
    simulator run.
    """

    module: str
    simulator: str
    source: Path | str
    timing: UartTiming
    host_baud: float
    vectors: int
    mismatches: int
    missing: int
    extra: int
    framing_errors: int
    timing_errors: int
    led_errors: int
    first_mismatches: list[dict]
    first_errors: list[dict]
    pad_ignored: bool | None
    pause_kept: bool | None
    resync: bool | None
    sim_time_s: float
    seconds: float
    passed: bool
    sim_seconds: float = 0.0
    max_delay_cycles: int | None = None
    accuracy: float | None = None
    work_dir: Path | None = None
    log: Path | None = None
    extra_info: dict = field(default_factory=dict, repr=False)

    def _headline(self) -> str:
        t = self.timing
        name = self.source if isinstance(self.source, str) else self.source.name
        checks = []
        if self.pad_ignored is not None:
            checks.append(f"pad bits {'ignored' if self.pad_ignored else 'NOT ignored'}")
        if self.pause_kept is not None:
            checks.append(f"{0.9 * t.timeout_s * 1e3:.3g} ms pause "
                          f"{'kept' if self.pause_kept else 'DID NOT keep'} a vector")
        if self.resync is not None:
            checks.append(f"{1.02 * t.timeout_s * 1e3:.3g} ms pause "
                          f"{'resynchronised' if self.resync else 'DID NOT resynchronise'}")
        head = (f"UART {name} ({self.simulator}; {t.baud} baud = {t.divisor} clk/bit at "
                f"{t.clock_hz / 1e6:g} MHz, frame timeout {t.timeout_cycles} clk = "
                f"{t.timeout_s * 1e3:.3g} ms) vs reference: {self.vectors} vectors, "
                f"{self.mismatches} mismatches, {self.missing} missing, {self.extra} extra "
                f"answers, {self.framing_errors + self.timing_errors + self.led_errors} "
                f"framing/timing/LED errors"
                f"{'; ' + ', '.join(checks) if checks else ''}; "
                f"{'' if self.accuracy is None else f'accuracy {self.accuracy:.2%}, '}"
                f"{self.sim_time_s * 1e3:.1f} ms simulated, {self.seconds:.1f} s: "
                f"{'PASS' if self.passed else 'FAIL'}")
        if self.simulator.startswith("board"):
            head = head.replace(" simulated", " on the line")
        return head

    def _details(self, details: int) -> list[str]:
        lines = []
        for m in self.first_mismatches[:details]:
            lines.append(f"  {m['phase']} vector {m['vector']}: expected {m['expected']}, "
                         f"got {m['got']}")
        for e in self.first_errors[:details]:
            lines.append("  " + ", ".join(f"{k} {v}" for k, v in e.items()))
        return lines

    def _failure(self) -> str:
        first = ""
        if self.first_mismatches:
            m = self.first_mismatches[0]
            first = (f"; first: {m['phase']} vector {m['vector']} expected {m['expected']} "
                     f"got {m['got']}")
        elif self.first_errors:
            first = "; first: " + ", ".join(f"{k} {v}" for k, v in self.first_errors[0].items())
        return (f"UART shell {self.module}_uart ({self.simulator}) differs from the reference: "
                f"{self.mismatches} mismatches, {self.extra} extra answers, "
                f"{self.framing_errors + self.timing_errors + self.led_errors} framing/timing/LED "
                f"errors{first}")


def board_uart(build_dir: Path) -> tuple[dict, Sidecar, UartTiming, int, int]:
    """(target.json record, sidecar, the shell's UART timing, LED count, LED invert mask) of a
    build compiled with ``--board``; GatecompError otherwise."""
    record, sidecar, target = load_project(Path(build_dir))
    if not target.board:
        raise GatecompError(f"{build_dir} targets a device ({target.name}), not a board: it "
                            f"has no UART shell; compile with --board BOARD")
    uart = record.get("uart")
    if uart:  # the constants the board file was elaborated with
        timing = UartTiming(float(uart["clock_hz"]), int(uart["baud"]), int(uart["divisor"]),
                            int(uart["timeout_cycles"]))
        return record, sidecar, timing, int(uart["leds"]), int(uart["led_invert"])
    # a build from before the constants were recorded: its shell had no LED inversion
    return (record, sidecar, uart_timing(target.clock_hz, target.baud), len(target.leds), 0)


def run_uart_verify(build_dir: Path, vectors: int | None = UART_DEFAULT_VECTORS, *,
                    sim: str = "icarus", baud: int | None = None, timeout_cycles: int | None = None,
                    netlist: Path | None = None, extra_sources: tuple[Path, ...] = (),
                    shell: Path | None = None, protocol: bool = True,
                    verbose: bool = False) -> UartVerifyResult:
    """Simulate the board UART shell with the core and compare its answers with the reference.

    Parameters
    ----------
    build_dir
        A ``gatecomp compile --board`` output.
    vectors
        Send the first ``vectors`` test vectors (None: all in ``sim/vectors.npz``). At 115200
        baud a 192-bit vector is 24 bytes, about 2 ms of line time.
    sim
        ``"icarus"`` (default) or ``"verilator"``.
    baud, timeout_cycles
        Simulate the shell elaborated for this baud rate (same board clock) and this frame
        timeout (clock cycles) instead of ``board/NAME_uart.v``: fewer cycles, same logic.
    netlist
        Simulate this synthesized netlist (defining ``NAME_uart`` and the core) instead of the
        RTL, with ``extra_sources`` (the cell models); board constants only.
    shell
        Simulate this Verilog file as ``NAME_uart`` (with ``rtl/NAME.v``); board constants
        unless ``baud``/``timeout_cycles`` say what it was built with.
    protocol
        Also check the frame timeout (a 0.9 x timeout pause keeps a vector, 1.02 x restarts
        it); costs about two timeouts of simulated time.
    verbose
        Show the simulator's output instead of logging it.

    Returns
    -------
    UartVerifyResult
        ``passed`` is False on any wrong, missing, extra, malformed or mistimed answer.

    Raises
    ------
    GatecompError
        Not a board build, missing files or simulator, a build failure, or a simulation that
        stopped without a verdict.
    """
    start = time.perf_counter()
    build_dir = Path(build_dir)
    record, sidecar, timing, leds, invert = board_uart(build_dir)
    module = sidecar.module
    top = str(record.get("top") or f"{module}_uart")
    sim_dir = require_sim_files(build_dir)
    if vectors is not None and vectors < 1:
        raise GatecompError(f"vectors must be at least 1, got {vectors}")
    rebuilt = baud is not None or timeout_cycles is not None
    if netlist is not None and (rebuilt or shell is not None):
        raise GatecompError("a synthesized netlist runs at the board's baud rate and timeout; "
                            "give netlist alone")
    if rebuilt:
        timing = uart_timing(timing.clock_hz, baud or timing.baud,
                             timeout_cycles if timeout_cycles is not None else
                             (None if baud else timing.timeout_cycles))
    variant = ("netlist" if netlist is not None else "shell" if shell is not None
               else f"b{timing.baud}_t{timing.timeout_cycles}" if rebuilt else "board")
    work = (build_dir / BOARD_DIR / f"uart_sim_{sim}_{variant}").resolve()
    work.mkdir(parents=True, exist_ok=True)
    rebuilt_shell = (uart_shell_verilog(sidecar, timing, leds, invert)
                     if rebuilt and shell is None else None)
    source, sources = _uart_sources(build_dir, work, module, top, netlist, extra_sources,
                                    shell, rebuilt_shell)
    require_sources(sources)
    env = simulator_env(sim)
    results = _write_uart_test(work, sim_dir, sidecar, top, timing, leds, invert, vectors,
                               protocol)
    env.update(GATECOMP_UART_CONFIG=str(work / CONFIG_FILE), GATECOMP_UART_RESULTS=str(results))

    sim_seconds, test_log = run_cocotb(
        sim, sources, top, work, label=source.name, test_module=f"test_{top}", test_dir=work,
        testcase="uart", env=env, verbose=verbose)

    summary = read_verdict(results, test_log, f"the {sim} simulation of {top}",
                           f"the {sim} UART simulation of {top}")
    return _result(module, sim, source, timing, summary, time.perf_counter() - start,
                   sim_seconds=sim_seconds, work_dir=work, log=test_log,
                   accuracy=_accuracy(summary, sim_dir))


def _uart_sources(build_dir: Path, work: Path, module: str, top: str, netlist: Path | None,
                  extra_sources: tuple[Path, ...], shell: Path | None,
                  rebuilt_shell: str | None) -> tuple[Path, list[Path]]:
    """(the file that defines ``top``, all sources to compile): the netlist with the cell
    models, or the core RTL with a given ``shell``, with ``rebuilt_shell`` (the shell
    elaborated for other constants, written into ``work``) or with the board's own."""
    if netlist is not None:
        return Path(netlist), [Path(netlist), *map(Path, extra_sources)]
    if shell is not None:
        source = Path(shell)
    elif rebuilt_shell is not None:
        source = work / f"{top}.v"
        source.write_text(rebuilt_shell)
    else:
        source = build_dir / BOARD_DIR / f"{top}.v"
    return source, [build_dir / "rtl" / f"{module}.v", source, *map(Path, extra_sources)]


def _write_uart_test(work: Path, sim_dir: Path, sidecar: Sidecar, top: str, timing: UartTiming,
                     leds: int, invert: int, vectors: int | None, protocol: bool) -> Path:
    """The cocotb host, its test module and ``uart_config.json`` in ``work``; returns the
    (removed) results file the test will write."""
    shutil.copyfile(UART_TEST, work / f"test_{top}.py")
    shutil.copyfile(UART_HOST, work / "uart_host.py")
    config = {"sim_dir": str(sim_dir.resolve()), "module": sidecar.module, "top": top,
              "clock_hz": timing.clock_hz, "host_baud": timing.baud,
              "divisor": timing.divisor, "timeout_cycles": timing.timeout_cycles,
              "frame_bytes": frame_bytes(sidecar.in_data.width),
              "latency": sidecar.latency,
              "result_name": _result_name(sidecar), "leds": leds, "led_invert": invert,
              "vectors": vectors or 0, "protocol": protocol}
    (work / CONFIG_FILE).write_text(json.dumps(config, indent=1) + "\n")
    results = work / RESULTS_FILE
    results.unlink(missing_ok=True)
    return results


def _result_name(sidecar: Sidecar) -> str:
    return sidecar.output(result_port(sidecar)[0]).name


def _accuracy(summary: dict, sim_dir: Path) -> float | None:
    """Share of labelled stream vectors whose answer equals the label (None: no labels)."""
    got = np.asarray(summary.get("got") or [], dtype=np.int64)[:int(summary["vectors"])]
    return accuracy_from_file(got, sim_dir / LABELS_FILE) if len(got) else None


def _result(module: str, simulator: str, source, timing: UartTiming, s: dict, seconds: float,
            **kw) -> UartVerifyResult:
    return UartVerifyResult(
        module=module, simulator=simulator, source=source, timing=timing,
        host_baud=float(s.get("host_baud", timing.baud)), vectors=int(s["vectors"]),
        mismatches=int(s["mismatches"]), missing=int(s["missing"]), extra=int(s["extra"]),
        framing_errors=int(s["framing_errors"]), timing_errors=int(s["timing_errors"]),
        led_errors=int(s["led_errors"]), first_mismatches=s["first_mismatches"],
        first_errors=s["first_errors"], pad_ignored=s.get("pad_ignored"),
        pause_kept=s.get("pause_kept"), resync=s.get("resync"),
        sim_time_s=float(s.get("sim_time_ps") or 0) * 1e-12, seconds=seconds,
        passed=bool(s["passed"]), max_delay_cycles=s.get("max_delay_cycles"),
        extra_info={k: s.get(k) for k in ("got", "expected", "phases")}, **kw)


def run_board_verify(build_dir: Path, port: str,
                     vectors: int | None = UART_DEFAULT_VECTORS,
                     timeout_s: float = 1.0) -> UartVerifyResult:
    """Send the build's test vectors to a board over ``port`` and compare the answers.

    Needs pyserial. The host resynchronises first (waits past the frame timeout), then sends
    one vector at a time and reads its answer byte.
    """
    start = time.perf_counter()
    build_dir = Path(build_dir)
    _, sidecar, timing, _, _ = board_uart(build_dir)
    sim_dir = require_sim_files(build_dir)
    with np.load(sim_dir / VECTORS_FILE) as npz:
        packed = npz["in_data"][:vectors or None]
        width = int(npz["in_width"])
        values = npz[_result_name(sidecar)][:vectors or None]
    got: list[int] = []
    mismatches: list[dict] = []
    errors: list[dict] = []
    missing = 0
    try:
        link = uart_host.BoardLink(port, timing.baud, timeout_s)
    except RuntimeError as exc:
        raise GatecompError(str(exc)) from None
    line_start = time.perf_counter()
    with link:
        link.resync()
        for i, row in enumerate(packed):
            data = uart_host.pack_word(int.from_bytes(row.tobytes(), "little"), width)
            expected = uart_host.answer_byte(values[i])
            try:
                answer = link.classify(data)
            except TimeoutError:
                missing += 1
                errors.append({"vector": i, "error": "no answer"})
                link.resync()
                answer = None
            got.append(-1 if answer is None else answer)
            if answer != expected and len(mismatches) < 20:
                mismatches.append({"phase": "board", "vector": i, "expected": expected,
                                   "got": answer})
    bad = sum(g != uart_host.answer_byte(v) for g, v in zip(got, values, strict=True))
    s = {"vectors": len(got), "mismatches": bad, "missing": missing, "extra": 0,
         "framing_errors": 0, "timing_errors": 0, "led_errors": 0,
         "first_mismatches": mismatches, "first_errors": errors[:20],
         "sim_time_ps": (time.perf_counter() - line_start) * 1e12,
         "passed": bad == 0 and len(got) > 0, "got": got}
    return _result(sidecar.module, f"board {port}", port, timing, s,
                   time.perf_counter() - start, accuracy=_accuracy(s, sim_dir))

