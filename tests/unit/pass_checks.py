"""Checks the optimization-pass tests share (EPFL gains, ABC proofs, exhaustive equivalence)."""

from __future__ import annotations

import numpy as np

from gatecomp.aig import check_aig, depth, exhaustive_inputs, random_inputs, simulate_words
from gatecomp.passes.script import run_script
from gatecomp.verify.abc_cec import abc_cec
from tests.conftest import assert_same_function, epfl, random_aig


def check_gain_after_rewriting(run_pass, name: str, at_most: float):
    """``run_pass`` on EPFL ``name`` after ``cleanup,balance,rewrite``: a valid AIG with fewer
    than ``at_most`` times the ANDs, no deeper, same function; returns the pass's stats."""
    aig, _ = run_script(epfl(name), "cleanup,balance,rewrite")
    out, stats = run_pass(aig)
    check_aig(out)
    assert out.num_ands < at_most * aig.num_ands
    assert depth(out) <= depth(aig)
    assert_same_function(aig, out, random_inputs(aig.num_inputs, 32, seed=3))
    return stats


def check_abc_proves(name: str, script: str) -> None:
    """ABC's ``cec`` proves EPFL ``name`` equivalent to itself after ``script``."""
    aig = epfl(name)
    out, _ = run_script(aig, script)
    res = abc_cec(aig, out, timeout=120)
    assert res.checked and res.equivalent, res.message


def check_exhaustively(run_pass, num_inputs: int, num_ands: int, seed: int):
    """``run_pass`` on a random AIG (8 outputs) keeps a valid AIG and its function on every
    input; returns (input AIG, output AIG, stats)."""
    aig = random_aig(num_inputs, num_ands, 8, seed=seed)
    out, stats = run_pass(aig)
    check_aig(out)
    ins = exhaustive_inputs(num_inputs)
    assert np.array_equal(simulate_words(out, ins), simulate_words(aig, ins))
    return aig, out, stats
