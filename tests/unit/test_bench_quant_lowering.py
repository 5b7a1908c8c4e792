"""bench/quant_lowering.py's naive lowerings (ROMs, ripple adder trees) equal the reference.

They are the baseline issue 5's LUT ratios are measured against, so a wrong one must fail here
rather than make gatecomp look better.
"""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import simulate
from gatecomp.frontends.bnn import load_bnn
from gatecomp.frontends.bnn import reference_outputs as bnn_reference
from gatecomp.frontends.qnn import load_qnn
from gatecomp.frontends.qnn import reference_outputs as qnn_reference
from tests.bench_modules import load_bench
from tests.unit.bnn_nets import random_bnn
from tests.unit.qnn_nets import all_inputs, random_qnn


@pytest.fixture(scope="module")
def bench():
    return load_bench("quant_lowering")


def _same(net, bits, expected):
    got = net.output_words(simulate(net.aig, bits))
    assert set(got) == set(expected)
    for port, want in expected.items():
        assert np.array_equal(got[port], want), port


@pytest.mark.parametrize("rom_bits", [0, 14])  # all adder trees / sparse neurons as ROMs
def test_naive_qnn_equals_reference_exhaustively(bench, rom_bits):
    model = load_qnn(random_qnn([6, 5], 5, 3, in_bits=2, levels=(3, 1), fan_in=3, seed=4))
    bits = all_inputs(model.input_width)
    _same(bench.naive_qnn(model, rom_bits), bits, qnn_reference(model, bits))


def test_naive_bnn_equals_reference_exhaustively(bench):
    model = load_bnn(random_bnn([7, 6], 10, 3, seed=2))
    bits = all_inputs(model.input_width)
    _same(bench.naive_bnn(model), bits, bnn_reference(model, bits))


def test_naive_adder_tree_adds(bench):
    from gatecomp.aig import AIGBuilder

    b = AIGBuilder(6)
    x = b.inputs().tolist()
    coeffs = [1, 3, 5, 2, 7, 4]
    s = bench.adder_tree(b, bench.weighted_terms(x, coeffs), 5)
    aig = b.build(np.array(s))
    bits = all_inputs(6)
    got = simulate(aig, bits).astype(np.int64) @ (1 << np.arange(5))
    assert np.array_equal(got, bits.astype(np.int64) @ np.array(coeffs))
