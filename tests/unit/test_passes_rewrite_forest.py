"""rewrite_forest: every structure computes its class, the library's comes first; rewrite with
several structures per cut keeps the function (also without level preservation, where reusing
unvisited nodes once closed a cycle) and finds sharing one structure misses."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import check_aig, depth, exhaustive_inputs, random_inputs
from gatecomp.logic.npn import npn_table
from gatecomp.passes.rewrite import RewriteParams, rewrite
from gatecomp.passes.rewrite_forest import generate, load_forest
from gatecomp.passes.rewrite_library import VARS, load_library
from gatecomp.passes.script import run_script
from tests.conftest import assert_local_pass_contract, assert_same_function, epfl, random_aig

MASK = 0xFFFF


def _truth(fanins: np.ndarray, root: int) -> int:
    """Simulate a local structure on the four variables' tables (independent of the library's
    own simulator)."""
    vals = {0: 0, 1: MASK}
    for i, v in enumerate(VARS):
        vals[2 + 2 * i], vals[3 + 2 * i] = v, v ^ MASK
    for k, (a, b) in enumerate(np.asarray(fanins).reshape(-1, 2).tolist()):
        t = vals[a] & vals[b]
        vals[10 + 2 * k], vals[11 + 2 * k] = t, t ^ MASK
    return vals[int(root)]


def test_every_structure_computes_its_class_representative():
    forest = load_forest()
    reps = npn_table()[0]
    assert len(forest.first) == len(reps) + 1
    for c, rep in enumerate(reps.tolist()):
        structs = forest.structures(c)
        assert structs, c
        for fan, root in structs:
            assert _truth(fan, root) == rep, (c, fan, root)
            assert len(fan) <= 15


def test_library_structure_first_and_no_duplicates():
    forest, lib = load_forest(), load_library()
    for c in range(len(lib.reps)):
        structs = forest.structures(c)
        fan, root = lib.structure(c)
        assert np.array_equal(structs[0][0], fan) and structs[0][1] == root
        keys = {(tuple(f.ravel().tolist()), r) for f, r in structs}
        assert len(keys) == len(structs)
    assert int(np.diff(forest.first).sum()) > 3 * len(lib.reps)  # alternatives exist


def test_shipped_forest_is_what_the_generator_makes():
    made, shipped = generate(), load_forest()
    for key in ("first", "offset", "fanins", "root"):
        assert np.array_equal(getattr(made, key), getattr(shipped, key)), key


PARAMS = [RewriteParams(structures=8), RewriteParams(structures=8, zero_gain=True),
          RewriteParams(structures=8, zero_gain=True, preserve_levels=False),
          RewriteParams(structures=3, preserve_levels=False),
          RewriteParams(structures=8, zero_gain=True, preserve_levels=False,
                        zero_gain_deepens=False)]


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: repr(p)[14:-1])
@pytest.mark.parametrize("seed", range(8))
def test_function_preserved_exhaustively(params, seed):
    aig = random_aig(9, 60 + 40 * seed, 1 + seed % 5, seed=200 + seed)
    out, stats = rewrite(aig, params)
    assert_local_pass_contract(aig, out, stats, params, exhaustive_inputs(9))


@pytest.mark.parametrize("name", ["cavlc", "i2c", "ctrl", "int2float"])
def test_epfl_after_resyn2_stays_acyclic_and_equal(name):
    """The case that once hung (cavlc after ABC-like resyn2, zero gain, levels free)."""
    aig, _ = run_script(epfl(name), "resyn2")
    for params in PARAMS:
        out, _ = rewrite(aig, params)
        check_aig(out)
        assert_same_function(aig, out, random_inputs(aig.num_inputs, 32, seed=4))


def test_more_structures_find_more_sharing_on_i2c():
    aig, _ = run_script(epfl("i2c"), "resyn2")
    one, _ = rewrite(aig, RewriteParams(zero_gain=True))
    many, _ = rewrite(aig, RewriteParams(zero_gain=True, structures=8))
    assert many.num_ands < one.num_ands


def test_zero_gain_moves_that_may_not_deepen_keep_the_depth_lower():
    """Free levels, zero gain: forbidding deeper zero-gain moves never ends deeper here."""
    aig, _ = run_script(epfl("sin"), "resyn2")
    free, _ = rewrite(aig, RewriteParams(zero_gain=True, preserve_levels=False))
    flat, _ = rewrite(aig, RewriteParams(zero_gain=True, preserve_levels=False,
                                         zero_gain_deepens=False))
    assert depth(flat) <= depth(free)
    assert_same_function(aig, flat, random_inputs(aig.num_inputs, 32, seed=5))
