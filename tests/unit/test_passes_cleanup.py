"""cleanup: removes constants, duplicates and dead gates while preserving function."""

from __future__ import annotations

import numpy as np

from gatecomp.aig import AIG, exhaustive_inputs, random_inputs, simulate_words
from gatecomp.passes import cleanup
from tests.conftest import random_aig
from tests.unit.pass_checks import check_exhaustively


def test_cleanup_preserves_function_exhaustively():
    for seed in range(5):
        aig, out, stats = check_exhaustively(cleanup, 10, 400, seed)
        assert stats.ands_after == out.num_ands <= aig.num_ands


def test_cleanup_removes_dead_and_redundant_gates():
    # raw (un-hashed) graph: a duplicate AND, an AND with constant, a dead AND
    f0 = np.array([4, 4, 6, 8, 1 + 2 * 4])
    f1 = np.array([2, 2, 0, 2, 2])
    aig = AIG(3, f0, f1, np.array([2 * 5, 2 * 6]))  # node5 = x1&x0 (dup of node4), node6 = x2&0
    out, stats = cleanup(aig)
    assert out.num_ands == 1
    assert stats.extra["dead_removed"] == 3
    ins = exhaustive_inputs(3)
    assert np.array_equal(simulate_words(out, ins), simulate_words(aig, ins))


def test_cleanup_substitution_merges_nodes():
    aig = random_aig(12, 300, 4, seed=9)
    repl = np.full(aig.num_nodes, -1)
    out, _ = cleanup(aig, substitute=repl)
    words = random_inputs(12, 16)
    assert np.array_equal(simulate_words(out, words), simulate_words(aig, words))
