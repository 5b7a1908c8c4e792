"""resub: function preserved, ANDs never grow (gain > 0), depth never grows, real savings."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import AIGBuilder, exhaustive_inputs
from gatecomp.errors import GatecompError
from gatecomp.passes.resub import ResubParams, resub
from gatecomp.passes.script import parse_script
from tests.conftest import (
    assert_local_pass_contract,
    assert_same_function,
    needs_abc,
    random_aig,
)
from tests.unit.pass_checks import check_abc_proves, check_gain_after_rewriting

PARAMS = [ResubParams(), ResubParams(zero_gain=True), ResubParams(max_added=0),
          ResubParams(max_added=1), ResubParams(preserve_levels=False, cut_size=5),
          ResubParams(zero_gain=True, cut_size=10, max_divisors=40)]


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: repr(p)[12:-1])
@pytest.mark.parametrize("seed", range(10))
def test_function_preserved_exhaustively(params, seed):
    aig = random_aig(10, 40 + 40 * seed, 1 + seed % 5, seed=seed)
    out, stats = resub(aig, params)
    assert_local_pass_contract(aig, out, stats, params, exhaustive_inputs(10))


def _window(kind: str):
    """A 3-AND cone that an existing node (an output) lets resub rebuild more cheaply."""
    b = AIGBuilder(4)
    a, c, d, e = b.inputs().tolist()
    if kind == "divisor":  # (a & c) & (d & a) duplicates (a & c & d), built differently
        existing = b.add_and(b.add_and(a, d), c)
        target = b.add_and(b.add_and(a, c), b.add_and(d, a))
    elif kind == "or":  # (a | c) & (a | d) = a | (c & d), and c & d exists
        existing = b.add_and(c, d)
        target = b.add_and(b.add_or(a, c), b.add_or(a, d))
    else:  # (a & c & ~d) | (a & c & e): 2 new nodes over a & c, ~d | e... over existing a & c
        existing = b.add_and(a, c)
        target = b.add_or(b.add_and(b.add_and(a, c), d ^ 1),
                          b.add_and(b.add_and(c, e), a))
    return b.build([existing, target, e])


@pytest.mark.parametrize("kind, added", [("divisor", 0), ("or", 1), ("two", 2)])
def test_known_resubstitutions(kind, added):
    aig = _window(kind)
    out, stats = resub(aig, ResubParams(preserve_levels=False))
    assert_same_function(aig, out, exhaustive_inputs(4))
    assert out.num_ands < aig.num_ands
    assert stats.extra[f"resub{added}"] >= 1


def test_deterministic():
    aig = random_aig(12, 600, 8, seed=11)
    a, _ = resub(aig, ResubParams(zero_gain=True))
    b, _ = resub(aig, ResubParams(zero_gain=True))
    assert np.array_equal(a.fanin0, b.fanin0) and np.array_equal(a.fanin1, b.fanin1)
    assert np.array_equal(a.outputs, b.outputs)


@pytest.mark.parametrize("name, at_most", [("priority", 0.75), ("voter", 0.90), ("ctrl", 0.85),
                                            ("i2c", 0.97), ("int2float", 0.98)])
def test_epfl_gain_after_rewriting(name, at_most):
    stats = check_gain_after_rewriting(resub, name, at_most)
    assert stats.extra["resub1"] + stats.extra["resub2"] > 0


@needs_abc
@pytest.mark.parametrize("name", ["priority", "i2c", "cavlc"])
def test_abc_cec_proves_resubstitution(name):
    check_abc_proves(name, "cleanup,balance,resub,rewrite,resub{zero_gain=true},resub")


def test_script_registration():
    steps = parse_script("resub,resub{zero_gain=true,cut_size=6,max_added=1}")
    assert steps[0] == ("resub", ResubParams())
    assert steps[1][1] == ResubParams(zero_gain=True, cut_size=6, max_added=1)
    with pytest.raises(GatecompError, match="max_added"):
        parse_script("resub{max_added=3}")
    with pytest.raises(ValueError):
        ResubParams(cut_size=8, max_divisors=4)
