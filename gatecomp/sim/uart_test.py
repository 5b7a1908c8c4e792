"""Protocol-level cocotb test of the board UART shell ``NAME_uart`` (shell + core).

:mod:`gatecomp.fpga.uart_verify` copies this file, and ``uart_host.py`` beside it, into a work
directory and runs it with the shell as the top level. Like the stream test it imports nothing
from gatecomp; a JSON file named by ``$GATECOMP_UART_CONFIG`` says where the build's
``sim/vectors.npz`` is and what the shell was built with (board clock, baud divisor, frame
timeout in cycles, bytes per vector, result port, LEDs).

The test is a host on the serial line, timed by the host's clock and not the shell's:

* it drives ``uart_rx`` with 8N1 frames whose bit time is ``1 / host_baud`` seconds (the shell
  divides its clock by a rounded divisor, so the two rates differ as on a real board), and a
  monitor decodes every frame on ``uart_tx`` by sampling mid-bit at the same host rate;
* **stream**: the vectors' bytes back to back, LSB byte first, odd vectors with the pad bits
  past ``W`` set (the shell must ignore them); each answer must be the reference ``pred``
  (low 8 bits) and arrive after its vector's last byte and before one byte time plus the
  pipeline latency later; the LEDs must show the answer's low bits (lit = 1);
* **protocol** (two bytes or more per vector): a vector with a pause of 0.9 x the timeout in
  its middle must still count as one vector; half a vector, then a pause of 1.02 x the
  timeout, then two whole vectors must give exactly the two whole vectors' answers (the half
  is discarded: the next byte is byte 0 again).

Answers are matched to vectors in order; a missing, extra, late, early or malformed answer is
an error. The JSON summary goes to ``$GATECOMP_UART_RESULTS`` (default ``uart.json``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.simtime import get_sim_time
from cocotb.triggers import FallingEdge, Timer
from uart_host import answer_byte, decode_levels, pack_word, uart_levels

KEEP = 20  # first errors kept in the summary
SETTLE_BITS = 4  # idle line before the first byte (the shell's power-on reset is 15 cycles)
KEEP_PAUSE = 0.9  # x timeout: a pause inside a vector that must not restart it
RESTART_PAUSE = 1.02  # x timeout: a pause inside a vector that must restart it
SLACK_CYCLES = 16  # answer window slack: synchroniser, frame hand-over, tx load


def _read(handle) -> int:
    try:
        return int(handle.value)
    except ValueError:
        return -1


class Line:
    """The host's view of the serial pins: a transmitter on uart_rx, a monitor on uart_tx."""

    def __init__(self, dut, bit_ps: int, led_handle) -> None:
        self.dut = dut
        self.bit_ps = bit_ps
        self.led = led_handle
        self.answers: list[dict] = []

    async def send(self, data: bytes, pause_after: dict[int, int] | None = None) -> int:
        """Send ``data``; ``pause_after[k]`` ps of idle line after byte ``k``. Returns the
        time (ps) of the middle of the last stop bit, where the shell takes the byte."""
        pause_after = pause_after or {}
        done = 0
        for k, byte in enumerate(data):
            for level in uart_levels(byte):
                self.dut.uart_rx.value = level
                await Timer(self.bit_ps, unit="ps")
            done = int(get_sim_time("ps")) - self.bit_ps // 2
            if pause_after.get(k):
                await Timer(pause_after[k], unit="ps")
        return done

    async def idle(self, ps: int) -> None:
        self.dut.uart_rx.value = 1
        await Timer(max(int(ps), 1), unit="ps")

    async def monitor(self) -> None:
        """Decode every frame on uart_tx (sampled mid-bit at the host's bit rate)."""
        while True:
            await FallingEdge(self.dut.uart_tx)
            start = int(get_sim_time("ps"))
            await Timer(self.bit_ps // 2, unit="ps")
            levels = [_read(self.dut.uart_tx)]
            led = _read(self.led) if self.led is not None else None
            for _ in range(9):
                await Timer(self.bit_ps, unit="ps")
                levels.append(_read(self.dut.uart_tx))
            self.answers.append({"byte": decode_levels(levels), "levels": levels,
                                 "start_ps": start, "led": led})


@cocotb.test
async def uart(dut) -> None:
    """Stream the vectors through the serial protocol and check the protocol's rules."""
    cfg = json.loads(Path(os.environ["GATECOMP_UART_CONFIG"]).read_text())
    results = Path(os.environ.get("GATECOMP_UART_RESULTS") or "uart.json")
    summary: dict = {"test": "uart", "error": None, "passed": False,
                     **{k: cfg[k] for k in ("clock_hz", "host_baud", "divisor",
                                            "timeout_cycles", "frame_bytes", "latency")}}
    expect: list[dict] = []  # one per answer the host waits for, in order
    line = None
    try:
        words, values, width = _vectors(cfg)
        t = _Times(cfg)
        window_ps = t.window_ps
        summary.update(width=width, clock_ps=t.clk_ps, bit_ps=t.bit_ps)

        line = Line(dut, t.bit_ps, dut.led if int(cfg.get("leds") or 0) else None)
        # the GPI (C) clock: the Python one costs ~7x the simulation; rx is asynchronous to
        # the clock anyway (the shell synchronises it), so write ordering does not matter.
        # It starts low: a rising edge at time 0 would clock a netlist's flip-flops before
        # their D inputs settle (X forever in a design without reset, as on an FPGA).
        Clock(dut.clk, t.clk_ps, unit="ps", impl="gpi").start(start_high=False)
        await line.idle(SETTLE_BITS * t.bit_ps)
        cocotb.start_soon(line.monitor())

        def want(phase: str, vector: int, done_ps: int) -> None:
            expect.append({"phase": phase, "vector": vector,
                           "expected": answer_byte(values[vector]), "done_ps": done_ps})

        pad = width % 8 != 0
        for i, word in enumerate(words):
            want("stream", i, await line.send(pack_word(word, width, pad=pad and i % 2 == 1)))
        protocol = bool(cfg.get("protocol")) and t.nbytes > 1
        summary["protocol_checked"] = protocol
        if protocol:
            await _protocol_checks(line, t, words, width, want)

        last = expect[-1]["done_ps"] + window_ps
        while len(line.answers) < len(expect) and get_sim_time("ps") < last:
            await Timer(t.bit_ps, unit="ps")
        await Timer(2 * t.byte_ps, unit="ps")  # an extra answer would start by now
        summary["sim_time_ps"] = int(get_sim_time("ps"))
    except Exception as exc:
        summary["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        answers = list(line.answers) if line is not None else []
        _score(summary, expect, answers, cfg, window_ps if line is not None else 0)
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(summary, indent=1) + "\n")
    assert summary["passed"], summary["verdict"]


def _vectors(cfg: dict) -> tuple[list[int], np.ndarray, int]:
    """(the ``in_data`` words, the reference result per vector, the word width) to send."""
    with np.load(Path(cfg["sim_dir"]) / "vectors.npz") as npz:
        packed = npz["in_data"]
        width = int(npz["in_width"])
        values = npz[cfg["result_name"]].astype(np.int64)
    limit = int(cfg.get("vectors") or 0)
    if limit > 0:
        packed, values = packed[:limit], values[:limit]
    words = [int.from_bytes(row.tobytes(), "little") for row in packed]
    if len(words) == 0:
        raise ValueError("no vectors")
    return words, values, width


class _Times:
    """The run's times in ps: clock period, host bit and byte, frame timeout, answer window."""

    def __init__(self, cfg: dict):
        self.nbytes = int(cfg["frame_bytes"])
        self.clk_ps = max(2, round(1e12 / float(cfg["clock_hz"]) / 2) * 2)
        self.bit_ps = round(1e12 / float(cfg["host_baud"]))
        self.byte_ps = 10 * self.bit_ps
        self.timeout_ps = int(cfg["timeout_cycles"]) * self.clk_ps
        # the answer leaves when the shell's transmitter is free: at most one answer byte
        # (of the shell's own bit time) after the vector, plus the pipeline
        self.window_ps = (10 * int(cfg["divisor"]) + int(cfg["latency"]) + SLACK_CYCLES) \
            * self.clk_ps


async def _protocol_checks(line: Line, t: _Times, words: list[int], width: int, want) -> None:
    """A pause of 0.9 x the timeout inside a vector, then half a vector, a pause of 1.02 x
    the timeout and two whole vectors (``want`` records each answer the host waits for)."""
    count, half = len(words), t.nbytes // 2
    await line.idle(2 * t.byte_ps)
    a, b, c, d = (k % count for k in range(4))
    keep = max(int(KEEP_PAUSE * t.timeout_ps) - t.byte_ps, t.bit_ps)
    want("pause kept", a,
         await line.send(pack_word(words[a], width), pause_after={half - 1: keep}))
    await line.idle(2 * t.byte_ps)
    await line.send(pack_word(words[b], width)[:half])
    await line.idle(int(RESTART_PAUSE * t.timeout_ps) + t.bit_ps)
    want("resync", c, await line.send(pack_word(words[c], width)))
    want("resync", d, await line.send(pack_word(words[d], width)))


def _score(summary: dict, expect: list[dict], answers: list[dict], cfg: dict,
           window_ps: int) -> None:
    """Match answers to expectations in order and fill the summary's counts and verdict."""
    counts = {"mismatches": 0, "missing": 0, "framing_errors": 0, "timing_errors": 0,
              "led_errors": 0}
    mismatches, errors, got_values, oks, max_delay = _match(summary, expect, answers, cfg,
                                                            window_ps, counts)
    clk_ps = summary.get("clock_ps") or 1
    extra = answers[len(expect):]
    phases: dict[str, bool] = {}
    for e, ok in zip(expect, oks, strict=True):
        phases[e["phase"]] = phases.get(e["phase"], True) and ok
    padded = [ok for e, ok in zip(expect, oks, strict=True)
              if e["phase"] == "stream" and e["vector"] % 2 == 1]
    pad_ok = all(padded) if padded and summary.get("width", 0) % 8 else None
    summary.update(
        vectors=sum(e["phase"] == "stream" for e in expect), answers=len(answers),
        extra=len(extra), extra_answers=[a["byte"] for a in extra[:KEEP]], **counts,
        first_mismatches=mismatches, first_errors=errors[:KEEP],
        max_delay_cycles=round(max_delay / clk_ps) if answers else None,
        got=got_values, expected=[e["expected"] for e in expect],
        phases=[e["phase"] for e in expect], pad_ignored=pad_ok,
        pause_kept=phases.get("pause kept"), resync=phases.get("resync"))
    problems = [f"{n} {k.replace('_', ' ')}" for k, n in counts.items() if n]
    if extra:
        problems.append(f"{len(extra)} extra answers")
    if summary["error"]:
        problems.append(summary["error"])
    summary["passed"] = not problems and bool(expect)
    summary["verdict"] = "; ".join(problems) or ("PASS" if expect else "nothing checked")


def _match(summary: dict, expect: list[dict], answers: list[dict], cfg: dict, window_ps: int,
           counts: dict[str, int]) -> tuple[list[dict], list[dict], list[int], list[bool], int]:
    """Pair each expectation with the answer in its place and count what is wrong in
    ``counts``; (first mismatches, errors, the bytes got, ok per expectation, max delay)."""
    leds = int(cfg.get("leds") or 0)
    mask = (1 << leds) - 1
    invert = int(cfg.get("led_invert") or 0)
    clk_ps = summary.get("clock_ps") or 1
    bit_ps = summary.get("bit_ps") or 0
    mismatches, errors, got_values, oks = [], [], [], []
    max_delay = 0
    for k, e in enumerate(expect):
        ans = answers[k] if k < len(answers) else None
        got = None if ans is None else ans["byte"]
        got_values.append(-1 if got is None else got)
        where = {"phase": e["phase"], "vector": e["vector"]}
        if ans is None:
            counts["missing"] += 1
        elif got is None:
            counts["framing_errors"] += 1
            errors.append({**where, "error": "framing", "levels": ans["levels"]})
        ok = got == e["expected"]
        if not ok:
            counts["mismatches"] += 1
            if len(mismatches) < KEEP:
                mismatches.append({**where, "expected": e["expected"], "got": got})
        if ans is not None:
            delay = ans["start_ps"] - e["done_ps"]
            max_delay = max(max_delay, delay)
            if not -bit_ps <= delay <= window_ps:
                ok = False
                counts["timing_errors"] += 1
                errors.append({**where, "error": "answer outside its window",
                               "delay_cycles": round(delay / clk_ps),
                               "window_cycles": round(window_ps / clk_ps)})
            if leds and got is not None and ans["led"] != ((got & mask) ^ invert):
                ok = False
                counts["led_errors"] += 1
                errors.append({**where, "error": "led", "expected": (got & mask) ^ invert,
                               "got": ans["led"]})
        oks.append(ok)
    return mismatches, errors, got_values, oks, max_delay
