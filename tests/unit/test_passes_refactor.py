"""refactor: function preserved, ANDs never grow (gain > 0), depth never grows, real savings."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import AIGBuilder, depth, exhaustive_inputs
from gatecomp.errors import GatecompError
from gatecomp.passes.refactor import RefactorParams, refactor
from gatecomp.passes.script import parse_script, run_script
from gatecomp.verify.abc_cec import abc_cec
from tests.conftest import (
    assert_local_pass_contract,
    assert_same_function,
    epfl,
    needs_abc,
    random_aig,
)
from tests.unit.pass_checks import check_abc_proves, check_gain_after_rewriting

PARAMS = [RefactorParams(), RefactorParams(zero_gain=True), RefactorParams(cut_size=5),
          RefactorParams(preserve_levels=False), RefactorParams(zero_gain=True, max_cubes=4),
          RefactorParams(cut_size=12, fanout_stop=1000), RefactorParams(mffc_cut=True),
          RefactorParams(mffc_cut=True, cut_size=12, zero_gain=True, preserve_levels=False),
          RefactorParams(mffc_cut=True, cut_size=4)]


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: repr(p)[15:-1])
@pytest.mark.parametrize("seed", range(10))
def test_function_preserved_exhaustively(params, seed):
    aig = random_aig(10, 40 + 40 * seed, 1 + seed % 5, seed=seed)
    out, stats = refactor(aig, params)
    assert_local_pass_contract(aig, out, stats, params, exhaustive_inputs(10))


def _flat_sop(k: int):
    """``OR_i (x_i & a & b)`` with no shared sub-terms: 3k - 1 ANDs; factored, k + 1."""
    b = AIGBuilder(k + 2)
    x = b.inputs().tolist()
    a, c = x[k], x[k + 1]
    cubes = [b.add_and(b.add_and(x[i], a), c) for i in range(k)]
    out = cubes[0]
    for t in cubes[1:]:
        out = b.add_or(out, t)
    return b.build([out])


def test_factors_a_flat_sum_of_products():
    aig = _flat_sop(6)
    assert aig.num_ands == 17
    out, stats = refactor(aig, RefactorParams(preserve_levels=False))
    assert out.num_ands == 7
    assert stats.extra["refactored"] >= 1 and stats.extra["estimated_gain"] == 10
    assert_same_function(aig, out, exhaustive_inputs(8))


def test_constant_cone_becomes_constant():
    # (x0 & x1 & x2) & ~(x0 & x2): constant 0, but no 2-input rule sees it
    b = AIGBuilder(4)
    x = b.inputs().tolist()
    t = b.add_and(b.add_and(x[0], x[1]), b.add_and(x[2], x[3]))
    out = b.add_and(t, b.add_and(x[0], x[2]) ^ 1)
    aig = b.build([out, b.add_and(x[0], x[2])])
    res, stats = refactor(aig)
    assert res.num_ands == 1 and int(res.outputs[0]) == 0
    assert stats.extra["trivial"] == 1
    assert_same_function(aig, res, exhaustive_inputs(4))


def test_deterministic():
    aig = random_aig(12, 600, 8, seed=11)
    a, _ = refactor(aig, RefactorParams(zero_gain=True))
    b, _ = refactor(aig, RefactorParams(zero_gain=True))
    assert np.array_equal(a.fanin0, b.fanin0) and np.array_equal(a.fanin1, b.fanin1)
    assert np.array_equal(a.outputs, b.outputs)


@pytest.mark.parametrize("name, at_most", [("router", 0.97), ("priority", 0.93), ("voter", 0.98),
                                            ("ctrl", 0.99), ("i2c", 1.0), ("cavlc", 1.0)])
def test_epfl_gain_after_rewriting(name, at_most):
    check_gain_after_rewriting(refactor, name, at_most)


@needs_abc
@pytest.mark.parametrize("name", ["router", "i2c", "sin"])
def test_abc_cec_proves_refactoring(name):
    check_abc_proves(name, "cleanup,balance,refactor,balance,refactor{zero_gain=true}")


def test_script_registration():
    steps = parse_script("refactor,refactor{zero_gain=true,cut_size=8,max_cubes=16}")
    assert steps[0] == ("refactor", RefactorParams())
    assert steps[1][1] == RefactorParams(zero_gain=True, cut_size=8, max_cubes=16)
    with pytest.raises(GatecompError, match="cut_size"):
        parse_script("refactor{cut_size=20}")
    with pytest.raises(ValueError):
        RefactorParams(max_cubes=0)


@needs_abc
@pytest.mark.parametrize("name", ["router", "priority", "int2float"])
def test_named_resyn_beats_resyn2_and_is_proved(name):
    """QoR record: ``resyn`` (two rounds with resub) below ``resyn2`` (ABC's sequence)."""
    aig = epfl(name)
    out, _ = run_script(aig, "resyn")
    base, _ = run_script(aig, "resyn2")
    assert out.num_ands < base.num_ands < aig.num_ands
    assert depth(out) <= depth(aig)
    res = abc_cec(aig, out, timeout=120)
    assert res.checked and res.equivalent, res.message


@needs_abc
@pytest.mark.parametrize("name", ["bar", "i2c", "cavlc"])
def test_mffc_cut_refactoring_dc2_is_proved(name):
    """dc2-style refactoring over MFFC supports: on ``bar`` it finds ABC dc2's 2952 ANDs that
    cut-based refactoring misses after resyn2 (3141); every result proved by ABC cec."""
    aig = epfl(name)
    base, _ = run_script(aig, "resyn2")
    out, _ = run_script(base, "dc2")
    assert out.num_ands <= base.num_ands
    if name == "bar":
        assert out.num_ands <= 2952 < base.num_ands
    res = abc_cec(aig, out, timeout=120)
    assert res.checked and res.equivalent, res.message
