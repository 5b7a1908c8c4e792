"""Carry-chain popcounts: the counts and argmax they compute (against numpy), the CCU2C
encoding of every position (against a Python model of the cell), and the plan that lets
carry-in bridges absorb GroupSum gates (against the AIG it came from)."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import simulate
from gatecomp.fpga.carry_popcount import (
    LEVEL_SCALE,
    chained_core,
    fill_spare_halves,
    gate_slots,
    plan_group_bits,
    stages_of,
    tree_positions,
)
from gatecomp.frontends.dlgn import lower_dlgn
from gatecomp.frontends.dlgn.formats import save_dlgn
from gatecomp.frontends.dlgn.model import load_dlgn
from gatecomp.mapping.lutmap import LutMapParams, lutmap
from gatecomp.mapping.lutnet import LutNetwork
from tests.unit.dlgn_nets import random_dlgn


def _wires(num_inputs: int, compl: np.ndarray) -> LutNetwork:
    """A network without LUTs whose outputs are its inputs (some inverted) and constant 0."""
    ids = np.r_[np.arange(1, num_inputs + 1), 0]
    return LutNetwork(num_inputs=num_inputs, fanins=np.zeros((0, 4), dtype=np.int64),
                      sizes=np.zeros(0, dtype=np.int64), truth=np.zeros(0, dtype=np.uint64),
                      output_ids=ids, output_compl=np.r_[compl, False])


def _names(widths: list[int], pred: int) -> tuple[str, ...]:
    return tuple([f"c{c}[{i}]" for c, w in enumerate(widths) for i in range(w)]
                 + [f"pred[{i}]" for i in range(pred)])


def _bit_values(group: list, outs: np.ndarray) -> np.ndarray:
    """(samples, len(group)) values of a group's bits from the logic outputs."""
    cols = []
    for bit in group:
        if isinstance(bit, tuple):
            truth, i, j = bit
            cols.append((truth >> (outs[:, j].astype(int) << 1 | outs[:, i])) & 1)
        else:
            cols.append(outs[:, bit])
    return np.stack(cols, axis=1).astype(np.int64)


@pytest.mark.parametrize("seed", range(4))
def test_counts_and_argmax_equal_numpy(seed):
    rng = np.random.default_rng(seed)
    m = 40
    logic = _wires(m, rng.random(m) < 0.3)
    sizes = rng.integers(1, 60, size=rng.integers(2, 6))
    groups = []
    for n in sizes:
        group: list = [int(i) for i in rng.integers(0, m + 1, size=n)]  # m: constant 0
        for k in range(int(rng.integers(0, n))):  # beyond gate_slots: LUTs
            group[k] = (int(rng.integers(0, 16)), int(rng.integers(0, m)),
                        int(rng.integers(0, m)))
        groups.append(group)
    widths = [max(1, int(n).bit_length()) for n in sizes]
    pw = max(1, (len(sizes) - 1).bit_length())
    core = chained_core(logic, groups, _names(widths, pw), max_positions=12)
    x = rng.random((3000, m)) < rng.random(m)  # biased bits reach the large counts too
    outs = logic.simulate(x)
    got = core.net.simulate(x).astype(np.int64)
    counts = np.stack([_bit_values(g, outs).sum(axis=1) for g in groups], axis=1)
    at = 0
    for c, w in enumerate(widths):
        assert np.array_equal(got[:, at:at + w] @ (1 << np.arange(w)), counts[:, c])
        at += w
    pred = got[:, at:] @ (1 << np.arange(pw))
    assert np.array_equal(pred, np.argmax(counts, axis=1))  # first maximum wins, like torch


