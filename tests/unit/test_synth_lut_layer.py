"""synth.lut_layer: LUT neurons lowered as minimal logic, checked bit for bit against the tables."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import (
    AIGBuilder,
    exhaustive_inputs,
    random_inputs,
    simulate_words,
    unpack_bits,
)
from gatecomp.synth.lut_layer import _small_aig, lower_luts


# -- helpers -------------------------------------------------------------------------------------
def _signal_pool(builder: AIGBuilder, rng: np.random.Generator, internal: int) -> np.ndarray:
    """Primary-input literals plus ``internal`` AND gates over them (inputs of a later layer)."""
    pool = list(builder.inputs())
    for _ in range(internal):
        a, b = rng.choice(pool, size=2, replace=False)
        pool.append(builder.add_and(int(a) ^ int(rng.integers(2)), int(b) ^ int(rng.integers(2))))
    return np.array(pool, dtype=np.int64)


def _random_wiring(rng: np.random.Generator, pool: np.ndarray, k: int, n: int,
                   p_const: float = 0.08, p_repeat: float = 0.12) -> np.ndarray:
    """(k, n) literals: random signals of ``pool``, random complements, some constants, and some
    slots repeating an earlier slot's signal (same or complemented)."""
    lits = rng.choice(pool, size=(k, n)) ^ rng.integers(0, 2, size=(k, n))
    const = rng.random((k, n)) < p_const
    lits[const] = rng.integers(0, 2, size=int(const.sum()))
    for j in range(1, k):
        rep = np.flatnonzero(rng.random(n) < p_repeat)
        src = rng.integers(0, j, size=len(rep))
        lits[j, rep] = lits[src, rep] ^ rng.integers(0, 2, size=len(rep))
    return lits


def _assert_matches_tables(builder: AIGBuilder, inputs: np.ndarray, tables: np.ndarray,
                           outs: np.ndarray, seed: int = 0) -> None:
    """Simulate the input literals and the outputs together; every neuron's output must be its
    table at the minterm its inputs form (exhaustive up to 14 primary inputs, else random)."""
    k, n = inputs.shape
    aig = builder.build(np.concatenate([inputs.reshape(-1), outs]))
    if aig.num_inputs <= 14:
        words, samples = exhaustive_inputs(aig.num_inputs), 1 << aig.num_inputs
    else:
        words, samples = random_inputs(aig.num_inputs, 4, seed=seed), 256
    vals = unpack_bits(simulate_words(aig, words), samples)
    x = vals[:, :k * n].reshape(samples, k, n).astype(np.int64)
    minterm = (x << np.arange(k, dtype=np.int64)[None, :, None]).sum(axis=1)
    expected = np.asarray(tables, dtype=bool)[np.arange(n)[None, :], minterm]
    got = vals[:, k * n:]
    bad = np.flatnonzero((got != expected).any(axis=0))
    assert not len(bad), f"{len(bad)} neurons differ from their tables, first {bad[:5]}"


def _table_of(bits: int, k: int, n: int = 1) -> np.ndarray:
    """(n, 2**k) bool rows all equal to the table int ``bits``."""
    row = (bits >> np.arange(1 << k)) & 1
    return np.tile(row.astype(bool), (n, 1))


def _cost(k: int, inputs: list[int], bits: int, num_inputs: int = 4) -> tuple[int, int]:
    """(ANDs, output literal) of one neuron in a fresh builder."""
    b = AIGBuilder(num_inputs)
    lits = np.array(inputs, dtype=np.int64).reshape(k, 1)
    out = lower_luts(b, lits, _table_of(bits, k))
    _assert_matches_tables(b, lits, _table_of(bits, k), out)
    return b.num_ands, int(out[0])


# -- function ------------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6, 8])
def test_random_tables_match_bit_for_bit(k: int) -> None:
    rng = np.random.default_rng(100 + k)
    b = AIGBuilder(10)
    pool = _signal_pool(b, rng, internal=12)
    n = 60 if k == 8 else 400
    inputs = _random_wiring(rng, pool, k, n)
    tables = rng.random((n, 1 << k)) < rng.uniform(0.2, 0.8, size=(n, 1))
    outs = lower_luts(b, inputs, tables)
    assert outs.shape == (n,) and outs.dtype == np.int64
    _assert_matches_tables(b, inputs, tables, outs)


