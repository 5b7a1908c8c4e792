"""Proofs that optimization preserved the function: gatecomp's SAT/BDD checker, then ABC.

Simulation has already passed when these run; the proof is skipped above
:data:`PROVE_LIMIT` ANDs unless asked for, and gives up as "undecided" after
:data:`PROVE_SECONDS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..aig import AIG
from ..errors import InternalError
from ..toolchain import find_abc
from ..verify.abc_cec import abc_cec
from ..verify.equivalence import prove_equivalent
from .clock import StageClock

#: above this many ANDs the proof is skipped by default (simulation still runs)
PROVE_LIMIT = 100_000
#: the proof gives up (reports "undecided") after this long; simulation has already passed
PROVE_SECONDS = 120.0


@dataclass
class Proofs:
    """gatecomp's own proof and ABC's ``cec`` (None: not run)."""

    own: object | None = None
    abc: object | None = None


def prove_stage(clock: StageClock, spec: AIG, optimized: AIG, prove: bool | None,
                swept: bool) -> Proofs:
    """Prove ``optimized == spec`` where asked for or small enough; raise on a difference."""
    proofs = Proofs()
    if not (prove or (prove is None and spec.num_ands <= PROVE_LIMIT)):
        return proofs
    with clock.stage("prove", "prove optimized == " + ("swept" if swept else "lowered")) as st:
        proofs.own = prove_equivalent(spec, optimized, time_limit=PROVE_SECONDS)
        if proofs.own.equivalent is False:
            raise InternalError(f"optimization changed the function: {proofs.own.message}")
        st.detail = proofs.own.message
    if find_abc() is not None:
        with clock.stage("prove_abc", "ABC cec (extra oracle)") as st:
            proofs.abc = abc_cec(spec, optimized)
            if proofs.abc.equivalent is False:
                raise InternalError("ABC cec says optimization changed the function")
            st.detail = proofs.abc.message
    return proofs
