"""``gatecomp opt`` on sequential AIGER: optimize the step, keep the latches, prove both ways.

The step AIG (latch values as inputs, next values as outputs) is what the passes optimize; the
latches, their order and their reset values are written back unchanged, so the state encoding
is the same and the step proved equal combinationally (our checker, then ABC ``cec``) proves
the sequential circuits equal from every state. ABC ``dsec`` on the two files with their
latches is the independent check that does not rest on that argument.
"""

from __future__ import annotations

from collections.abc import Callable

from .aig.aiger_seq import LatchedAig
from .errors import GatecompError
from .optimize import OptimizeResult, optimize_aig
from .passes.script import DEFAULT_SCRIPT
from .verify.abc_cec import CecResult, abc_cec
from .verify.abc_dsec import abc_dsec


def optimize_latched(circuit: LatchedAig, script: str = DEFAULT_SCRIPT, verify: bool = True,
                     progress: Callable[[str], None] | None = None) -> OptimizeResult:
    """Optimize ``circuit``'s step with ``script``; with ``verify``, prove it (see module).

    Raises :class:`GatecompError` when any check finds a difference.
    """
    say = progress or (lambda _msg: None)
    say(f"{circuit.num_latches} latches: optimizing the step with latch values as inputs and "
        "next values as outputs (same state encoding)")
    res = optimize_aig(circuit.step, script, verify, say)
    res.latches = circuit.init
    if verify:
        res.abc = _abc_checks(circuit, res)
    return res


def _abc_checks(circuit: LatchedAig, res: OptimizeResult) -> list[CecResult]:
    """ABC ``cec`` of the steps, then ``dsec`` of the circuits with latches (skipped without
    ABC); a verdict of "different" is an error."""
    checks = [abc_cec(circuit.step, res.after)]
    if checks[0].checked:
        dsec = abc_dsec(circuit.step, res.after, circuit.init)
        if None in circuit.init:  # ABC warns it assumes 0 for don't-care inits
            dsec.message += " (ABC takes the uninitialized latches as reset to 0)"
        checks.append(dsec)
    for check in checks:
        if check.equivalent is False:
            raise GatecompError(f"optimization changed the circuit: {check.message}")
    return checks


def latch_lines(res: OptimizeResult) -> list[str]:
    """What ``gatecomp opt`` prints for a sequential file: latches and ABC's verdicts."""
    init = LatchedAig(res.after, res.latches or ()).init_counts()
    lines = [f"latches: {len(res.latches or ())} kept (reset 0: {init['0']}, reset 1: "
             f"{init['1']}, uninitialized: {init['uninitialized']}), same state encoding"]
    return lines + [c.message if c.checked else f"ABC: {c.message}" for c in res.abc]
