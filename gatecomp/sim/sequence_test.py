"""Cycle-accurate cocotb regression of a gatecomp *sequential* module, whole sequences at a time.

Copied verbatim into ``build/NAME/sim/test_NAME.py`` of a sequential build; like
``stream_test.py`` (the combinational regression, which stays as it is) it imports nothing from
gatecomp and reads what lies beside it:

  sequences.npz  ``in_data`` (beats, ceil(W/8)) uint8, one beat = one step's input bits,
                 packed LSB first; ``in_width``; ``last`` (beats,) 1 on a sequence's last step;
                 ``beat_sequence`` (beats,) the sequence of each beat; per LogicNet output port
                 (``count0``, ``pred``, ...) the reference value of every *output event*, in
                 order (one per sequence with ``emit="last"``, one per beat with ``"each"``);
                 ``event_sequence`` (events,) the sequence of each event
  sidecar.json   the rtl/NAME.json port map, with ``sequence`` (state width, init, emit)

The test resets the design, then streams all sequences back to back, one beat per clock, with
``in_last`` on each sequence's last beat (``sequence_backpressure`` adds seeded random in_valid
gaps and out_ready stalls). A model of the protocol runs beside the RTL: every cycle it asserts
``in_ready == (output register empty or out_ready)``, that ``out_valid`` is 1 exactly while an
output event is held, and that each ``out_<port>`` then equals the reference value of that
event. A beat's event is due from the edge that accepts it (latency 1) until ``out_ready``
takes it; the latency is checked, never searched for. The state is never read out: a wrong
reset value, a missed reset at a sequence boundary or a wrong next-state function shows up in
the outputs of the whole sequences. A JSON summary is written to
``$GATECOMP_SIM_RESULTS_DIR/<test name>.json`` with the observed values per event in
``<test name>_outputs.npz`` (the runner, gatecomp.verify.seq_rtl, reads both).

Environment: GATECOMP_SIM_VECTORS (check only the first N sequences), GATECOMP_SIM_SEED
(backpressure pattern, default 1), GATECOMP_SIM_RESULTS_DIR.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

HERE = Path(__file__).resolve().parent
CLOCK_PERIOD_NS = 10
RESET_CYCLES = 2
DRAIN_CYCLES = 2  # cycles after the last output during which out_valid must stay 0
P_VALID = 0.75  # backpressure mode: chance that a new beat is offered in a cycle
P_READY = 0.6  # backpressure mode: chance that out_ready is 1 in a cycle
KEEP = 20  # mismatches / timing errors kept in the summary


class Stimulus:
    """The beats, their ``last`` flags and the expected output events (first N sequences)."""

    def __init__(self) -> None:
        self.sidecar = json.loads((HERE / "sidecar.json").read_text())
        limit = int(os.environ.get("GATECOMP_SIM_VECTORS") or 0)
        with np.load(HERE / "sequences.npz") as npz:
            beat_seq, event_seq = npz["beat_sequence"], npz["event_sequence"]
            keep_b = beat_seq < limit if limit > 0 else np.ones(len(beat_seq), bool)
            keep_e = event_seq < limit if limit > 0 else np.ones(len(event_seq), bool)
            self.words = [int.from_bytes(r.tobytes(), "little") for r in npz["in_data"][keep_b]]
            self.last = npz["last"][keep_b].astype(int).tolist()
            self.width = int(npz["in_width"])
            self.expected = {o["name"]: npz[o["name"]][keep_e].astype(np.int64).tolist()
                             for o in self.sidecar["outputs"]}
            self.event_sequence = event_seq[keep_e].tolist()
        self.each = self.sidecar["sequence"]["emit"] == "each"

    def emits(self, beat: int) -> bool:
        """Whether accepting ``beat`` loads an output event."""
        return self.each or bool(self.last[beat])


class Scoreboard:
    """Data mismatches per (event, port), timing errors per cycle, observed values."""

    def __init__(self, ports: list[str], events: int) -> None:
        self.mismatches: list[dict] = []
        self.seen: set[tuple[int, str]] = set()
        self.timing: list[dict] = []
        self.timing_count = 0
        self.checked: set[int] = set()
        self.observed = {p: [-1] * events for p in ports}

    def data(self, event: int, port: str, expected: int, got, cycle: int) -> None:
        self.checked.add(event)
        if self.observed[port][event] == -1 and isinstance(got, int):
            self.observed[port][event] = got
        if got == expected or (event, port) in self.seen:
            return
        self.seen.add((event, port))
        if len(self.mismatches) < KEEP:
            self.mismatches.append({"vector": event, "port": port, "expected": expected,
                                    "got": got, "cycle": cycle})

    def timing_error(self, signal: str, expected: int, got, cycle: int, event) -> None:
        self.timing_count += 1
        if len(self.timing) < KEEP:
            self.timing.append({"signal": signal, "expected": expected, "got": got,
                                "cycle": cycle, "vector": event})


def _read(handle) -> int | str:
    """A signal's value as an int, or its string (``x``/``z`` bits) when not resolvable."""
    try:
        return int(handle.value)
    except ValueError:
        return str(handle.value)