def _ccu2c_model(core, values: np.ndarray) -> None:
    """Every chain evaluated as CCU2C halves from their INIT and pins (D high): S and COUT
    must be the network's values of the position's nodes."""
    for chain in core.chains:
        cin = np.zeros(values.shape[0], dtype=np.int64)
        for p in chain.positions:
            a, b, c = (values[:, pin] if pin else np.zeros_like(cin) for pin in p.pins)
            prop = (p.init >> (8 + (c << 2 | b << 1 | a))) & 1
            gen = (p.init >> (b << 1 | a)) & 1
            s, cout = prop ^ cin, np.where(prop == 1, cin, gen)
            assert np.array_equal(s, values[:, p.s_id])
            assert np.array_equal(cout, values[:, p.cout_id])
            cin = cout


def _node_values(net: LutNetwork, x: np.ndarray) -> np.ndarray:
    """(samples, ids) value of every id, by simulating each node as an output."""
    ids = np.arange(net.first_lut + net.num_luts)
    probe = LutNetwork(net.num_inputs, net.fanins, net.sizes, net.truth, ids,
                       np.zeros(len(ids), dtype=bool))
    return probe.simulate(x).astype(np.int64)


def test_positions_are_ccu2c_halves():
    rng = np.random.default_rng(7)
    m = 30
    logic = _wires(m, rng.random(m) < 0.5)
    groups = [[int(i) for i in rng.integers(0, m, size=n)] for n in (45, 31, 7)]
    groups[0][:5] = [(6, 1, 2), (9, 3, 3), (8, 4, 5), (1, 6, 7), (14, 0, 8)]
    core = chained_core(logic, groups, _names([6, 5, 3], 2))
    assert all(len(c.positions) <= 48 for c in core.chains)
    _ccu2c_model(core, _node_values(core.net, rng.random((500, m)) < 0.5))


def test_trees_take_fewer_positions_than_full_adders():
    """Two LUT4 per full adder, one per bit removed: 2 * (n - width) for n bits."""
    for n in (15, 31, 100, 300):
        assert tree_positions(n) < 0.85 * 2 * (n - n.bit_length())


@pytest.mark.parametrize("sizes, k, seed", [([60, 40], 4, 2), ([100, 128], 2, 3)])
def test_plan_absorbs_gates_into_the_chains(tmp_path, sizes, k, seed):
    model = load_dlgn(save_dlgn(tmp_path / "n.pt", random_dlgn(sizes, in_dim=16, k=k,
                                                               seed=seed)))
    raw = lower_dlgn(model)
    lits = raw.group_sum
    assert (lits == 0).any() or seed == 2  # constant bits still count towards the width
    outs, groups = plan_group_bits(raw.aig, lits)
    gates = [sum(isinstance(b, tuple) for b in g) for g in groups]
    assert sum(gates) > 0 and [len(g) for g in groups] == [lits.shape[1]] * lits.shape[0]
    assert all(n <= gate_slots(len(g)) for n, g in zip(gates, groups, strict=True))
    x = np.random.default_rng(0).random((2000, raw.aig.num_inputs)) < 0.5
    planned = simulate(raw.aig.with_outputs(outs, tuple(f"o{i}" for i in range(len(outs)))), x)
    bits = simulate(raw.aig.with_outputs(lits.ravel(), tuple(f"b{i}" for i in
                                                              range(lits.size))), x)
    bits = bits.reshape(len(x), *lits.shape).astype(np.int64)
    for c, group in enumerate(groups):
        assert np.array_equal(_bit_values(group, planned.astype(np.int64)), bits[:, c])
    # and the whole core computes the lowered net
    logic, _ = lutmap(raw.aig.with_outputs(outs, tuple(f"o{i}" for i in range(len(outs)))),
                      LutMapParams(k=4))
    core = chained_core(logic, groups, raw.aig.output_names)
    assert np.array_equal(core.net.simulate(x), simulate(raw.aig, x))


