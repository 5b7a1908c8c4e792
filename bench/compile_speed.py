"""Compile speed and peak memory on synthetic DLGNs (frontend -> passes -> checks -> Verilog).

Each size runs ``gatecomp compile`` in a fresh process so peak RSS is that compile's own.
A synthetic DLGN has 256 inputs, four equal logic layers with random wiring and random gate
choices (so about 6/16 of the gates are wires or constants, as in trained nets), and a GroupSum
over 10 classes. Goal (issue 2): 1M gates in under 3 minutes and 2 GB on a 2-core machine.

    python bench/compile_speed.py                 # 10k, 100k, 1M gates
    python bench/compile_speed.py --gates 100000  # one size
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

INPUTS, LAYERS, CLASSES = 256, 4, 10


def make_synthetic(path: Path, gates: int, seed: int = 0,
                   gate_mix: list[list[int]] | None = None) -> None:
    """Write a random DLGN checkpoint with ``gates`` logic gates (rounded to a multiple of 40).

    Gate choices are uniform over the 16 functions unless ``gate_mix`` gives, per layer, how
    often each function (difflogic ID order) is drawn, e.g. a trained net's counts
    (:func:`trained_gate_mix`): trained nets lean to wires and inverters near the output.
    """
    import torch

    from gatecomp.frontends.dlgn.formats import save_dlgn
    from gatecomp.nn import GroupSum, LogicLayer

    width = max(CLASSES, gates // LAYERS // CLASSES * CLASSES)
    mods, prev = [], INPUTS
    for i in range(LAYERS):
        layer = LogicLayer(prev, width, connections="random", seed=seed + i)
        if gate_mix is not None:
            gen = torch.Generator().manual_seed(seed + 1000 + i)
            freq = torch.tensor(gate_mix[min(i, len(gate_mix) - 1)], dtype=torch.float64)
            ids = torch.multinomial(freq, width, replacement=True, generator=gen)
            layer.weights.data = torch.nn.functional.one_hot(ids, 16).float()
        mods.append(layer)
        prev = width
    mods.append(GroupSum(CLASSES, tau=1.0))
    save_dlgn(path, torch.nn.Sequential(*mods).eval())


def trained_gate_mix(checkpoint: Path) -> list[list[int]]:
    """Per logic layer of a gatecomp-format DLGN checkpoint: how many gates pick each of the
    16 functions (the argmax of the layer's weights)."""
    import torch

    state = torch.load(checkpoint, weights_only=True)["state_dict"]
    layers = sorted(int(k.split(".")[0]) for k in state if k.endswith(".weights"))
    return [torch.bincount(state[f"{i}.weights"].argmax(1), minlength=16).tolist()
            for i in layers]


def run_one(gates: int, workdir: Path, stages: int) -> dict:
    ckpt = workdir / f"dlgn_{gates}.pt"
    t0 = time.perf_counter()
    make_synthetic(ckpt, gates)
    make_s = time.perf_counter() - t0
    out = workdir / f"build_{gates}"
    cmd = [sys.executable, "-m", "gatecomp", "compile", str(ckpt), "-o", str(out),
           "--force", "--pipeline-stages", str(stages), "--no-prove"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode:
        raise SystemExit(f"compile of {gates} gates failed:\n{proc.stderr[-2000:]}")
    rep = json.loads((out / "report.json").read_text())
    verilog = next((out / "rtl").glob("*.v"))
    return {"gates": rep["gates"]["trained_logic_gates"], "ands_lowered":
            rep["gates"]["ands_lowered"], "ands_opt": rep["gates"]["ands_optimized"],
            "levels": rep["gates"]["levels_optimized"], "make_ckpt_s": make_s,
            **{f"{k}_s": v for k, v in rep["timings_s"].items()},
            "total_s": wall, "peak_mb": max(peak, before) / 1024,
            "verilog_mb": verilog.stat().st_size / 1e6}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gates", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--stages", type=int, default=4, help="pipeline stages (default 4)")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="gatecomp-bench-") as tmp:
        for n in args.gates:
            print(f"compiling a synthetic DLGN of {n} gates ...", file=sys.stderr, flush=True)
            rows.append(run_one(n, Path(tmp), args.stages))
    cols = ["gates", "ands_lowered", "ands_opt", "levels", "load_s", "lower_s", "optimize_s",
            "check_s", "lutmap_s", "emit_s", "total_s", "peak_mb", "verilog_mb"]
    print(" ".join(f"{c:>12}" for c in cols))
    for r in rows:
        print(" ".join(f"{r.get(c, float('nan')):>12.2f}" if isinstance(r.get(c), float)
                       else f"{r.get(c, '-'):>12}" for c in cols))
    for r in rows:
        if r["gates"] >= 1_000_000:
            ok = r["total_s"] < 180 and r["peak_mb"] < 2048
            print(f"1M-gate goal (< 180 s, < 2048 MB): {'met' if ok else 'NOT met'} "
                  f"({r['total_s']:.0f} s, {r['peak_mb']:.0f} MB)")


if __name__ == "__main__":
    main()
