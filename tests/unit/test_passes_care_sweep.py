"""care_sweep: outputs unchanged on every care input, smaller where the care set allows it."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import AIGBuilder, check_aig, simulate
from gatecomp.passes.care_sweep import CareSweepParams, care_substitution, care_sweep
from tests.conftest import random_aig


@pytest.mark.parametrize("merge", [True, False])
def test_outputs_unchanged_on_the_care_set(merge):
    rng = np.random.default_rng(1)
    for seed in range(3):
        aig = random_aig(16, 1200, 10, seed=seed)
        care = rng.integers(0, 2, size=(100 + 37 * seed, 16)).astype(bool)
        out, stats = care_sweep(aig, care, CareSweepParams(merge=merge))
        check_aig(out)
        assert np.array_equal(simulate(out, care), simulate(aig, care))
        assert out.num_ands <= aig.num_ands
        assert stats.extra["care_samples"] == len(care)


def test_a_node_constant_on_the_data_becomes_a_constant():
    # y = (a & b) | c, and the data never has a & b: on the care set y == c
    b = AIGBuilder(3)
    a, bb, c = (int(v) for v in b.inputs())
    aig = b.build([b.add_or(b.add_and(a, bb), c)])
    care = np.array([[0, 0, 0], [1, 0, 1], [0, 1, 0], [0, 1, 1], [1, 0, 0]], dtype=bool)
    out, stats = care_sweep(aig, care, CareSweepParams(merge=False))
    assert out.num_ands == 0 and out.outputs[0] == 2 * 3  # the output is input c
    assert stats.extra["constant_on_care"] >= 1
    # off the care set the function did change: that is what a don't-care means
    assert simulate(out, np.array([[1, 1, 0]], dtype=bool))[0, 0] != \
        simulate(aig, np.array([[1, 1, 0]], dtype=bool))[0, 0]


def test_nodes_equal_on_the_data_are_merged_with_phase():
    # x = a ^ b and y = ~a & b: on data where a == 0 always, both equal b
    b = AIGBuilder(2)
    a, bb = (int(v) for v in b.inputs())
    x = b.add_xor(a, bb)
    y = b.add_and(a ^ 1, bb)
    aig = b.build([x, y ^ 1])
    care = np.array([[0, 0], [0, 1]], dtype=bool)
    repl = care_substitution(aig, care)
    assert (repl >= 0).any()
    out, _ = care_sweep(aig, care)
    assert out.num_ands == 0
    assert out.outputs.tolist() == [2 * 2, 2 * 2 + 1]  # b and ~b


def test_padding_does_not_change_the_result():
    # 65 samples: the last word holds one real sample and 63 padding copies of sample 0
    rng = np.random.default_rng(3)
    aig = random_aig(10, 500, 6, seed=7)
    care = rng.integers(0, 2, size=(65, 10)).astype(bool)
    out, _ = care_sweep(aig, care)
    assert np.array_equal(simulate(out, care), simulate(aig, care))


def test_bad_care_sets_are_rejected():
    aig = random_aig(4, 20, 2)
    with pytest.raises(ValueError, match="care set"):
        care_sweep(aig, np.zeros((5, 3), dtype=bool))
    with pytest.raises(ValueError, match="empty"):
        care_sweep(aig, np.zeros((0, 4), dtype=bool))