def _boxes_reached(core, start: int) -> set[int]:
    """Chains reached from node ``start`` (breadth first; reaching one node of a chain
    reaches all its outputs: the box view Yosys' ABC9 takes of carry chains)."""
    net = core.net
    readers: dict[int, list[int]] = {}
    for j in range(net.num_luts):
        for f in net.fanins[j, :int(net.sizes[j])]:
            readers.setdefault(int(f), []).append(net.first_lut + j)
    box = {q: c for c, ch in enumerate(core.chains)
           for q in [i for p in ch.positions for i in (p.s_id, p.cout_id)]
           + ([ch.spare] if ch.spare is not None else [])}
    members: dict[int, list[int]] = {}
    for q, c in box.items():
        members.setdefault(c, []).append(q)
    seen, todo, hit = {start}, [start], set()
    while todo:
        for r in readers.get(todo.pop(), ()):
            nxt = [r]
            if r in box and box[r] not in hit:
                hit.add(box[r])
                nxt = members[box[r]]
            for q in nxt:
                if q not in seen:
                    seen.add(q)
                    todo.append(q)
    return hit


def test_spare_halves_take_luts_without_loops(tmp_path):
    """Odd chains' free halves take plain LUTs: the network computes the same, the LUT area
    drops by one per LUT moved, and no moved LUT closes a loop through its chain as a box
    (else Yosys' ABC9 stops): one of the chain's stage reads no chain and feeds nothing that
    feeds its chain; one of another stage has only registers after it."""
    model = load_dlgn(save_dlgn(tmp_path / "n.pt", random_dlgn([300, 400], in_dim=24, k=4,
                                                               seed=5)))
    raw = lower_dlgn(model)
    outs, groups = plan_group_bits(raw.aig, raw.group_sum)
    logic, _ = lutmap(raw.aig.with_outputs(outs, tuple(f"o{i}" for i in range(len(outs)))),
                      LutMapParams(k=4))
    core = chained_core(logic, groups, raw.aig.output_names, chain_step=2)
    x = np.random.default_rng(1).random((1000, raw.aig.num_inputs)) < 0.5
    before, area = core.net.simulate(x), core.lut_area
    per = 3 * LEVEL_SCALE
    moved = fill_spare_halves(core, per)
    assert moved > 0 and core.lut_area == area - moved
    assert np.array_equal(core.net.simulate(x), before)
    stage = stages_of(core.levels, per)
    net = core.net
    spares = [(c, ch) for c, ch in enumerate(core.chains) if ch.spare is not None]
    assert len(spares) == moved
    readers: dict[int, list[int]] = {}
    for j in range(net.num_luts):
        for f in net.fanins[j, :int(net.sizes[j])]:
            readers.setdefault(int(f), []).append(net.first_lut + j)
    crossed = 0
    for c, ch in spares:
        assert len(ch.positions) % 2 == 1 and core.chain_nodes[ch.spare]
        if stage[ch.spare] == stage[ch.positions[0].s_id]:
            fanins = net.fanins[ch.spare - net.first_lut]
            assert not core.chain_nodes[fanins[fanins >= 0]].any()
            assert c not in _boxes_reached(core, ch.spare)
        else:  # another stage: its output reaches registers only
            crossed += 1
            assert all(stage[r] > stage[ch.spare] for r in readers.get(ch.spare, ()))
    assert 0 < crossed < moved  # both kinds are exercised


def test_compile_keeps_the_lut_cover_when_chains_do_not_pay(tmp_path):
    """Three classes of 30 bits: the chained core is larger than the 4-LUT cover, so the
    board core stays LUT4 cells and the report says why; --no-carry-chains skips the try."""
    from gatecomp.flow import CompileOptions, compile_model

    ckpt = save_dlgn(tmp_path / "n.pt", random_dlgn([120, 90], in_dim=24, k=3, seed=3))
    res = compile_model(ckpt, tmp_path / "a", CompileOptions(device="ecp5-25k", lut_cells=True))
    chains = res.report["carry_chains"]
    assert not chains["used"] and chains["summary"].startswith("not used")
    assert chains["lut_area"] >= res.report["lut_alignment"]["luts"]
    cells = (tmp_path / "a" / "board" / "a_luts.v").read_text()
    assert "CCU2C" not in cells and "LUT4 #(" in cells
    res = compile_model(ckpt, tmp_path / "b", CompileOptions(device="ecp5-25k", lut_cells=True,
                                                             carry_chains=False))
    assert "carry_chains" not in res.report


