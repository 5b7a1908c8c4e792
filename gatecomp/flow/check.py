"""The checks every compile makes before anything is written.

On the model's vectors: the lowered circuit against gatecomp's reference and against the
model's own forward (where its library runs), the optimized circuit against what the hardware
must compute (the reference, or the care-set swept net), and the optimized AIG against the
function it came from on random and given patterns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..aig import LogicNet, simulate
from ..errors import GatecompError, InternalError
from ..frontends.reference import OwnForward
from ..vectors import Vectors, model_vectors
from ..verify.accuracy import accuracy, percent
from ..verify.ir_check import SimEquivalence, compare_with_reference, simulate_equivalence
from .clock import StageClock


@dataclass
class Checked:
    """What the checks established: the vectors, the words the hardware must produce on them,
    and how they were obtained."""

    vectors: Vectors
    reference: dict[str, np.ndarray]  # gatecomp's reading of the model
    expected: dict[str, np.ndarray]  # what the hardware computes: reference, or the swept net
    own: OwnForward
    ir_pred: np.ndarray
    equivalence: SimEquivalence


def check_stage(clock: StageClock, frontend, model, raw: LogicNet, spec: LogicNet,
                net: LogicNet, opts, care_stats: dict | None, source: str) -> Checked:
    """All IR checks on the model's vectors; raises on the first disagreement."""
    with clock.stage("check", "check IR vs PyTorch") as st:
        vec = model_vectors(frontend, model, opts.inputs, opts.max_vectors)
        reference = expected = frontend.reference(model, vec.bits)
        _hold(raw, vec.bits, reference, "the lowered IR differs from the PyTorch reference")
        own = _check_own_forward(frontend, model, raw, vec.bits, source)
        clock.say(f"  reference: {own.name}")
        if care_stats is not None:
            expected = _care_outcome(clock, spec, vec, reference, care_stats)
        what = "swept net" if care_stats else "PyTorch reference"
        cmp = _hold(net, vec.bits, expected, f"the optimized IR differs from the {what}")
        equiv = simulate_equivalence(spec.aig, net.aig, extra=vec.bits)
        if not equiv.equal:
            raise InternalError(f"optimization changed output "
                                f"{net.aig.output_names[equiv.first_output]} (simulation)")
        st.detail = (f"{len(vec.bits)} {vec.description} vectors, 0 mismatches"
                     + (" against the swept net" if care_stats else ""))
    return Checked(vec, reference, expected, own, cmp.outputs["pred"], equiv)


def _hold(net: LogicNet, bits: np.ndarray, expected: dict, what: str):
    cmp = compare_with_reference(net, bits, expected)
    if not cmp.ok:
        raise InternalError(f"{what} on {cmp.mismatching_vectors} of {cmp.vectors} vectors "
                            f"(first: {cmp.first[0]})")
    return cmp


def _check_own_forward(frontend, model, raw: LogicNet, bits: np.ndarray,
                       source: str) -> OwnForward:
    """Run the model's own forward where its library can run, and hold the IR to it.

    gatecomp's reference is its own reading of the weights; a misread checkpoint would pass
    that check. The model's own forward cannot be fooled that way.
    """
    own = frontend.own_forward(model, bits)
    if own.outputs is None:
        return own
    cmp = compare_with_reference(raw, bits, own.outputs, partial=True)
    if not cmp.ok:
        first = cmp.first[0]
        raise GatecompError(
            f"{source}: the circuit differs from {own.name} on {cmp.mismatching_vectors} of "
            f"{cmp.vectors} vectors (vector {first['vector']}, {first['port']}: model "
            f"{first['expected']}, circuit {first['got']}): gatecomp cannot read this model "
            "exactly; nothing was written")
    return own


def _care_outcome(clock: StageClock, spec: LogicNet, vec: Vectors, reference: dict,
                  care_stats: dict) -> dict[str, np.ndarray]:
    """The swept net's words (outside the care set the hardware computes it), and the
    vectors and accuracy the sweep changed, recorded in ``care_stats``."""
    expected = spec.output_words(simulate(spec.aig, vec.bits))
    changed = compare_with_reference(spec, vec.bits, reference)
    care_stats.update(vectors=len(vec.bits), vectors_changed=changed.mismatching_vectors,
                      reference_accuracy=accuracy(reference["pred"], vec.labels),
                      accuracy=accuracy(expected["pred"], vec.labels))
    clock.say(f"  care set: {changed.mismatching_vectors} of {len(vec.bits)} {vec.description} "
              f"vectors changed, accuracy {percent(care_stats['reference_accuracy'])} -> "
              f"{percent(care_stats['accuracy'])}")
    return expected
