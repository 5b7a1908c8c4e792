"""Our equivalence checker: proves equal circuits, refutes broken ones with real counterexamples,
handles popcounts of different structure, agrees with ABC ``cec``, and catches a broken pass."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import AIG, AIGBuilder, read_aiger, simulate
from gatecomp.errors import GatecompError
from gatecomp.optimize import optimize_aig
from gatecomp.passes import cleanup
from gatecomp.passes import script as script_mod
from gatecomp.passes.script import RegisteredPass, run_script
from gatecomp.synth.arith import popcount
from gatecomp.verify.abc_cec import abc_cec, find_abc
from gatecomp.verify.equivalence import miter_graph, prove_equivalent
from tests.conftest import EPFL, random_aig


def _complement_live_fanin(aig: AIG) -> AIG:
    """Complement one fanin of the last gate (live after cleanup: it feeds an output)."""
    f0 = aig.fanin0.copy()
    k = int((aig.outputs.max() >> 1) - aig.first_and)
    f0[k] ^= 1
    return AIG(aig.num_inputs, f0, aig.fanin1, aig.outputs, aig.input_names, aig.output_names)


def _rare_flip(aig: AIG) -> AIG:
    """Flip output 0 only when every input is 1: invisible to random simulation."""
    b = AIGBuilder(aig.num_inputs)
    lits = np.empty(aig.num_nodes, dtype=np.int64)
    lits[0] = 0
    lits[1: aig.first_and] = b.inputs()
    for k in range(aig.num_ands):
        f0, f1 = aig.fanin0[k], aig.fanin1[k]
        lits[aig.first_and + k] = b.add_and(lits[f0 >> 1] ^ (f0 & 1), lits[f1 >> 1] ^ (f1 & 1))
    outs = [int(lits[o >> 1] ^ (o & 1)) for o in aig.outputs]
    all_ones = b.inputs()[0]
    for x in b.inputs()[1:]:
        all_ones = b.add_and(all_ones, int(x))
    outs[0] = b.add_xor(outs[0], all_ones)
    return b.build(outs, aig.output_names)


def _adder_tree_popcount(b: AIGBuilder, lits: np.ndarray) -> list[int]:
    """Popcount as a balanced tree of ripple-carry adders (structurally unlike arith.popcount)."""
    def add(u: list[int], v: list[int]) -> list[int]:
        n = max(len(u), len(v))
        u, v = u + [0] * (n - len(u)), v + [0] * (n - len(v))
        out, carry = [], 0
        for x, y in zip(u, v, strict=True):
            out.append(b.add_xor(b.add_xor(x, y), carry))
            carry = b.add_maj(x, y, carry)
        return out + [carry]

    words = [[int(x)] for x in lits]
    while len(words) > 1:
        words = [add(words[i], words[i + 1]) if i + 1 < len(words) else words[i]
                 for i in range(0, len(words), 2)]
    return words[0]


def test_equal_random_aigs_after_cleanup_and_balance_are_proved():
    for seed in range(3):
        aig = random_aig(24, 800, 8, seed=seed)
        opt, _ = run_script(aig, "cleanup,balance")
        res = prove_equivalent(aig, opt)
        assert res.equivalent is True, res.message
        assert res.outputs == ["proved"] * aig.num_outputs
        assert res.counterexample is None


def test_broken_gate_is_refuted_with_a_real_counterexample():
    aig, _ = cleanup(random_aig(20, 600, 6, seed=4))
    bad = _complement_live_fanin(aig)
    res = prove_equivalent(aig, bad)
    assert res.equivalent is False
    cex = res.counterexample[None, :]
    assert simulate(aig, cex)[0, res.failing_output] != simulate(bad, cex)[0, res.failing_output]


def test_difference_on_one_input_pattern_is_found_by_sat():
    aig, _ = cleanup(random_aig(40, 500, 4, seed=2))
    bad = _rare_flip(aig)
    res = prove_equivalent(aig, bad)
    assert res.equivalent is False and res.failing_output == 0
    assert res.counterexample.all()  # the only distinguishing vector
    assert res.stats["decided_by"].get("simulation") is None


def test_popcount_vs_adder_tree_popcount_is_proved():
    b = AIGBuilder(64)
    wallace, _ = cleanup(b.build(popcount(b, b.inputs())))
    b = AIGBuilder(64)
    tree, _ = cleanup(b.build(_adder_tree_popcount(b, b.inputs())[:7]))
    assert miter_graph(wallace, tree).num_ands > wallace.num_ands + tree.num_ands // 2
    res = prove_equivalent(wallace, tree)
    assert res.equivalent is True, res.message
    tree_bad = _complement_live_fanin(tree)
    assert prove_equivalent(wallace, tree_bad).equivalent is False


@pytest.mark.skipif(find_abc() is None or not EPFL.is_dir(), reason="needs ABC and EPFL files")
@pytest.mark.parametrize("name", ["ctrl", "int2float", "router", "cavlc", "priority"])
def test_agrees_with_abc_cec_on_epfl(name):
    aig = read_aiger(EPFL / f"{name}.aig")
    opt, _ = run_script(aig, "cleanup,balance")
    ours = prove_equivalent(aig, opt)
    assert ours.equivalent is True and abc_cec(aig, opt).equivalent is True
    bad = _complement_live_fanin(opt)
    assert prove_equivalent(aig, bad).equivalent is False
    assert abc_cec(aig, bad).equivalent is False


def test_broken_pass_in_the_script_registry_is_caught(monkeypatch):
    def broken_pass(aig, params):
        out, stats = cleanup(aig)
        return _rare_flip(out), stats

    monkeypatch.setitem(script_mod.PASSES, "broken",
                        RegisteredPass(broken_pass, script_mod.CleanupParams))
    aig = random_aig(40, 500, 4, seed=7)
    assert optimize_aig(aig, "cleanup,balance").proof.equivalent is True
    with pytest.raises(GatecompError, match="changed the function"):
        optimize_aig(aig, "cleanup,broken,balance")
