"""What ``gatecomp prove`` reads and writes around the prover: queries, JSON, CSV, summaries.

Kept out of the CLI so the command only parses and delegates, and out of ``properties`` so the
prover knows nothing of files. One query's ``--json`` file is its own object (``{"result",
"counterexample", "seconds", ...}``); a batch's is ``{"summary": {...}, "results": [...]}``
with one such object per query. The CSV has one row per query with the same fields.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

from ..errors import GatecompError
from ..outdir import write_atomic
from .build_circuit import BuildCircuit
from .properties import PropertyResult, RobustQuery, RobustResult, parse_bits, require_metric

CSV_FIELDS = ("query", "radius", "metric", "result", "engine", "pred", "counterexample_pred",
              "distance", "seconds", "counterexample", "model_pred_x0", "model_pred_cex",
              "model_agrees")


def vector_indices(spec: str, count: int) -> list[int]:
    """``"3"``, ``"3,5,9"``, ``"0-9"`` (inclusive ranges, combinable) or ``"all"``."""
    if count == 0:
        raise GatecompError("this build holds no test vectors (sim/vectors.npz); use --input")
    if spec.strip() == "all":
        return list(range(count))
    out: list[int] = []
    for part in spec.split(","):
        lo, _, hi = part.strip().partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise GatecompError(f"--vector takes I, I,J,.., I-J or all; got {spec!r}")
        a, b = int(lo), int(hi or lo)
        if b < a or b >= count:
            raise GatecompError(f"--vector {part.strip()}: the build has vectors 0..{count - 1}")
        out.extend(range(a, b + 1))
    return out


def robust_queries(build: BuildCircuit, vector: str | None, bits: str | None, radius: int,
                   metric: str) -> list[RobustQuery]:
    """The queries ``--vector``/``--input`` ask (exactly one of them must be given)."""
    if (vector is None) == (bits is None):
        raise GatecompError("--robust needs one of --vector I and --input BITS")
    require_metric(build, metric)
    if bits is not None:
        return [RobustQuery("input", parse_bits(bits, build.aig.num_inputs), radius, metric)]
    return [RobustQuery(f"vector {i}", build.vectors[i], radius, metric)
            for i in vector_indices(vector, len(build.vectors))]


def summary(results: list[RobustResult]) -> dict:
    """Counts per answer, total seconds and queries per second of a batch."""
    seconds = sum(r.seconds for r in results)
    counts = Counter(r.result for r in results)
    return {"queries": len(results), "robust": counts["robust"],
            "counterexample": counts["counterexample"], "unknown": counts["unknown"],
            "seconds": round(seconds, 6),
            "queries_per_second": round(len(results) / seconds, 3) if seconds else None}


def write_json(path: Path, results: list[RobustResult] | PropertyResult) -> None:
    if isinstance(results, PropertyResult):
        data = results.to_json()
    elif len(results) == 1:
        data = results[0].to_json()
    else:
        data = {"summary": summary(results), "results": [r.to_json() for r in results]}
    _write(path, json.dumps(data, indent=2) + "\n")


def write_csv(path: Path, results: list[RobustResult]) -> None:
    rows = []
    for r in results:
        row = {k: v for k, v in r.to_json().items() if k in CSV_FIELDS}
        m = r.model
        row.update(model_pred_x0=m and m.pred_x0, model_pred_cex=m and m.pred_cex,
                   model_agrees=m and m.agrees)
        rows.append(row)
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=CSV_FIELDS)
    writer.writeheader()
    writer.writerows(rows)
    _write(path, text.getvalue())


def _write(path: Path, text: str) -> None:
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise GatecompError(f"cannot write {path}: {exc}") from None


def describe(r: RobustResult) -> str:
    """One line per query for the terminal."""
    head = f"{r.label}: {r.result} at {r.metric} radius {r.radius} (class {r.pred}, " \
           f"{r.engine}, {r.seconds:.3f} s)"
    if r.counterexample is None:
        return head
    model = "" if r.model is None else (
        f"; model: {r.model.reference}" if r.model.agrees is None else
        f"; model classes {r.model.pred_x0} -> {r.model.pred_cex}"
        f" ({'agrees' if r.model.agrees else 'DIFFERS'})")
    return f"{head}\n  counterexample -> class {r.cex_pred}, distance {r.distance}{model}\n" \
           f"  {r.counterexample}"

