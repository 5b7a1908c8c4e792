"""``report.json``: what was compiled, how big it is, what was checked, and how long it took."""

from __future__ import annotations

from dataclasses import asdict

from ..aig import LogicNet, depth
from ..sidecar import Sidecar
from ..verify.accuracy import accuracy
from .check import Checked
from .optimize import Optimized
from .prove import Proofs


def build_report(model, raw: LogicNet, opt: Optimized, checked: Checked, proofs: Proofs,
                 sidecar: Sidecar, options: dict, source: str, timings: dict) -> dict:
    """The report of one compile, from the stages' results."""
    vec = checked.vectors
    return {
        "source": source,
        "format": model.format,
        "options": options,
        "network": {k: v for k, v in raw.meta.items() if not k.startswith("_")},
        "gates": {
            "trained_logic_gates": raw.meta.get("logic_gates"),
            "trained_neurons": raw.meta.get("neurons"),
            "ands_lowered": raw.aig.num_ands,
            "ands_optimized": opt.unaligned.aig.num_ands,
            "levels_lowered": depth(raw.aig),
            "levels_optimized": depth(opt.unaligned.aig),
        },
        "passes": [s.as_dict() for s in opt.pass_stats],
        "pipeline": {"latency": sidecar.latency, "registers": sidecar.stats.registers},
        "vectors": {"count": len(vec.bits), "kind": vec.description},
        "accuracy": {"reference": accuracy(checked.expected["pred"], vec.labels),
                     "ir": accuracy(checked.ir_pred, vec.labels)},
        "checks": {"ir_vs_reference_mismatches": 0,
                   "simulation_equivalence_patterns": checked.equivalence.patterns,
                   "abc_cec": None if proofs.abc is None else asdict(proofs.abc),
                   "equivalence": None if proofs.own is None else proofs.own.as_dict(),
                   "reference": {"name": checked.own.name,
                                 "independent": checked.own.independent}},
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }
