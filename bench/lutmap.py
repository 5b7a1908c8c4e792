"""k-LUT mapping QoR and speed on EPFL circuits: ours (``gatecomp.mapping.lutmap``) vs ABC ``if``.

For each circuit and each k (6 and 4) both mappers run in this process's run: ABC
(``read; strash; if -K k; print_stats``, its own ``time`` for the mapping seconds) and ours on
the same AIG (seconds of ``lutmap`` alone, after one warm-up so numba compilation is not
counted). Every LUT network of ours is checked against the AIG by random simulation. The table
prints LUTs, depth and seconds side by side and the geometric mean of our/ABC ratios (< 1 is
better for us). Timings on a shared machine are noisy; QoR numbers are deterministic.

    .venv/bin/python bench/lutmap.py                 # a subset of small and medium circuits
    .venv/bin/python bench/lutmap.py --all           # all 20 EPFL circuits (hyp takes a while)
    .venv/bin/python bench/lutmap.py sin log2 -k 6   # chosen circuits, one k
    .venv/bin/python bench/lutmap.py --no-absorb     # without the absorption step
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gatecomp.aig import random_inputs, read_aiger, simulate_words  # noqa: E402
from gatecomp.mapping.lutmap import LutMapParams, lutmap  # noqa: E402

EPFL = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "epfl"
SUBSET = ("adder", "bar", "cavlc", "i2c", "int2float", "max", "priority", "router", "sin",
          "voter", "multiplier", "log2")


def abc_if(path: Path, k: int, abc: str) -> tuple[int, int, float]:
    """(LUTs, depth, mapping seconds) of ABC ``if -K k`` with default options."""
    cmd = f"read {path}; strash; time; if -K {k}; time; print_stats"
    out = subprocess.run([abc, "-c", cmd], capture_output=True, text=True, timeout=3600).stdout
    m = re.search(r"nd\s*=\s*(\d+).*?lev\s*=\s*(\d+)", out)
    times = re.findall(r"elapse:\s*([\d.]+)", out)
    if not m or len(times) < 2:
        raise SystemExit(f"cannot parse ABC output for {path.name}:\n{out[-1000:]}")
    return int(m.group(1)), int(m.group(2)), float(times[1])


def geomean(x: list[float]) -> float:
    return float(np.exp(np.mean(np.log(x)))) if x else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("circuits", nargs="*", help="EPFL circuit names (default: a subset)")
    ap.add_argument("--all", action="store_true", help="all circuits in --dir")
    ap.add_argument("--dir", type=Path, default=EPFL, help="directory of EPFL .aig files")
    ap.add_argument("-k", type=int, nargs="+", default=[6, 4], help="LUT sizes (default 6 4)")
    ap.add_argument("--cuts", type=int, default=8, help="priority cuts per node (default 8)")
    ap.add_argument("--no-absorb", action="store_true",
                    help="skip the LUT absorption step after the mapping rounds")
    args = ap.parse_args()
    abc = shutil.which("berkeley-abc") or shutil.which("yosys-abc") or shutil.which("abc")
    if abc is None:
        raise SystemExit("ABC not found (apt-get install berkeley-abc)")
    if args.all:
        names = sorted(p.stem for p in args.dir.glob("*.aig"))
    else:
        names = args.circuits or list(SUBSET)
    lutmap(read_aiger(args.dir / f"{names[0]}.aig"), LutMapParams(k=args.k[0]))  # warm-up

    for k in args.k:
        params = LutMapParams(k=k, cuts_per_node=args.cuts, absorb=not args.no_absorb)
        print(f"\nk = {k}: ours (gatecomp lutmap, {args.cuts} cuts) vs ABC `if -K {k}`")
        print(f"{'circuit':12s} {'ANDs':>7s} | {'LUTs':>7s} {'ABC':>7s} {'ratio':>6s} | "
              f"{'depth':>5s} {'ABC':>5s} | {'sec':>6s} {'ABC':>6s} {'ratio':>6s}")
        r_lut, r_dep, r_sec = [], [], []
        for name in names:
            path = args.dir / f"{name}.aig"
            aig = read_aiger(path)
            a_luts, a_dep, a_sec = abc_if(path, k, abc)
            t0 = time.perf_counter()
            net, stats = lutmap(aig, params)
            sec = time.perf_counter() - t0
            words = random_inputs(aig.num_inputs, 4, seed=1)
            if not np.array_equal(net.simulate_words(words), simulate_words(aig, words)):
                raise SystemExit(f"{name}: LUT network differs from the AIG")
            r_lut.append(net.num_luts / a_luts)
            r_dep.append(stats.depth / a_dep)
            r_sec.append(max(sec, 1e-3) / max(a_sec, 1e-2))
            print(f"{name:12s} {aig.num_ands:7d} | {net.num_luts:7d} {a_luts:7d} "
                  f"{r_lut[-1]:6.3f} | {stats.depth:5d} {a_dep:5d} | {sec:6.2f} {a_sec:6.2f} "
                  f"{r_sec[-1]:6.2f}")
        print(f"{'geomean':12s} {'':7s} | {'':7s} {'':7s} {geomean(r_lut):6.3f} | "
              f"depth ratio {geomean(r_dep):.3f} | {'':6s} {'':6s} {geomean(r_sec):6.2f}")


if __name__ == "__main__":
    main()
