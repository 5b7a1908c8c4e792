"""Robustness queries per second on the bundled digits nets (``gatecomp prove --robust R``).

For each net (DLGN, BNN) and radius (1, 2, 4 flipped input bits of 192), the first N test
vectors of the build are asked "is every input within R of this one classified alike?",
with the default engine (``auto``: the whole Hamming ball is simulated when it has at most
2**18 inputs, else random inputs at radius R, then SAT) and with SAT alone, each under a per
query time limit. Queries per second count every query, unknowns included, over the whole
batch's wall time (encoding, solving, re-simulating every counterexample on the AIG and in
the model's PyTorch reference). The reference point: Narodytska et al., "Verifying
Properties of Binarized Deep Neural Networks" (AAAI 2018) report minutes per query for small
MNIST BNNs with a CNF (sequential counter) encoding.

    python bench/robustness.py [--vectors 24] [--timeout 5] [--out bench/results/robustness.md]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from gatecomp.flow import compile_model
from gatecomp.verify.build_circuit import load_build, model_reference
from gatecomp.verify.properties import RobustQuery, prove_robustness
from gatecomp.verify.prove_io import summary

EXAMPLES = Path(__file__).resolve().parent.parent / "gatecomp" / "examples"
NETS = {"digits DLGN": "digits_dlgn.pt", "digits BNN": "digits_bnn.pt"}
RADII = (1, 2, 4)


def run(build, radius: int, engine: str, vectors: int, timeout: float, reference) -> dict:
    """One batch: its summary, wall seconds and queries per second."""
    queries = [RobustQuery(f"vector {i}", build.vectors[i], radius) for i in range(vectors)]
    start = time.perf_counter()
    results = prove_robustness(build, queries, timeout=timeout, engine=engine,
                               reference=reference)
    wall = time.perf_counter() - start
    engines = sorted({r.engine for r in results})
    return {**summary(results), "wall": wall, "qps": len(results) / wall,
            "slowest": max(r.seconds for r in results), "engines": "+".join(engines)}


def table(rows: list[tuple[str, int, str, dict]], vectors: int, timeout: float) -> str:
    lines = [f"`python bench/robustness.py --vectors {vectors} --timeout {timeout:g}` "
             "(first test vectors of each build, Hamming radius R over the 192 input bits, "
             f"{timeout:g} s SAT limit per query; 2-core development machine, shared):", "",
             "| net | R | engine | queries | robust | counterexample | unknown | queries/s "
             "| slowest query s | answered by |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    for net, radius, engine, s in rows:
        lines.append(f"| {net} | {radius} | {engine} | {s['queries']} | {s['robust']} | "
                     f"{s['counterexample']} | {s['unknown']} | {s['qps']:.2f} | "
                     f"{s['slowest']:.3f} | {s['engines']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", type=int, default=24)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--sat-vectors", type=int, default=8,
                    help="vectors for the SAT-only rows (each may take the whole limit)")
    ap.add_argument("--out", type=Path, default=Path("bench/results/robustness.md"))
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for net, file in NETS.items():
            compile_model(EXAMPLES / file, Path(tmp) / file.split(".")[0])
            build = load_build(Path(tmp) / file.split(".")[0])
            reference = model_reference(build)
            for radius in RADII:
                for engine, n in (("auto", args.vectors), ("sat", args.sat_vectors)):
                    s = run(build, radius, engine, n, args.timeout, reference)
                    rows.append((net, radius, engine, s))
                    print(net, radius, engine, {k: s[k] for k in
                                                ("robust", "counterexample", "unknown", "qps")},
                          flush=True)
    text = table(rows, args.vectors, args.timeout)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("# Robustness queries per second\n\n" + text)
    print(text)


if __name__ == "__main__":
    main()
