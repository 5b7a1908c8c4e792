"""How fast each backend construction turns a large AIG into Verilog.

Builds a synthetic layered AIG (DLGN-like: every level reads mostly the previous level, some
skip connections, random inversions) and, for each construction of
``gatecomp.backends.amaranth``, times

* build:   creating the Component and elaborating it (Python); for ``direct`` also writing the
           gate-logic core module as text (``gatecomp.backends.verilog_core``),
* rtlil:   Amaranth's netlist + RTLIL text (Python),
* yosys:   Yosys (WebAssembly) reading RTLIL and writing Verilog,

and prints them with the Verilog size and the total time as ratios against the per-gate
baseline (``gate``) and the ``level`` construction measured in the same run. ``convert`` =
rtlil + yosys, what ``amaranth.back.verilog.convert`` costs. ``direct`` puts only the handshake
through Amaranth, so its rtlil and yosys columns are the small top module.

Peak RSS is the process high-water mark so far: for a per-construction figure run one
construction per process (e.g. under ``/usr/bin/time -v``).

    .venv/bin/python bench/backend_speed.py --gates 10000 100000
    .venv/bin/python bench/backend_speed.py --gates 1000000 --constructions level direct --stages 4
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from amaranth.back.verilog import _convert_rtlil_text  # noqa: E402

from gatecomp.aig import AIG, LogicNet, Port  # noqa: E402
from gatecomp.backends.amaranth import CONSTRUCTIONS, build_component, top_fragment  # noqa: E402
from gatecomp.backends.verilog import rtlil_text, rtlil_to_verilog  # noqa: E402
from gatecomp.backends.verilog_core import core_verilog  # noqa: E402
from gatecomp.mapping.stages import PipelineParams, plan_pipeline  # noqa: E402


def synthetic_net(gates: int, num_inputs: int = 1024, depth: int = 24,
                  outputs: int = 256, seed: int = 0) -> LogicNet:
    """A layered random AIG with ``gates`` ANDs in ``depth`` levels, wrapped as a LogicNet."""
    rng = np.random.default_rng(seed)
    width = max(1, gates // depth)
    prev = 2 * np.arange(1, num_inputs + 1, dtype=np.int64)  # literals of the previous level
    f0, f1 = [], []
    next_node = num_inputs + 1
    made = 0
    while made < gates:
        n = min(width, gates - made)
        a = prev[rng.integers(len(prev), size=n)]
        # a quarter of the second fanins come from anywhere earlier (skip connections)
        b = prev[rng.integers(len(prev), size=n)]
        skip = rng.random(n) < 0.25
        b[skip] = 2 * rng.integers(1, next_node, size=int(skip.sum()))
        same = (a >> 1) == (b >> 1)
        b[same] = 2 * ((b[same] >> 1) % (next_node - 1) + 1)  # avoid x & x; rare
        a ^= rng.integers(2, size=n)
        b ^= rng.integers(2, size=n)
        f0.append(np.maximum(a, b))
        f1.append(np.minimum(a, b))
        prev = 2 * np.arange(next_node, next_node + n, dtype=np.int64)
        next_node += n
        made += n
    last = prev[: min(outputs, len(prev))] ^ rng.integers(2, size=min(outputs, len(prev)))
    aig = AIG(num_inputs, np.concatenate(f0), np.concatenate(f1), last)
    return LogicNet(aig, (Port("x", num_inputs),), (Port("y", len(last)),))


def _cpu() -> float:
    """CPU seconds of this process plus its finished children (Yosys runs as a child)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def measure(net: LogicNet, construction: str, stages: int) -> dict:
    """Time one construction; phases in CPU seconds (robust on a shared machine) + total wall.

    ``level+opt`` is the level construction converted with Amaranth's stock Yosys script
    (``proc`` with its final ``opt_expr``) instead of gatecomp's.
    """
    stock = construction.endswith("+opt")
    base = construction.removesuffix("+opt")
    gc.collect()
    w0, t0 = time.perf_counter(), _cpu()
    plan = plan_pipeline(net.aig, PipelineParams(stages=stages))
    comp = build_component(net, plan, base, core_name="bench_core")
    fragment = top_fragment(comp)  # elaboration runs the construction
    core = core_verilog(net, plan, "bench_core") if base == "direct" else ""
    t1 = _cpu()
    text = rtlil_text(comp, "bench", fragment)
    t2 = _cpu()
    verilog = (_convert_rtlil_text(text, strip_internal_attrs=True) if stock
               else rtlil_to_verilog(text)) + core
    t3, w3 = _cpu(), time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"construction": construction, "gates": net.aig.num_ands, "stages": stages,
            "build": t1 - t0, "rtlil": t2 - t1, "yosys": t3 - t2, "convert": t3 - t1,
            "total": t3 - t0, "wall": w3 - w0, "size": len(verilog), "peak_mb": peak_mb}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gates", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--constructions", nargs="+",
                    default=["gate", "wires", "level", "level+opt", "direct"],
                    choices=[*CONSTRUCTIONS, *(f"{c}+opt" for c in CONSTRUCTIONS
                                               if c != "direct")])
    ap.add_argument("--stages", type=int, nargs="+", default=[0],
                    help="pipeline register ranks to measure (0 = combinational)")
    ap.add_argument("--depth", type=int, default=24, help="logic levels of the synthetic AIG")
    args = ap.parse_args(argv)

    header = (f"{'construction':<12} {'gates':>9} {'stages':>6} {'build s':>8} {'rtlil s':>8} "
              f"{'yosys s':>8} {'convert s':>9} {'total s':>8} {'wall s':>8} {'verilog MB':>10} "
              f"{'peak RSS MB':>11} {'vs gate':>8} {'vs level':>8}")
    print("phases in CPU seconds (Python process + Yosys child); wall = elapsed time; "
          "peak RSS is the process high-water mark so far")
    print(header)
    print("-" * len(header))
    for gates in args.gates:
        net = synthetic_net(gates, depth=args.depth)
        for stages in args.stages:
            baselines: dict[str, float] = {}
            for construction in args.constructions:
                r = measure(net, construction, stages)
                if construction in ("gate", "level"):
                    baselines[construction] = r["total"]
                ratios = [f"{r['total'] / baselines[b]:.3f}" if b in baselines else "n/a"
                          for b in ("gate", "level")]
                print(f"{r['construction']:<12} {r['gates']:>9} {r['stages']:>6} "
                      f"{r['build']:>8.2f} {r['rtlil']:>8.2f} {r['yosys']:>8.2f} "
                      f"{r['convert']:>9.2f} {r['total']:>8.2f} {r['wall']:>8.2f} "
                      f"{r['size'] / 1e6:>10.2f} {r['peak_mb']:>11.0f} {ratios[0]:>8} "
                      f"{ratios[1]:>8}", flush=True)

if __name__ == "__main__":
    main()