def test_all_constant_and_all_repeated_inputs() -> None:
    rng = np.random.default_rng(7)
    b = AIGBuilder(3)
    n = 200
    tables = rng.random((n, 16)) < 0.5
    consts = rng.integers(0, 2, size=(4, n))
    same = np.tile(b.input(1) ^ rng.integers(0, 2, size=(4, 1)), (1, n))
    for inputs in (consts, same):
        outs = lower_luts(b, inputs, tables)
        _assert_matches_tables(b, inputs, tables, outs)
    assert b.num_ands == 0


def test_empty_layer() -> None:
    b = AIGBuilder(2)
    out = lower_luts(b, np.zeros((3, 0), dtype=np.int64), np.zeros((0, 8), dtype=bool))
    assert out.shape == (0,) and b.num_ands == 0


def test_bad_shapes_and_literals_are_refused() -> None:
    b = AIGBuilder(2)
    with pytest.raises(ValueError):
        lower_luts(b, np.zeros((2, 3), dtype=np.int64), np.zeros((3, 8), dtype=bool))
    with pytest.raises(ValueError):
        lower_luts(b, np.zeros((9, 1), dtype=np.int64), np.zeros((1, 512), dtype=bool))
    with pytest.raises(ValueError):
        lower_luts(b, np.full((2, 1), 6, dtype=np.int64), np.zeros((1, 4), dtype=bool))


# -- cost ----------------------------------------------------------------------------------------
def test_two_input_costs() -> None:
    x, y = 2, 4
    wires = {0b1010: x, 0b0101: x ^ 1, 0b1100: y, 0b0011: y ^ 1, 0b0000: 0, 0b1111: 1}
    for bits in range(16):
        ands, out = _cost(2, [x, y], bits, num_inputs=2)
        if bits in wires:
            assert (ands, out) == (0, wires[bits]), bits
        elif bits in (0b0110, 0b1001):
            assert ands == 3, bits
        else:
            assert ands == 1, bits


def test_and_class_layer_costs_one_and_per_neuron() -> None:
    rng = np.random.default_rng(3)
    n = 500
    and_class = np.array([t for t in range(16) if t.bit_count() in (1, 3)])
    bits = rng.choice(and_class, size=n)
    tables = ((bits[:, None] >> np.arange(4)) & 1).astype(bool)
    b = AIGBuilder(2 * n)  # every neuron on its own pair of inputs
    inputs = b.inputs().reshape(n, 2).T ^ rng.integers(0, 2, size=(2, n))
    outs = lower_luts(b, inputs, tables)
    assert b.num_ands == n
    _assert_matches_tables(b, inputs, tables, outs)


def test_constants_and_wires_cost_nothing() -> None:
    x = [2, 4, 6, 8]
    assert _cost(4, x, 0xF0F0) == (0, 6)  # the table of x2
    assert _cost(4, x, 0x0F0F) == (0, 7)  # ~x2
    # x0=0, x1=1, x2=0: only minterms 2 (x3=0) and 10 (x3=1) are reachable
    assert _cost(4, [0, 1, 0, 6], 0x0400) == (0, 6)  # x3
    assert _cost(4, [0, 1, 0, 6], 0x0004) == (0, 7)  # ~x3
    assert _cost(4, [0, 1, 0, 6], 0x0404) == (0, 1)  # 1 either way
    assert _cost(4, [0, 1, 0, 6], 0xFBFB) == (0, 0)  # 0 either way
    assert _cost(2, [4, 4], 0b0110) == (0, 0)  # x ^ x
    assert _cost(2, [4, 5], 0b0110) == (0, 1)  # x ^ ~x
    assert _cost(2, [4, 5], 0b1000) == (0, 0)  # x & ~x
    assert _cost(2, [4, 4], 0b1000) == (0, 4)  # x & x
    assert _cost(3, [4, 8, 4], 0b1110_0000) == (0, 4)  # x2 & (x0 | x1) with x0 = x2
    assert _cost(3, [5, 8, 4], 0b1110_0000)[0] == 1  # with x0 = ~x2: x2 & x1