async def _reset(dut, clk) -> None:
    dut.rst.value = 1
    dut.in_valid.value = 0
    dut.in_last.value = 0
    dut.in_data.value = 0
    dut.out_ready.value = 1
    for _ in range(RESET_CYCLES):
        await RisingEdge(clk)
    dut.rst.value = 0


async def _drive(dut, stim: Stimulus, board: Scoreboard, backpressure: bool, seed: int) -> int:
    """Stream every beat through the design, checking each cycle; returns the cycles run."""
    rng = random.Random(seed)
    clk = getattr(dut, stim.sidecar.get("clock", "clk"))
    ports = [(o["name"], getattr(dut, o["port"])) for o in stim.sidecar["outputs"]]
    Clock(clk, CLOCK_PERIOD_NS, unit="ns").start()
    await _reset(dut, clk)
    presented, following, held, next_event, cycle, idle = None, 0, None, 0, 0, 0
    while True:
        if presented is None and following < len(stim.words) and (
                not backpressure or rng.random() < P_VALID):
            presented, following = following, following + 1
        ready = 1 if not backpressure or rng.random() < P_READY else 0
        dut.in_valid.value = int(presented is not None)
        if presented is not None:
            dut.in_data.value = stim.words[presented]
            dut.in_last.value = stim.last[presented]
        else:  # a bubble: junk data and flag that must not matter
            dut.in_data.value = rng.getrandbits(stim.width) if backpressure else 0
            dut.in_last.value = rng.getrandbits(1) if backpressure else 0
        dut.out_ready.value = ready

        await ReadOnly()
        want_ready = int(held is None or ready == 1)
        got = _read(dut.in_ready)
        if got != want_ready:
            board.timing_error("in_ready", want_ready, got, cycle, held)
        got = _read(dut.out_valid)
        if got != int(held is not None):
            board.timing_error("out_valid", int(held is not None), got, cycle, held)
        if held is not None:
            for name, handle in ports:
                board.data(held, name, stim.expected[name][held], _read(handle), cycle)

        await RisingEdge(clk)
        cycle += 1
        if held is not None and ready:
            held = None
        if presented is not None and want_ready:
            if stim.emits(presented):
                held, next_event = next_event, next_event + 1
            presented = None
        if following == len(stim.words) and presented is None and held is None:
            idle += 1
            if idle > DRAIN_CYCLES:
                return cycle


async def _run(dut, test_name: str, backpressure: bool) -> None:
    results_dir = Path(os.environ.get("GATECOMP_SIM_RESULTS_DIR") or ".")
    seed = int(os.environ.get("GATECOMP_SIM_SEED") or 1)
    summary: dict = {"test": test_name, "backpressure": backpressure, "seed": seed,
                     "error": None, "passed": False}
    board = Scoreboard([], 0)
    try:
        stim = Stimulus()
        events = len(stim.event_sequence)
        board = Scoreboard(list(stim.expected), events)
        summary.update(module=stim.sidecar.get("module"), latency=int(stim.sidecar["latency"]),
                       vectors_total=events, beats=len(stim.words),
                       sequences=len(set(stim.event_sequence)))
        summary["cycles"] = await _drive(dut, stim, board, backpressure, seed)
    except Exception as exc:  # a missing port, unreadable vectors, ...: report, then fail
        summary["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        unchecked = summary.get("vectors_total", 0) - len(board.checked)
        summary.update(vectors=len(board.checked), mismatches=len(board.seen),
                       first_mismatches=board.mismatches, timing_errors=board.timing_count,
                       first_timing_errors=board.timing)
        summary["passed"] = (summary["error"] is None and not board.seen
                             and not board.timing_count and unchecked == 0)
        results_dir.mkdir(parents=True, exist_ok=True)
        np.savez(results_dir / f"{test_name}_outputs.npz",
                 **{k: np.asarray(v, dtype=np.int64) for k, v in board.observed.items()})
        (results_dir / f"{test_name}.json").write_text(json.dumps(summary, indent=1) + "\n")
    _assert_passed(board, unchecked)


def _assert_passed(board: Scoreboard, unchecked: int) -> None:
    problems = []
    if board.seen:
        first = board.mismatches[0]
        problems.append(f"{len(board.seen)} output mismatches (first: event {first['vector']} "
                        f"{first['port']} expected {first['expected']} got {first['got']})")
    if board.timing_count:
        first = board.timing[0]
        problems.append(f"{board.timing_count} valid/ready timing errors (first: cycle "
                        f"{first['cycle']} {first['signal']} expected {first['expected']} "
                        f"got {first['got']})")
    if unchecked:
        problems.append(f"{unchecked} output events never reached the output")
    assert not problems, "; ".join(problems)


@cocotb.test
async def sequence(dut) -> None:
    """All sequences back to back: in_valid and out_ready held at 1."""
    await _run(dut, "sequence", backpressure=False)


@cocotb.test
async def sequence_backpressure(dut) -> None:
    """Seeded random in_valid gaps (with junk in_data/in_last) and out_ready stalls."""
    await _run(dut, "sequence_backpressure", backpressure=True)
