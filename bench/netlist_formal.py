"""Formal netlist proof (``gatecomp verify --netlist --formal``) against the netlist
simulation it replaces, on the digits DLGN and a ~12k-gate random DLGN, ECP5 out of context.

Each net is compiled (``--device ecp5-25k``, default ``--luts-per-stage 3``), synthesized by
its own ``board/synth.ys`` (Yosys only, no place and route), then the netlist is (a) proved
equal to the compiled circuit over its latency (Yosys read-back + unrolling + our SAT checker
+ ABC cec) and (b) simulated in Icarus with the vendor cell models on the first ``--vectors``
test vectors (cocotb, like ``gatecomp verify --netlist``), both in the same run. The
simulation of all 360 vectors of the digits netlist took 825 s (issue 23); ``--vectors``
keeps the bench short, and the table says per vector what simulation costs.

    python bench/netlist_formal.py [--vectors 10] [--out bench/results/netlist_formal.md]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import cpu_name  # noqa: E402
from gatecomp.flow import compile_model  # noqa: E402
from gatecomp.flow.options import CompileOptions  # noqa: E402
from gatecomp.fpga.netlist import cell_models  # noqa: E402
from gatecomp.frontends.dlgn.formats import save_dlgn  # noqa: E402
from gatecomp.toolchain import require_fpga_tool  # noqa: E402
from gatecomp.verify.netlist_formal import prove_build_netlist  # noqa: E402
from gatecomp.verify.rtl_sim import run_rtl_verify  # noqa: E402
from tests.unit.dlgn_nets import random_dlgn  # noqa: E402

DIGITS = ROOT / "gatecomp" / "examples" / "digits_dlgn.pt"


def nets(tmp: Path) -> dict[str, Path]:
    big = save_dlgn(tmp / "random12k.pt", random_dlgn([4000, 4000, 4000], in_dim=192, k=10,
                                                      seed=1))
    return {"digits DLGN": DIGITS, "random DLGN 3x4000": big}


def measure(name: str, ckpt: Path, tmp: Path, vectors: int) -> dict:
    out = tmp / name.split()[0]
    compile_model(ckpt, out, CompileOptions(device="ecp5-25k"))
    board = out / "board"
    start = time.perf_counter()
    subprocess.run([require_fpga_tool("yosys"), "-q", "-l", "yosys.log", "synth.ys"],
                   cwd=board, check=True, capture_output=True)
    synth = time.perf_counter() - start
    start = time.perf_counter()
    proof = prove_build_netlist(out)
    formal = time.perf_counter() - start
    netlist = board / f"{out.name}_netlist.v"
    sim = run_rtl_verify(out, netlist=netlist, vectors=vectors,
                         extra_sources=[cell_models("ecp5", board)])
    return {"net": name, "ands": proof.netlist_ands, "latency": proof.latency,
            "registers": proof.latches, "synth": synth, "formal": formal,
            "verdict": proof.equivalent, "oracles": proof.oracles, "split": proof.seconds,
            "sim": sim.seconds, "sim_vectors": sim.vectors, "sim_passed": sim.passed}


def table(rows: list[dict], vectors: int) -> str:
    lines = [f"`python bench/netlist_formal.py --vectors {vectors}` ({cpu_name()}, 2 cores, "
             "shared with other jobs; ECP5 25k out of context, Yosys synthesis only):", "",
             "| net | netlist ANDs (step) | latency | registers | formal proof s (yosys / "
             "unroll / SAT / ABC) | verdict | netlist sim s (vectors) | sim s per vector |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s = r["split"]
        split = " / ".join(f"{s.get(k, 0):.1f}" for k in ("yosys", "unroll", "sat", "abc"))
        how = ", ".join(f"{k} {v}" for k, v in r["oracles"].items())
        lines.append(f"| {r['net']} | {r['ands']} | {r['latency']} | {r['registers']} | "
                     f"{r['formal']:.1f} ({split}) | {r['verdict']} ({how}) | "
                     f"{r['sim']:.1f} ({r['sim_vectors']}, passed {r['sim_passed']}) | "
                     f"{r['sim'] / max(r['sim_vectors'], 1):.1f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", type=int, default=10)
    ap.add_argument("--only", help="run only the net whose name starts with this")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "netlist_formal.md")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="gatecomp-bench-formal-") as tmp:
        rows = []
        for name, ckpt in nets(Path(tmp)).items():
            if args.only and not name.startswith(args.only):
                continue
            rows.append(measure(name, ckpt, Path(tmp), args.vectors))
            print(table(rows, args.vectors), flush=True)
    args.out.write_text(table(rows, args.vectors))


if __name__ == "__main__":
    main()