def test_tail_check_sees_every_count_and_catches_a_lost_carry(monkeypatch):
    from gatecomp.fpga import carry_popcount
    from gatecomp.fpga.carry_check import check_tail

    groups = [list(range(0, 60)), [(6, 60, 61), *range(61, 100)], list(range(100, 103))]
    names = _names([6, 6, 2], 2)
    assert check_tail(groups, 103, names) is None
    # adders that never generate a carry: wrong as soon as two 1s meet
    monkeypatch.setattr(carry_popcount, "_first", lambda a, _b, _c=0: 0)
    assert check_tail(groups, 103, names) is not None


@pytest.mark.parametrize("cap", [4, 10, 14, 28])
def test_chains_hold_at_most_max_positions(cap):
    """A chain holds at most ``max_positions`` positions; an adder longer than that gets a
    chain of its own (two bridges: P = 0), and the counts stay right."""
    rng = np.random.default_rng(cap)
    m = 50
    logic = _wires(m, rng.random(m) < 0.4)
    groups = [[int(i) for i in rng.integers(0, m, size=n)] for n in (120, 90, 33)]
    widths = [7, 7, 6]
    core = chained_core(logic, groups, _names(widths, 2), max_positions=cap)
    for chain in core.chains:
        bridges = sum(p.p_truth == 0 for p in chain.positions)
        assert len(chain.positions) <= cap or bridges == 2
    assert cap > 4 or all(sum(p.p_truth == 0 for p in c.positions) == 2 for c in core.chains)
    x = rng.random((2000, m)) < rng.random(m)
    got = core.net.simulate(x).astype(np.int64)
    outs = logic.simulate(x)
    at = 0
    for group, w in zip(groups, widths, strict=True):
        value = got[:, at:at + w] @ (1 << np.arange(w))
        assert np.array_equal(value, _bit_values(group, outs).sum(axis=1))
        at += w


def test_constants_and_dead_cells_are_found_exactly():
    """Groups full of constant-one bits give chain sums that are constants (Yosys' ABC9
    dissolves a last cell whose chain sums are all constant, so the chain-ends script must
    not name it): every id flagged constant holds that value in simulation, no live id is
    constant, and the ends script names only cells whose chain sums are live."""
    from gatecomp.fpga.lut_cells import _live_and_constant, chain_ends_script, live_cells

    rng = np.random.default_rng(5)
    m = 12
    ids = np.r_[np.arange(1, m + 1), 0]
    logic = LutNetwork(num_inputs=m, fanins=np.zeros((0, 4), dtype=np.int64),
                       sizes=np.zeros(0, dtype=np.int64), truth=np.zeros(0, dtype=np.uint64),
                       output_ids=ids, output_compl=np.r_[np.zeros(m, dtype=bool), True])
    groups = [[m] * 9 + [int(i) for i in rng.integers(0, m, size=6)], [m] * 7, [0, 1, m, m]]
    core = chained_core(logic, groups, _names([4, 3, 3], 2))
    live, value = _live_and_constant(core.net)
    values = _node_values(core.net, rng.random((400, m)) < 0.5)
    for x in np.flatnonzero(value >= 0):
        assert (values[:, x] == value[x]).all(), x
    assert not (live & (value >= 0)).any()
    assert (value >= 0).sum() > 0  # the constant-one group's sums
    script = chain_ends_script(core, "m")
    for c, (chain, n) in enumerate(zip(core.chains, live_cells(core, live), strict=True)):
        assert n <= (len(chain.positions) + 1) // 2
        if f"ccu_{c}_{n - 1} COUT" in script:
            assert any(live[p.s_id] for p in chain.positions[2 * (n - 1):2 * n])
