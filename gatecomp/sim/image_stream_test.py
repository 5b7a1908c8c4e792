"""cocotb regression of a streaming (``--conv streaming``) gatecomp module: whole images in.

Copied verbatim into ``build/NAME/sim/test_NAME.py`` of a streaming build and run inside the
HDL simulator (cocotb 2.x); it imports nothing from gatecomp. Beside it:

  images.npz     ``pixels`` (images, pixels per image, ceil(C/8)) uint8, each pixel's C bits
                 packed LSB first (bit c = channel c), raster order; ``pixel_width``; one int64
                 array per output port name (``count0``, ..., ``pred``): the reference values
  sidecar.json   the rtl/NAME.json port map (``outputs``, ``clock``, ``reset``)

The test resets the design and offers the pixels of all images one after another (``stream``:
in_valid held at 1 and out_ready at 1; ``stream_backpressure``: seeded random in_valid gaps
and out_ready stalls). A pixel counts as taken on a rising edge with in_valid = in_ready = 1;
a result counts on an edge with out_valid = out_ready = 1, and results must come in image
order, one per image, each port equal to the reference bit for bit. It also measures the
latency (clocks from the first pixel of image 0 taken to its result) and the interval
between results, which the summary JSON (``$GATECOMP_SIM_RESULTS_DIR/<test>.json``) records.

Environment: GATECOMP_SIM_VECTORS (first N images only), GATECOMP_SIM_SEED (default 1),
GATECOMP_SIM_RESULTS_DIR.
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
P_VALID, P_READY = 0.8, 0.6  # backpressure mode: chance of a pixel offered / out_ready = 1
KEEP = 20


def _load() -> tuple[dict, list[list[int]], int, dict[str, list[int]]]:
    sidecar = json.loads((HERE / "sidecar.json").read_text())
    with np.load(HERE / "images.npz") as npz:
        packed = npz["pixels"]
        width = int(npz["pixel_width"])
        expected = {o["name"]: npz[o["name"]].astype(np.int64).tolist()
                    for o in sidecar["outputs"]}
    limit = int(os.environ.get("GATECOMP_SIM_VECTORS") or 0)
    if limit > 0:
        packed = packed[:limit]
        expected = {k: v[:limit] for k, v in expected.items()}
    images = [[int.from_bytes(px.tobytes(), "little") for px in img] for img in packed]
    return sidecar, images, width, expected


def _read(handle) -> int | str:
    try:
        return int(handle.value)
    except ValueError:
        return str(handle.value)


async def _run(dut, test_name: str, backpressure: bool) -> None:
    results_dir = Path(os.environ.get("GATECOMP_SIM_RESULTS_DIR") or ".")
    seed = int(os.environ.get("GATECOMP_SIM_SEED") or 1)
    summary: dict = {"test": test_name, "backpressure": backpressure, "seed": seed,
                     "error": None, "passed": False, "mismatches": 0, "first_mismatches": [],
                     "vectors": 0, "timing_errors": 0, "first_timing_errors": []}
    try:
        sidecar, images, width, expected = _load()
        await _drive(dut, sidecar, images, width, expected, backpressure, seed, summary)
    except Exception as exc:
        summary["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        summary["passed"] = (summary["error"] is None and summary["mismatches"] == 0
                             and summary["timing_errors"] == 0
                             and summary["vectors"] == summary.get("vectors_total", -1))
        results_dir.mkdir(parents=True, exist_ok=True)
        (results_dir / f"{test_name}.json").write_text(json.dumps(summary, indent=1) + "\n")
    assert summary["passed"], (f"{summary['mismatches']} mismatches, {summary['timing_errors']}"
                               f" protocol errors, {summary['vectors']} of "
                               f"{summary['vectors_total']} results")


async def _drive(dut, sidecar, images, width, expected, backpressure, seed, summary) -> None:
    ports = [(o["name"], getattr(dut, o["port"])) for o in sidecar["outputs"]]
    clk, rst = getattr(dut, sidecar.get("clock", "clk")), getattr(dut, sidecar.get("reset", "rst"))
    rng = random.Random(seed)
    pixels = [(i, px) for i, img in enumerate(images) for px in img]
    summary.update(module=sidecar.get("module"), vectors_total=len(images),
                   pixels_per_image=len(images[0]) if images else 0)
    Clock(clk, CLOCK_PERIOD_NS, unit="ns").start()
    rst.value, dut.in_valid.value, dut.in_data.value, dut.out_ready.value = 1, 0, 0, 1
    for _ in range(2):
        await RisingEdge(clk)
    rst.value = 0
    taken, done, cycle, first_taken, result_cycles = 0, 0, 0, None, []
    limit = 20 * len(pixels) + 200_000
    while done < len(images) and cycle < limit:
        offer = taken < len(pixels) and (not backpressure or rng.random() < P_VALID)
        ready = 1 if not backpressure or rng.random() < P_READY else 0
        dut.in_valid.value = int(offer)
        dut.in_data.value = pixels[taken][1] if offer else (
            rng.getrandbits(width) if backpressure else 0)
        dut.out_ready.value = ready
        await ReadOnly()
        if offer and _read(dut.in_ready) == 1:
            first_taken = cycle if first_taken is None else first_taken
            taken += 1
        if ready and _read(dut.out_valid) == 1:
            if done >= len(images):
                _keep(summary, "timing", {"cycle": cycle, "what": "result with no image"})
            else:
                _compare(summary, done, ports, expected, cycle)
                result_cycles.append(cycle)
                done += 1
        await RisingEdge(clk)
        cycle += 1
    for _ in range(50):  # no extra results afterwards
        dut.out_ready.value = 1
        await ReadOnly()
        if _read(dut.out_valid) == 1:
            _keep(summary, "timing", {"cycle": cycle, "what": "result with no image"})
            break
        await RisingEdge(clk)
        cycle += 1
    summary.update(vectors=done, cycles=cycle, pixels_taken=taken)
    if result_cycles and first_taken is not None:
        summary["latency"] = result_cycles[0] - first_taken
        gaps = np.diff(result_cycles)
        summary["interval"] = int(gaps.max()) if len(gaps) else None
        summary["interval_min"] = int(gaps.min()) if len(gaps) else None


def _compare(summary: dict, image: int, ports, expected, cycle: int) -> None:
    bad = False
    for name, handle in ports:
        got, want = _read(handle), expected[name][image]
        if got != want:
            bad = True
            if len(summary["first_mismatches"]) < KEEP:
                summary["first_mismatches"].append({"vector": image, "port": name,
                                                    "expected": want, "got": got,
                                                    "cycle": cycle})
    summary["mismatches"] += int(bad)


def _keep(summary: dict, kind: str, item: dict) -> None:
    summary["timing_errors"] += 1
    if len(summary["first_timing_errors"]) < KEEP:
        summary["first_timing_errors"].append(item)


@cocotb.test
async def stream(dut) -> None:
    """Images back to back: in_valid and out_ready held at 1."""
    await _run(dut, "stream", backpressure=False)


@cocotb.test
async def stream_backpressure(dut) -> None:
    """Seeded random pixel gaps and out_ready stalls."""
    await _run(dut, "stream_backpressure", backpressure=True)
