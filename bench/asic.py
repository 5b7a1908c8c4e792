"""ASIC estimates of the bundled digits nets (OSU018 by default) beside their FPGA LUT counts.

Each (model, pipeline setting) is compiled once with ``--asic``; the table gives the report's
4-/6-LUT counts (gatecomp's mapper on the optimized AIG, what an FPGA core costs before
packing) next to the standard-cell figures: cells, flops, area, OpenSTA's critical path and
fmax, and ABC's own delay. The mapped netlists of the first model are simulated against the
PyTorch reference with the library's Verilog cell models (``--no-sim`` skips that). Figures
are deterministic for a given Yosys/ABC/OpenSTA; the seconds are not (shared machine).

    .venv/bin/python bench/asic.py                       # writes bench/results/asic.md
    .venv/bin/python bench/asic.py --stages 0 4 --lib osu035
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gatecomp.asic.library import resolve_library  # noqa: E402
from gatecomp.flow import CompileOptions, compile_model  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "gatecomp" / "examples"
MODELS = ("digits_dlgn.pt", "digits_bnn.pt", "digits_qnn.pt")
HEADER = ("| model | pipeline stages | latency | LUT4 | LUT6 | cells | flops | area (um2) "
          "| critical path (ns) | fmax (MHz) | ABC delay (ns) | netlist sim | s |")


def row(model: str, stages: int, out: Path, lib: str, sim: bool) -> str:
    """One table row: compile ``model`` at ``stages`` with --asic (and simulate its netlist)."""
    start = time.perf_counter()
    res = compile_model(EXAMPLES / model, out, CompileOptions(pipeline_stages=stages,
                                                              asic=lib, force=True))
    rep, a = res.report, res.report["asic"]
    verdict = "-"
    if sim:
        from gatecomp.verify.rtl_sim import run_rtl_verify

        v = run_rtl_verify(out, netlist=out / a["netlist"],
                           extra_sources=[resolve_library(lib).sim_models])
        verdict = f"{'PASS' if v.passed else 'FAIL'} ({v.vectors} vectors)"
    area = a.get("area_um2", a.get("area_library_units"))
    return (f"| {model} | {stages} | {rep['pipeline']['latency']} | {rep['luts']['lut4']['luts']} "
            f"| {rep['luts']['lut6']['luts']} | {a['cells']} | {a['flops']} | {area:.0f} "
            f"| {a['delay_ns']:.2f} | {a['fmax_mhz']:.0f} | {a['abc_delay_ns']:.2f} | {verdict} "
            f"| {time.perf_counter() - start:.0f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--stages", type=int, nargs="+", default=[0, 2, 4, 8],
                    help="pipeline settings of the first model (the others: the first only)")
    ap.add_argument("--lib", default="osu018", help="osu018 | osu035 | osu050 | a Liberty file")
    ap.add_argument("--no-sim", action="store_true", help="skip the netlist simulations")
    ap.add_argument("-o", "--output", type=Path,
                    default=Path(__file__).resolve().parent / "results" / "asic.md")
    args = ap.parse_args()
    lib = resolve_library(args.lib)
    lines = [f"# ASIC estimate: {lib.name} ({lib.path})", "", HEADER,
             "|" + "---|" * (HEADER.count("|") - 1)]
    with tempfile.TemporaryDirectory(prefix="gatecomp-bench-asic-") as tmp:
        for i, model in enumerate(args.models):
            for stages in args.stages if i == 0 else args.stages[:1]:
                line = row(model, stages, Path(tmp) / f"{Path(model).stem}_{stages}", args.lib,
                           sim=i == 0 and not args.no_sim)
                print(line, flush=True)
                lines.append(line)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
