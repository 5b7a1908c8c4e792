"""lutmap's absorption step: LUTs whose readers all have room for their leaves are folded into
them; the function, k and the depth are kept, and no absorbable LUT is left behind."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import AIGBuilder, exhaustive_inputs, random_inputs, simulate_words
from gatecomp.mapping.lutmap import LutMapParams, lutmap
from gatecomp.mapping.lutnet import LutNetwork
from gatecomp.synth.arith import popcount
from tests.conftest import EPFL, epfl, random_aig

needs_epfl = pytest.mark.skipif(not EPFL.is_dir(), reason="EPFL benchmarks not available")


def absorbable(net: LutNetwork) -> list[int]:
    """LUT ids (not outputs, read by LUTs only) every reader of which has room for them."""
    first = net.first_lut
    readers: dict[int, list[int]] = {}
    for j in range(net.num_luts):
        for u in net.fanins[j, :net.sizes[j]].tolist():
            readers.setdefault(u, []).append(j)
    outs = set(net.output_ids.tolist())
    found = []
    for j in range(net.num_luts):
        v = first + j
        if v in outs or v not in readers:
            continue
        mine = set(net.fanins[j, :net.sizes[j]].tolist())
        if all(len(set(net.fanins[f, :net.sizes[f]].tolist()) - {v} | mine) <= net.k
               for f in readers[v]):
            found.append(v)
    return found


def gate_popcount(seed: int, inputs: int = 10, gates: int = 40) -> AIGBuilder:
    """A layer of random two-input gates over shared inputs, then their popcount: the
    full adders can take a gate each, which exact-area recovery alone does not do."""
    rng = np.random.default_rng(seed)
    b = AIGBuilder(inputs)
    x = b.inputs()
    layer = []
    for _ in range(gates):
        i, j = rng.choice(inputs, 2, replace=False)
        p, q = x[i] ^ int(rng.integers(2)), x[j] ^ int(rng.integers(2))
        layer.append(b.add_xor(p, q) if rng.random() < 0.3 else b.add_and(p, q))
    return b.build(popcount(b, np.array(layer)))


@pytest.mark.parametrize("k", [3, 4, 6])
def test_absorption_keeps_function_and_depth_and_leaves_nothing_absorbable(k):
    for seed in range(4):
        aig = random_aig(10, 400, 8, seed=200 + seed)
        plain, p_stats = lutmap(aig, LutMapParams(k=k, absorb=False))
        net, stats = lutmap(aig, LutMapParams(k=k))
        assert np.array_equal(net.simulate_words(exhaustive_inputs(10)),
                              simulate_words(aig, exhaustive_inputs(10)))
        assert net.num_luts <= plain.num_luts
        assert stats.depth <= p_stats.depth and net.depth() == stats.depth
        assert (net.sizes <= k).all()
        assert absorbable(net) == []
        assert stats.rounds[-1]["round"] == "absorb"


def test_popcount_of_gates_loses_luts_to_absorption():
    saved = 0
    for seed in range(3):
        aig = gate_popcount(seed)
        plain, _ = lutmap(aig, LutMapParams(k=4, depth_slack=2, absorb=False))
        net, _ = lutmap(aig, LutMapParams(k=4, depth_slack=2))
        words = exhaustive_inputs(aig.num_inputs)
        assert np.array_equal(net.simulate_words(words), simulate_words(aig, words))
        assert absorbable(plain), "the example no longer needs absorption"
        saved += plain.num_luts - net.num_luts
    assert saved > 0


@needs_epfl
@pytest.mark.parametrize("name", ["cavlc", "int2float", "priority"])
def test_absorption_on_epfl_keeps_function_and_depth(name):
    aig = epfl(name)
    for k in (4, 6):
        plain, p_stats = lutmap(aig, LutMapParams(k=k, absorb=False))
        net, stats = lutmap(aig, LutMapParams(k=k))
        words = random_inputs(aig.num_inputs, 8, seed=k)
        assert np.array_equal(net.simulate_words(words), simulate_words(aig, words))
        assert net.num_luts <= plain.num_luts and stats.depth <= p_stats.depth
        assert absorbable(net) == []
