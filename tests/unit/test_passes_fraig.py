"""fraig: merges SAT-proven equivalent nodes, keeps the function, removes duplicated logic."""

from __future__ import annotations

import numpy as np

from gatecomp.aig import AIGBuilder, exhaustive_inputs, random_inputs, simulate_words
from gatecomp.passes import cleanup
from gatecomp.passes.fraig import FraigParams, fraig
from gatecomp.passes.script import run_script
from gatecomp.synth.arith import popcount
from gatecomp.verify.equivalence import prove_equivalent
from tests.conftest import random_aig
from tests.unit.pass_checks import check_exhaustively


def test_fraig_preserves_function_exhaustively():
    for seed in range(4):
        aig, out, stats = check_exhaustively(fraig, 12, 1500, seed)
        assert out.num_ands <= cleanup(aig)[0].num_ands
        assert stats.extra["undecided"] == 0


def test_fraig_preserves_function_on_wide_circuits():
    aig = random_aig(48, 3000, 16, seed=5)
    out, _ = fraig(aig, FraigParams(sim_words=4))
    words = random_inputs(48, 64, seed=3)
    assert np.array_equal(simulate_words(out, words), simulate_words(aig, words))
    assert prove_equivalent(aig, out).equivalent is True


def test_fraig_merges_two_differently_built_copies():
    # the same 12-input popcount twice: compressor tree and a serial counter, XOR-ed outputs
    b = AIGBuilder(12)
    x = b.inputs()
    fast = popcount(b, x)
    count = [0, 0, 0, 0]
    for lit in x.tolist():  # serial increment: count += lit
        carry = int(lit)
        for i in range(4):
            count[i], carry = b.add_xor(count[i], carry), b.add_and(count[i], carry)
    aig, _ = cleanup(b.build([*fast.tolist(), *count]))
    b1 = AIGBuilder(12)
    one_copy, _ = cleanup(b1.build(popcount(b1, b1.inputs())))
    out, stats = fraig(aig)
    ins = exhaustive_inputs(12)
    assert np.array_equal(simulate_words(out, ins), simulate_words(aig, ins))
    assert np.array_equal(out.outputs[:4], out.outputs[4:])  # both copies became one
    assert out.num_ands <= one_copy.num_ands + 2
    assert aig.num_ands > 2 * one_copy.num_ands
    assert stats.extra["merged"] > 0 and stats.ands_after == out.num_ands


def test_fraig_finds_constant_nodes():
    b = AIGBuilder(3)
    x0, x1, x2 = (int(v) for v in b.inputs())
    zero = b.add_and(b.add_and(x0, x1), b.add_and(x0 ^ 1, x2))  # x0 & ~x0 hidden in a tree
    aig = b.build([b.add_or(zero, x2)])
    out, _ = fraig(aig)
    assert out.num_ands == 0 and out.outputs.tolist() == [2 * 3]


def test_fraig_is_a_registered_script_pass():
    aig = random_aig(16, 600, 6, seed=1)
    out, stats = run_script(aig, "cleanup,fraig{conflict_limit=200},balance")
    assert [s.name for s in stats] == ["cleanup", "fraig", "balance"]
    assert prove_equivalent(aig, out).equivalent is True
