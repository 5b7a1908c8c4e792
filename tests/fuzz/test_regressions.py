"""Bugs the fuzzer found, each minimised to its smallest case; ``xfail(strict=True)`` until
the owner fixes it (then the test passes, xfail turns it into a failure, and the marker goes).
A bug fixed while the fuzzer ran keeps its minimised case here as a plain test."""

from __future__ import annotations

import numpy as np

from gatecomp.aig import AIG
from gatecomp.flow import CompileOptions, compile_model
from gatecomp.frontends.qnn.formats import save_qnn
from gatecomp.nn import IntScores
from gatecomp.verify.equivalence import prove_equivalent


def _constant_aig(value: int) -> AIG:
    """No inputs, no gates, one output tied to constant ``value``."""
    empty = np.zeros(0, dtype=np.int64)
    return AIG(0, empty, empty, np.array([value]))


def test_prove_equivalent_refutes_differing_zero_input_aigs():
    res = prove_equivalent(_constant_aig(0), _constant_aig(1))
    assert res.equivalent is False
    assert res.failing_output == 0
    assert res.counterexample is not None and len(res.counterexample) == 0


def test_prove_equivalent_proves_equal_zero_input_aigs():
    """The equal case (the differing one crashed in the counterexample's unpacking: fuzz
    prove seed=3000161, fixed)."""
    assert prove_equivalent(_constant_aig(1), _constant_aig(1)).equivalent is True


def test_compile_writes_report_for_a_qnn(tmp_path):
    """Fixed (f226e72) while the fuzzer ran: compile of any QNN model crashed writing
    report.html (gatecomp/report/layers.py read ``type``/``gates`` of QNN layer records, which
    hold ``kind``/``neurons``: KeyError 'type'). Found by fuzz case compile seed=17."""
    path = save_qnn(tmp_path / "q.pt", [IntScores(np.eye(2, dtype=np.int64), in_bits=1)])
    result = compile_model(path, tmp_path / "out", CompileOptions())
    assert result.report["checks"]["ir_vs_reference_mismatches"] == 0
