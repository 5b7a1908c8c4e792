"""rewrite: function preserved, ANDs never grow (gain > 0), depth never grows, real savings."""

from __future__ import annotations

import pytest

from gatecomp.aig import (
    check_aig,
    depth,
    exhaustive_inputs,
    random_inputs,
)
from gatecomp.passes.cleanup import cleanup
from gatecomp.passes.rewrite import RewriteParams, rewrite
from gatecomp.passes.script import parse_script, run_script
from tests.conftest import (
    assert_local_pass_contract,
    assert_same_function,
    epfl,
    needs_abc,
    random_aig,
)
from tests.unit.pass_checks import check_abc_proves

PARAMS = [RewriteParams(), RewriteParams(zero_gain=True), RewriteParams(cuts_per_node=1),
          RewriteParams(preserve_levels=False), RewriteParams(zero_gain=True, cuts_per_node=3)]


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: repr(p)[14:-1])
@pytest.mark.parametrize("seed", range(12))
def test_function_preserved_exhaustively(params, seed):
    aig = random_aig(9, 40 + 30 * seed, 1 + seed % 5, seed=seed)
    out, stats = rewrite(aig, params)
    assert_local_pass_contract(aig, out, stats, params, exhaustive_inputs(9))


def test_random_aigs_shrink():
    before = after = 0
    for seed in range(10):
        clean, _ = cleanup(random_aig(8, 200, 4, seed=100 + seed))
        out, _ = rewrite(clean)
        before += clean.num_ands
        after += out.num_ands
    assert after < 0.9 * before


def test_repeated_rewriting_converges_and_stays_correct():
    aig = random_aig(10, 400, 6, seed=7)
    out = aig
    sizes = []
    for params in [RewriteParams(), RewriteParams(zero_gain=True), RewriteParams()] * 2:
        out, _ = rewrite(out, params)
        sizes.append(out.num_ands)
    assert_same_function(aig, out, exhaustive_inputs(10))
    assert sizes[-1] <= sizes[0]


@pytest.mark.parametrize("name", ["voter", "bar", "ctrl", "i2c", "router", "int2float",
                                  "cavlc", "priority", "sin"])
def test_epfl_random_simulation(name):
    aig = epfl(name)
    for params in (RewriteParams(), RewriteParams(zero_gain=True)):
        out, _ = rewrite(aig, params)
        check_aig(out)
        assert_same_function(aig, out, random_inputs(aig.num_inputs, 32, seed=3))
        assert depth(out) <= depth(aig)
        if not params.zero_gain:
            assert out.num_ands <= aig.num_ands


@pytest.mark.parametrize("name, at_most", [("voter", 0.90), ("bar", 0.96), ("ctrl", 0.85)])
def test_ands_drop_where_abc_rw_improves(name, at_most):
    aig = epfl(name)
    out, stats = rewrite(aig)
    assert out.num_ands <= at_most * aig.num_ands
    assert stats.extra["rewritten"] > 0


@needs_abc
@pytest.mark.parametrize("name", ["ctrl", "int2float", "bar"])
def test_abc_cec_proves_resyn_like_script(name):
    check_abc_proves(name, "cleanup,balance,rewrite,balance,rewrite{zero_gain=true},balance")


def test_bundled_dlgn_shrinks():
    from gatecomp.cli import BUNDLED_EXAMPLE
    from gatecomp.frontends.dlgn import lower_dlgn
    from gatecomp.frontends.dlgn.model import load_dlgn

    aig = lower_dlgn(load_dlgn(BUNDLED_EXAMPLE)).aig
    base, _ = run_script(aig, "cleanup,balance")
    out, _ = run_script(aig, "cleanup,balance,rewrite")
    assert out.num_ands < base.num_ands
    assert depth(out) <= depth(base)
    assert_same_function(aig, out, random_inputs(aig.num_inputs, 16, seed=5))


def test_script_registration():
    steps = parse_script("rewrite,rewrite{zero_gain=true,cuts_per_node=4}")
    assert steps[0] == ("rewrite", RewriteParams())
    assert steps[1][1] == RewriteParams(zero_gain=True, cuts_per_node=4)
    with pytest.raises(ValueError):
        RewriteParams(cuts_per_node=0)
