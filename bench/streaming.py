"""``--conv streaming`` on torchlogix's ClgnCifar10Small (random weights) through the ECP5 flow.

Builds the zoo model with torchlogix's own classes (``randn`` on every parameter, seed 0),
compiles it with ``gatecomp compile --conv streaming --board ulx3s-85f`` (the compile checks the
streaming decomposition against torchlogix's own forward, proves every kernel), runs
``gatecomp build`` (Yosys + nextpnr-ecp5 + ecppack, ``--time-limit``), optionally streams images
through the RTL in cocotb, and writes ``bench/results/streaming.md``: LUT/FF/BRAM (placed),
Fmax, clocks per image, images/s at Fmax, per-layer figures, and the flat design's size
estimated from the same kernels (each kernel's LUT4 cover x its positions + the tail). A build
stopped by its time limit while routing still gives the placed utilisation and nextpnr's Fmax
estimate after placement (read from ``nextpnr.log``, marked "not routed").

    .venv/bin/python bench/streaming.py --time-limit 60 [--verify 4] [--out build/bench_stream]
    .venv/bin/python bench/streaming.py --tables-only --out DIR   # rewrite the tables only
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GATECOMP = [sys.executable, "-m", "gatecomp"]
DEVICE_LUTS = 83640  # LFE5U-85F


def make_model(path: Path) -> None:
    # bench/torchlogix.py (this script's folder is sys.path[0]) would shadow the library
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))
    import torch

    from tests.torchlogix_models import cifar10_small

    torch.save(cifar10_small(), path)


def run(cmd: list[str], log: Path) -> tuple[int, float]:
    start = time.perf_counter()
    with log.open("w") as fh:
        rc = subprocess.call(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
    return rc, time.perf_counter() - start


def placed_figures(log: Path) -> dict:
    """Utilisation and nextpnr's Fmax estimate after placement, read from ``nextpnr.log``:
    what a build stopped by its time limit during routing still tells."""
    text = log.read_text() if log.is_file() else ""
    used = {m[1]: (int(m[2]), int(m[3]))
            for m in re.finditer(r"Info:\s+(TRELLIS_COMB|TRELLIS_FF|TRELLIS_RAMW|DP16KD):"
                                 r"\s+(\d+)/\s*(\d+)", text)}
    fmax = re.findall(r"Max frequency for clock '[^']*': ([\d.]+) MHz", text)
    return {"used": used, "fmax_mhz": float(fmax[0]) if fmax else None,
            "routed": "Routing complete" in text or "Router2 time" in text}


def placed_lines(placed: dict, clocks: int) -> list[str]:
    if not placed["used"]:
        return []
    use = ", ".join(f"{k} {a:,} / {b:,} ({100 * a / b:.0f} %)"
                    for k, (a, b) in placed["used"].items())
    out = [f"- placed (nextpnr-ecp5 device utilisation): {use}"]
    if placed["fmax_mhz"]:
        out.append(f"- Fmax estimate after placement: {placed['fmax_mhz']:.1f} MHz -> "
                   f"{placed['fmax_mhz'] * 1e6 / clocks:,.0f} images/s"
                   f"{'' if placed['routed'] else ' (not routed)'}")
    return out


def table(rep: dict, board: dict | None, verify: str | None, times: dict,
          placed: dict | None = None) -> str:
    st = rep["streaming"]
    positions = {r["name"]: r["out_shape"][1] * r["out_shape"][2] for r in st["layers"]}
    flat = sum(r["kernel_luts4"] * positions[r["name"]] for r in st["layers"]) \
        + st["tail"]["luts4"]
    lines = ["| layer | type | in -> out | kernel ANDs | kernel LUT4 | FFs | line buffer |",
             "|---|---|---|---:|---:|---:|---|"]
    for r in st["layers"]:
        lines.append(f"| {r['name']} | {r['type']} | {'x'.join(map(str, r['in_shape']))} -> "
                     f"{'x'.join(map(str, r['out_shape']))} | {r['kernel_ands']} | "
                     f"{r['kernel_luts4']} | {r['flip_flops']} | {r['ram_shape'][0]} x "
                     f"{r['ram_shape'][1]} bits |")
    t = st["tail"]
    lines.append(f"| tail | dense + GroupSum | {st['collector']['bits']} bits -> counts | "
                 f"{t['ands']} | {t['luts4']} | {t['flip_flops']} | - |")
    out = ["\n".join(lines), "",
           f"- clocks per image: {st['clocks_per_image']} (the first layer's padded 34x34 walk),"
           f" latency {st['latency_clocks']} clocks (first pixel to result)",
           f"- LUT4 estimate (gatecomp's mapper): streaming {st['totals']['luts4_estimate']}, "
           f"flat {flat} (each kernel's cover x its positions + the tail) = "
           f"{flat / DEVICE_LUTS:.1f}x the ECP5-85F's {DEVICE_LUTS} LUTs"]
    if board is not None:
        res, timing = board.get("resources", {}), board.get("timing", {})
        fmax = timing.get("fmax_mhz")
        out.append(f"- placed and routed (nextpnr-ecp5, {board.get('device', 'LFE5U-85F')}): "
                   f"{json.dumps(res.get('total', res))}")
        if fmax:
            out.append(f"- Fmax {fmax:.1f} MHz -> {fmax * 1e6 / st['clocks_per_image']:,.0f} "
                       f"images/s, latency {st['latency_clocks'] / fmax:.1f} us")
    elif placed is not None:
        out += placed_lines(placed, st["clocks_per_image"])
    if verify:
        out.append(f"- cocotb: {verify}")
    if times:
        out.append("- times (s): " + ", ".join(f"{k} {v:.0f}" for k, v in times.items()))
    return "\n".join(out) + "\n"


def steps(args, build: Path) -> None:
    """Make the model, compile, build and verify; each step's seconds go to times.json."""
    model, times = args.out / "cifar10_small.pt", {}
    for name in ("verify.log", "times.json"):
        (args.out / name).unlink(missing_ok=True)
    make_model(model)
    rc, times["compile"] = run([*GATECOMP, "compile", str(model), "-o", str(build), "--conv",
                                "streaming", "--board", "ulx3s-85f", "--vectors", "20",
                                "--force"], args.out / "compile.log")
    if rc:
        sys.exit(f"compile failed, see {args.out / 'compile.log'}")
    if not args.no_build:
        _, times["build"] = run([*GATECOMP, "build", str(build), "--time-limit",
                                 str(args.time_limit)], args.out / "build.log")
    if args.verify:
        _, times["verify"] = run([*GATECOMP, "verify", str(build), "--vectors",
                                  str(args.verify)], args.out / "verify.log")
    (args.out / "times.json").write_text(json.dumps(times) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "bench_stream")
    ap.add_argument("--time-limit", type=float, default=60.0, help="minutes for gatecomp build")
    ap.add_argument("--verify", type=int, default=0, help="stream N images through the RTL")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--tables-only", action="store_true",
                    help="no new runs: write the tables from the builds already in --out")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    build = args.out / "net"
    if not args.tables_only:
        steps(args, build)
    times_file = args.out / "times.json"
    times = json.loads(times_file.read_text()) if times_file.is_file() else {}
    path = build / "board" / "report.json"
    board = json.loads(path.read_text()) if path.is_file() else None
    placed = placed_figures(build / "board" / "nextpnr.log")
    log = args.out / "verify.log"
    verify = log.read_text().strip().splitlines()[-1] if log.is_file() else None
    rep = json.loads((build / "report.json").read_text())
    text = table(rep, board, verify, times, placed)
    (ROOT / "bench" / "results" / "streaming.md").write_text(
        "# `--conv streaming`: ClgnCifar10Small (random weights) on the ULX3S-85F\n\n"
        "`python bench/streaming.py` (2-core development machine)\n\n" + text)
    print(text)


if __name__ == "__main__":
    main()