def test_four_input_and_costs_three() -> None:
    x = [2, 4, 6, 8]
    for m in range(16):
        assert _cost(4, x, 1 << m)[0] == 3, m  # one minterm: an AND of 4 literals
        assert _cost(4, x, 0xFFFF ^ (1 << m))[0] == 3, m  # one zero: an OR of 4 literals
    assert _cost(4, [2, 4, 2, 8], 1 << 15)[0] == 2  # a repeated input
    assert _cost(4, [2, 4, 1, 8], 1 << 15)[0] == 2  # a constant-1 input
    assert _cost(4, [2, 4, 0, 8], 1 << 15) == (0, 0)  # a constant-0 input
    assert _cost(4, [2, 4, 3, 8], 1 << 15) == (0, 0)  # complementary inputs


def test_random_neurons_are_not_mux_trees() -> None:
    rng = np.random.default_rng(11)
    for k, n, bound in ((4, 1000, 8.0), (6, 400, 36.0)):
        b = AIGBuilder(6 * n)  # disjoint inputs: no sharing between neurons
        inputs = b.inputs()[: k * n].reshape(n, k).T
        tables = rng.random((n, 1 << k)) < 0.5
        lower_luts(b, inputs, tables)
        assert b.num_ands / n < bound, (k, b.num_ands / n)


# -- sharing and determinism ---------------------------------------------------------------------
def _layer(seed: int, k: int, n: int) -> tuple[AIGBuilder, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    b = AIGBuilder(12)
    pool = _signal_pool(b, rng, internal=8)
    inputs = _random_wiring(rng, pool, k, n)
    tables = rng.random((n, 1 << k)) < 0.5
    return b, inputs, tables


@pytest.mark.parametrize("k", [2, 4, 6])
def test_duplicated_neurons_add_no_ands(k: int) -> None:
    b, inputs, tables = _layer(5, k, 300)
    first = lower_luts(b, inputs, tables)
    ands = b.num_ands
    again = lower_luts(b, inputs, tables)
    assert b.num_ands == ands and np.array_equal(first, again)

    b2, _, _ = _layer(5, k, 300)
    base = b2.num_ands
    twice = lower_luts(b2, np.concatenate([inputs, inputs], axis=1), np.concatenate([tables] * 2))
    assert b2.num_ands - base == ands - base
    assert np.array_equal(twice[:300], twice[300:])


def test_a_table_on_many_wirings_is_synthesised_once() -> None:
    rng = np.random.default_rng(13)
    b = AIGBuilder(64)
    n, palette = 3000, rng.random((3, 64)) < 0.5
    inputs = np.stack([rng.choice(b.inputs(), size=6, replace=False) for _ in range(n)], axis=1)
    inputs ^= rng.integers(0, 2, size=inputs.shape)
    tables = palette[rng.integers(0, 3, size=n)]
    _small_aig.cache_clear()
    outs = lower_luts(b, inputs, tables)
    assert _small_aig.cache_info().misses == 3
    _assert_matches_tables(b, inputs, tables, outs)


def test_deterministic() -> None:
    runs = []
    for _ in range(2):
        b, inputs, tables = _layer(21, 6, 400)
        outs = lower_luts(b, inputs, tables)
        aig = b.build(outs)
        runs.append((aig.fanin0.copy(), aig.fanin1.copy(), outs))
    for x, y in zip(runs[0], runs[1], strict=True):
        assert np.array_equal(x, y)


# -- scale ---------------------------------------------------------------------------------------
def test_large_layer_of_rank2_and_rank6_neurons() -> None:
    rng = np.random.default_rng(2024)
    b = AIGBuilder(512)
    pool = _signal_pool(b, rng, internal=64)
    for k, n in ((2, 50_000), (6, 5_000)):
        inputs = _random_wiring(rng, pool, k, n, p_const=0.02, p_repeat=0.03)
        tables = rng.random((n, 1 << k)) < 0.5
        outs = lower_luts(b, inputs, tables)
        _assert_matches_tables(b, inputs, tables, outs, seed=k)
