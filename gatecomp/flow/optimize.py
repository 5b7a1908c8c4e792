"""From the lowered circuit to the one the hardware is built from.

The care-set sweep (optional) fixes the function the hardware must compute; the pass script
optimizes it; on FPGA targets the AIG is then aligned to its LUT4 cover so that pipeline
registers sit on LUT boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..aig import LogicNet, simulate
from ..errors import GatecompError, InternalError
from ..fpga.core import FPGA_LUT_SIZE
from ..mapping.lut_align import LutAlignment
from ..passes.script import run_script
from .clock import StageClock


@dataclass
class Optimized:
    """The optimized net, its per-pass figures, and the LUT alignment (FPGA targets)."""

    net: LogicNet  # the AIG the RTL is emitted from (aligned when ``alignment`` is given)
    unaligned: LogicNet  # the script's result before alignment (proofs, LUT estimates)
    pass_stats: list
    alignment: LutAlignment | None = None


def care_stage(clock: StageClock, frontend, model, raw: LogicNet,
               care_set: str | None) -> tuple[LogicNet, dict | None]:
    """The function the hardware must compute: ``raw``, or with a care set ``raw`` simplified
    on data don't-cares (equal to it on every care input), and the sweep's figures."""
    if care_set is None:
        return raw, None
    with clock.stage("care_sweep", "care-set sweep") as st:
        spec, stats = _care_sweep(frontend, model, raw, care_set)
        st.detail = (f"{raw.aig.num_ands} -> {spec.aig.num_ands} ANDs, {stats['samples']} "
                     f"{care_set} inputs")
    return spec, stats


def _care_sweep(frontend, model, raw: LogicNet, care_set: str) -> tuple[LogicNet, dict]:
    from ..passes.care_sweep import care_sweep

    if care_set != "train":
        raise GatecompError(f"unknown care set {care_set!r} (supported: 'train')")
    data = frontend.dataset_vectors(model, "train")
    if data is None:
        raise GatecompError("--care-set train needs a model that records its dataset and "
                            "input encoding (none found in the checkpoint)")
    care = data[0]
    swept, stats = care_sweep(raw.aig, care)
    if not np.array_equal(simulate(swept, care), simulate(raw.aig, care)):
        raise InternalError("the care-set sweep changed outputs on the care set")
    return raw.with_aig(swept), {"split": care_set, "samples": int(len(care)),
                                 "ands_before": raw.aig.num_ands,
                                 "ands_after": swept.num_ands,
                                 "constant_on_care": stats.extra["constant_on_care"],
                                 "merged_on_care": stats.extra["merged_on_care"]}


def optimize_stage(clock: StageClock, spec: LogicNet, script: str,
                   luts_per_stage: int | None) -> Optimized:
    """Run the pass script, then (with ``luts_per_stage``) align stages to the LUT4 cover."""
    with clock.stage("optimize") as st:
        aig, pass_stats = run_script(spec.aig, script, progress=lambda m: clock.say("  " + m))
        st.detail = f"{spec.aig.num_ands} -> {aig.num_ands} ANDs"
    unaligned = spec.with_aig(aig)
    if luts_per_stage is None:
        return Optimized(unaligned, unaligned, pass_stats)
    from ..mapping.lut_align import align_to_luts
    from ..mapping.stages import PipelineParams

    with clock.stage("lut_align", "align stages to the LUT4 cover") as st:
        alignment = align_to_luts(aig, PipelineParams(levels_per_stage=luts_per_stage),
                                  k=FPGA_LUT_SIZE)
        s = alignment.stats
        st.detail = (f"{s['luts']} LUT4, {s['depth']} LUT levels; {s['ands_before']} -> "
                     f"{s['ands_after']} ANDs (logic shared across stages duplicated)")
    return Optimized(spec.with_aig(alignment.aig), unaligned, pass_stats, alignment)
