"""Cycle-accurate cocotb regression of a gatecomp top module against the reference vectors.

This file is copied verbatim into ``build/NAME/sim/test_NAME.py`` and runs inside the HDL
simulator (cocotb 2.x). It imports nothing from gatecomp: everything it needs lies beside it,

  vectors.npz    ``in_data`` (vectors, ceil(W/8)) uint8, bits packed LSB first; ``in_width``;
                 one int64 array per LogicNet output port name (``count0``, ``pred``, ...)
                 holding the PyTorch reference values
  sidecar.json   the rtl/NAME.json port map: ``latency``, ``clock``, ``reset``, ``outputs``

so a sim dir plus the Verilog file is a complete, self-contained regression.

The test resets the design, streams one vector per clock (``stream``; ``stream_backpressure``
adds seeded random in_valid gaps and out_ready stalls) and keeps a scoreboard: a shift register
of ``latency`` slots that advances on every enabled edge (out_ready = 1) exactly as the port
contract says the hardware does. Every cycle it asserts that in_ready == out_ready, that
out_valid is 1 exactly when the scoreboard's last slot holds a vector, and that each out_<port>
then equals the reference value for that vector. The latency is checked, never searched for.
Mismatches are collected (not fatal one by one) and a JSON summary is written to
``$GATECOMP_SIM_RESULTS_DIR/<test name>.json`` (default: the working directory), with the
values the RTL showed per vector and port in ``<test name>_outputs.npz`` beside it; the runner
(gatecomp.verify.rtl_sim) reads both. The test fails on any data or valid-timing error.

Environment: GATECOMP_SIM_VECTORS (check only the first N vectors), GATECOMP_SIM_SEED
(backpressure pattern, default 1), GATECOMP_SIM_RESULTS_DIR.
"""

from __future__ import annotations

import json
import os
import random
from collections import deque
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

HERE = Path(__file__).resolve().parent
CLOCK_PERIOD_NS = 10
RESET_CYCLES = 2
DRAIN_CYCLES = 2  # cycles after the last output during which out_valid must stay 0
P_VALID = 0.75  # backpressure mode: chance that a new vector is offered in a cycle
P_READY = 0.7  # backpressure mode: chance that out_ready is 1 in a cycle
KEEP = 20  # mismatches / timing errors kept in the summary


def _load() -> tuple[dict, list[int], int, dict[str, list[int]]]:
    sidecar = json.loads((HERE / "sidecar.json").read_text())
    with np.load(HERE / "vectors.npz") as npz:
        packed = npz["in_data"]
        width = int(npz["in_width"])
        expected = {o["name"]: npz[o["name"]].astype(np.int64).tolist()
                    for o in sidecar["outputs"]}
    limit = int(os.environ.get("GATECOMP_SIM_VECTORS") or 0)
    if limit > 0:
        packed = packed[:limit]
        expected = {k: v[:limit] for k, v in expected.items()}
    words = [int.from_bytes(row.tobytes(), "little") for row in packed]
    return sidecar, words, width, expected


def _read(handle) -> int | str:
    """An output's value as an int, or its string (``x``/``z`` bits) when not resolvable."""
    value = handle.value
    try:
        return int(value)
    except ValueError:
        return str(value)


class Scoreboard:
    """Expected-vs-got bookkeeping: data mismatches per (vector, port), timing errors per cycle.

    ``observed`` keeps what the RTL showed for every vector and port when it was first due
    (-1: never due, or not 0/1), so the runner can score the RTL's own predictions.
    """

    def __init__(self) -> None:
        self.mismatches: list[dict] = []
        self.seen: set[tuple[int, str]] = set()
        self.timing: list[dict] = []
        self.timing_count = 0
        self.checked: set[int] = set()
        self.observed: dict[str, list[int]] = {}

    def data(self, vector: int, port: str, signal: str, expected: int, got, cycle: int) -> None:
        self.checked.add(vector)
        column = self.observed[port]
        if column[vector] == -1 and isinstance(got, int):
            column[vector] = got
        if got == expected or (vector, port) in self.seen:
            return
        self.seen.add((vector, port))
        if len(self.mismatches) < KEEP:
            self.mismatches.append({"vector": vector, "port": port, "signal": signal,
                                    "expected": expected, "got": got, "cycle": cycle})

    def timing_error(self, signal: str, expected: int, got, cycle: int, vector) -> None:
        self.timing_count += 1
        if len(self.timing) < KEEP:
            self.timing.append({"signal": signal, "expected": expected, "got": got,
                                "cycle": cycle, "vector": vector})


async def _run(dut, test_name: str, backpressure: bool) -> None:
    results_dir = Path(os.environ.get("GATECOMP_SIM_RESULTS_DIR") or ".")
    seed = int(os.environ.get("GATECOMP_SIM_SEED") or 1)
    summary: dict = {"test": test_name, "backpressure": backpressure, "seed": seed,
                     "error": None, "passed": False}
    board = Scoreboard()
    try:
        sidecar, words, width, expected = _load()
        latency = int(sidecar["latency"])
        summary.update(module=sidecar.get("module"), latency=latency, vectors_total=len(words))
        board.observed = {name: [-1] * len(words) for name in expected}
        ports = [(o["name"], o["port"], getattr(dut, o["port"]), expected[o["name"]])
                 for o in sidecar["outputs"]]
        clk = getattr(dut, sidecar.get("clock", "clk"))
        rst = getattr(dut, sidecar.get("reset", "rst"))
        in_valid, in_ready, in_data = dut.in_valid, dut.in_ready, dut.in_data
        out_valid, out_ready = dut.out_valid, dut.out_ready
        rng = random.Random(seed)

        Clock(clk, CLOCK_PERIOD_NS, unit="ns").start()
        rst.value = 1
        in_valid.value = 0
        in_data.value = 0
        out_ready.value = 1
        for _ in range(RESET_CYCLES):
            await RisingEdge(clk)
        rst.value = 0

        pipe: deque[int | None] = deque([None] * latency)  # pipe[-1] = the output stage
        presented: int | None = None  # vector offered with in_valid = 1, held until accepted
        following, cycle, idle = 0, 0, 0
        while True:
            # --- drive this cycle's inputs (just after a rising edge) ---
            if presented is None and following < len(words) and (
                    not backpressure or rng.random() < P_VALID):
                presented, following = following, following + 1
            ready = 1 if not backpressure or rng.random() < P_READY else 0
            in_valid.value = int(presented is not None)
            if presented is not None:
                in_data.value = words[presented]
            else:  # a bubble: junk data (or zeros) that must not matter
                in_data.value = rng.getrandbits(width) if backpressure else 0
            out_ready.value = ready

            # --- check the outputs once everything has settled ---
            await ReadOnly()
            got_ready = _read(in_ready)
            if got_ready != ready:
                board.timing_error("in_ready", ready, got_ready, cycle, presented)
            due = presented if latency == 0 else pipe[-1]
            got_valid = _read(out_valid)
            if got_valid != int(due is not None):
                board.timing_error("out_valid", int(due is not None), got_valid, cycle, due)
            if due is not None:
                for name, signal, handle, values in ports:
                    board.data(due, name, signal, values[due], _read(handle), cycle)

            # --- the clock edge: the pipeline advances only when out_ready was 1 ---
            await RisingEdge(clk)
            cycle += 1
            if ready:
                if latency:
                    pipe.appendleft(presented)
                    pipe.pop()
                presented = None
            empty = presented is None and all(p is None for p in pipe)
            if following == len(words) and empty:
                idle += 1
                if idle > DRAIN_CYCLES:
                    break
        summary["cycles"] = cycle
    except Exception as exc:  # a missing port, unreadable vectors, ...: report, then fail
        summary["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        summary.update(vectors=len(board.checked), mismatches=len(board.seen),
                       first_mismatches=board.mismatches, timing_errors=board.timing_count,
                       first_timing_errors=board.timing)
        unchecked = summary.get("vectors_total", 0) - len(board.checked)
        summary["passed"] = (summary["error"] is None and not board.seen
                             and not board.timing_count and unchecked == 0)
        results_dir.mkdir(parents=True, exist_ok=True)
        np.savez(results_dir / f"{test_name}_outputs.npz",
                 **{k: np.asarray(v, dtype=np.int64) for k, v in board.observed.items()})
        (results_dir / f"{test_name}.json").write_text(json.dumps(summary, indent=1) + "\n")

    problems = []
    if board.seen:
        first = board.mismatches[0]
        problems.append(f"{len(board.seen)} output mismatches (first: vector {first['vector']} "
                        f"{first['port']} expected {first['expected']} got {first['got']})")
    if board.timing_count:
        first = board.timing[0]
        problems.append(f"{board.timing_count} valid/ready timing errors (first: cycle "
                        f"{first['cycle']} {first['signal']} expected {first['expected']} "
                        f"got {first['got']}, latency {latency})")
    if unchecked:
        problems.append(f"{unchecked} vectors never reached the output")
    assert not problems, "; ".join(problems)


@cocotb.test
async def stream(dut) -> None:
    """Back-to-back stream: in_valid and out_ready held at 1."""
    await _run(dut, "stream", backpressure=False)


@cocotb.test
async def stream_backpressure(dut) -> None:
    """Seeded random in_valid gaps and out_ready stalls."""
    await _run(dut, "stream_backpressure", backpressure=True)
