"""The quick fuzz slice ``make test`` runs: the first cases of run seed 0, every kind.

``make fuzz N=10000 [SEED=1]`` runs the long one (``python -m tests.fuzz``); a case that fails
here replays alone with ``make fuzz-one KIND=<kind> SEED=<seed>``.
"""

from __future__ import annotations

import pytest

from tests.fuzz.cases import Refused, case_of, run_case

#: cases of run seed 0 (the kinds cycle: dlgn, bnn, qnn, torchlogix, aig, compile by weight)
QUICK_CASES = [case_of(0, i) for i in range(48)]


@pytest.mark.parametrize(("kind", "seed"), QUICK_CASES, ids=[f"{k}-{s}" for k, s in QUICK_CASES])
def test_fuzz_case(kind, seed):
    try:
        run_case(kind, seed)
    except Refused as exc:  # a deliberately odd model (an empty layer): refused in one line
        assert "\n" not in str(exc) and str(exc)
