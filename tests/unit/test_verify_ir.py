"""IR-level verification helpers: reference comparison, simulation equivalence, ABC cec."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import AIG, LogicNet, Port, simulate
from gatecomp.passes import cleanup
from gatecomp.verify.abc_cec import abc_cec, find_abc
from gatecomp.verify.ir_check import compare_with_reference, simulate_equivalence
from tests.conftest import random_aig


def _broken(aig: AIG) -> AIG:
    f0 = aig.fanin0.copy()
    f0[-1] ^= 1  # complement one fanin of the last gate
    return AIG(aig.num_inputs, f0, aig.fanin1, aig.outputs)


def test_compare_with_reference_counts_mismatches():
    aig = random_aig(6, 60, 4, seed=3)
    aig = aig.with_outputs(np.array([aig.fanin0[-1] & ~1, *aig.outputs[1:]]),
                           aig.output_names)
    net = LogicNet(aig, (Port("x", 6),), (Port("a", 2), Port("b", 2)))
    x = np.random.default_rng(0).integers(0, 2, (100, 6)).astype(bool)
    expected = net.output_words(simulate(aig, x))
    assert compare_with_reference(net, x, expected).ok
    expected["b"] = expected["b"].copy()
    expected["b"][[3, 7]] ^= 1
    res = compare_with_reference(net, x, expected)
    assert res.mismatching_vectors == 2 and res.per_port == {"a": 0, "b": 2}
    assert res.first[0]["vector"] == 3


def test_simulation_equivalence_detects_broken_gate():
    aig = random_aig(20, 500, 8, seed=5)
    opt, _ = cleanup(aig)
    assert simulate_equivalence(aig, opt).equal
    assert not simulate_equivalence(aig, _broken(opt)).equal


@pytest.mark.skipif(find_abc() is None, reason="ABC not installed")
def test_abc_cec_proves_and_refutes():
    aig = random_aig(16, 400, 6, seed=11)
    opt, _ = cleanup(aig)
    assert abc_cec(aig, opt).equivalent is True
    assert abc_cec(opt, _broken(opt)).equivalent is False
