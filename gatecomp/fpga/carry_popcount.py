"""GroupSum popcounts on ECP5 carry chains: adder trees of ``CCU2C`` positions.

Built from 4-input LUTs, a popcount is a carry-save tree of full adders: two LUTs per bit
removed, about 190 LUT4 for a 100-bit count. An ECP5 ``CCU2C`` half (one LUT4 of area) is one
position of a ripple adder: ``S = P(A,B,C) ^ CIN``, ``COUT = P ? CIN : G(A,B)`` (``D`` tied
high, so ``P`` is the upper half of ``INIT`` and ``G`` its low nibble). An adder of two
``w``-bit numbers plus a carry-in costs ``w`` positions, and one *bridge* position
(``P = 0``) both reads out the previous adder's carry (``S = CIN``) and injects the next
adder's carry-in (``COUT = G``), so adders are chained back to back at ``w + 1`` positions
each. A tree of such adders, every node taking one raw bit as its carry-in (the split is
chosen by dynamic programming), sums 100 bits in about 147 positions instead of 190 LUTs.
A bridge's ``G`` can be any 2-input gate, and so can a leaf adder's ``x`` (``P = x ^ y``,
``G = x`` reads only A and B): the class's last-layer gates placed there need no LUT.

Every position is also written into the returned :class:`LutNetwork` as two ordinary nodes
(``S`` and ``COUT``, functions of ``A``, ``B``, ``C`` and ``CIN``), so the whole core can be
simulated with the tools that check any cover; :class:`CarryChain` keeps what the cell writer
(:mod:`.lut_cells`) needs to emit ``CCU2C`` instances. Chains hold one class's adders of one
tree height, in the order their inputs come out of the chains below, because a static timer
rides every chain from an input to its end (bridges cut the carry logically, not for it);
the classes' short last runs of a height share chains, and an odd chain's free last half
takes a plain LUT (:func:`fill_spare_halves`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np

from ..aig import AIG, AIGBuilder
from ..mapping.lutmap import LutMapParams, lutmap
from ..mapping.lutnet import LutNetwork
from ..passes.script import run_script
from ..synth.arith import argmax_first

#: staging levels are counted in half LUT levels: a LUT adds 2, a chain 3. A chain's own
#: delay is about a LUT's, but the route into the next chain costs another, and a static timer
#: rides each chain to its end: with 3 LUT levels per stage, at most two chain heights share
#: a stage (measured on the digits DLGN, ECP5: 109 MHz with one level per chain, see README)
LUT_STEP, CHAIN_STEP = 2, 3
LEVEL_SCALE = 2

#: positions per physical chain: bridges cut the carry logically, but a static timer follows
#: CIN -> COUT through the whole chain (70 ps per CCU2C in nextpnr's ECP5 model), and a long
#: chain is a rigid row of slices that all its inputs, from anywhere in a random net, must
#: reach: at 56 a uniform 8k-gate synthetic DLGN did not route in 20 min (nextpnr router1
#: and router2), at 28 it routed in 5 min at 142 MHz for 1.6 % more LUT area (bench/fpga.py);
#: a trained-mix one routed only at 14 (``gatecomp compile --chain-length``)
MAX_CHAIN_POSITIONS = 28


@dataclass(frozen=True)
class CarryPosition:
    """One half of a ``CCU2C``: physical pins (ids, 0 = tied low), ``P`` over (A, B, C) as 8
    bits (bit ``C<<2 | B<<1 | A``), ``G`` over (A, B) as 4 bits, and its two node ids."""

    pins: tuple[int, int, int]
    p_truth: int
    g_truth: int
    s_id: int
    cout_id: int

    @property
    def init(self) -> int:
        """The 16-bit ``INIT`` with ``D`` tied high: ``P`` in bits 8..15, ``G`` in 0..3."""
        return (self.p_truth << 8) | self.g_truth


@dataclass
class CarryChain:
    """Positions sharing one carry chain (first CIN low). An odd chain's last ``CCU2C`` has
    a free second half; ``spare`` is the id of a plain LUT written there (see
    :func:`fill_spare_halves`), or None."""

    positions: list[CarryPosition] = field(default_factory=list)
    spare: int | None = None


@dataclass
class ChainedCore:
    """A core whose popcounts are carry chains.

    ``net`` has every LUT and every chain position as nodes; ``levels`` is the staging level
    of every id in units of ``1 / LEVEL_SCALE`` LUT levels (see ``CHAIN_STEP``);
    ``chains`` lists the chains; ``chain_nodes`` marks the ids that are chain positions.
    """

    net: LutNetwork
    levels: np.ndarray
    chains: list[CarryChain]
    chain_nodes: np.ndarray

    @property
    def ccu2c(self) -> int:
        """``CCU2C`` cells: two positions each, an odd chain's last one half used."""
        return sum(-(-len(c.positions) // 2) for c in self.chains)

    @property
    def lut_area(self) -> int:
        """LUT4 area: the plain LUTs plus two per ``CCU2C``."""
        return int(self.net.num_luts - self.chain_nodes.sum()) + 2 * self.ccu2c


@cache
def _tree_cost(n: int) -> int:
    """Positions an adder tree of ``n`` bits needs (each node: two subtrees + a carry-in)."""
    if n <= 1:
        return 0
    return min(_tree_cost(n1) + _tree_cost(n - 1 - n1) + max(n1, n - 1 - n1).bit_length() + 1
               for n1 in range(n // 2, n))


@cache
def _tree_split(n: int) -> int:
    """The size of the larger subtree in :func:`_tree_cost`'s best split of ``n`` bits."""
    return min(range(n // 2, n),
               key=lambda n1: (_tree_cost(n1) + _tree_cost(n - 1 - n1)
                               + max(n1, n - 1 - n1).bit_length() + 1, -n1))


def tree_positions(n: int) -> int:
    """Chain positions (LUT4 area before padding) of an ``n``-bit popcount tree."""
    return _tree_cost(n)


@dataclass
class _Adder:
    """``x + y + cin`` (literals; ``x`` at least as wide as ``y``); ``out`` once built."""

    x: object
    y: object
    cin: object  # a literal, or (truth over two literals, a, b): a gate the bridge absorbs
    total: int  # the largest value, sets the width
    height: int
    out: list[int] | None = None


class _Builder:
    """Appends nodes to a copy of a LUT network (ids continue after its LUTs)."""

    def __init__(self, base: LutNetwork) -> None:
        self.num_inputs = base.num_inputs
        self.fanins = [list(map(int, f[:s])) for f, s in zip(base.fanins, base.sizes,
                                                              strict=True)]
        self.truth = [int(t) for t in base.truth]
        self.level = [LUT_STEP * int(v) for v in base.levels()]
        self.chain = [False] * len(self.level)

    def next_id(self) -> int:
        return self.num_inputs + 1 + len(self.truth)

    def add(self, fanins: list[int], fn, level: int, chain: bool) -> int:
        """A node computing ``fn(values of fanins)`` (fanins distinct, non-constant)."""
        truth = 0
        for m in range(1 << len(fanins)):
            if fn([(m >> i) & 1 for i in range(len(fanins))]):
                truth |= 1 << m
        self.fanins.append(fanins)
        self.truth.append(truth)
        self.level.append(level)
        self.chain.append(chain)
        return self.next_id() - 1


def _value(lit: int, env: dict[int, int]) -> int:
    return (lit & 1) ^ (env[lit >> 1] if lit >> 1 else 0)


def _position(bld: _Builder, pins: tuple[int, int, int], p_fn, g_fn, cin: int | None,
              level: int) -> CarryPosition:
    """Add one position: ``pins`` are literals on A, B, C; ``p_fn``/``g_fn`` take their
    values. Complements and constants are folded into ``INIT`` (constant pins tied low)."""
    ids = sorted({lit >> 1 for lit in pins if lit >> 1})
    fan = ids + ([cin] if cin is not None else [])

    def at(vals: list[int]) -> tuple[int, int, int]:
        env = dict(zip(fan, vals, strict=True))
        v = [_value(lit, env) for lit in pins]
        c = env[cin] if cin is not None else 0
        return int(p_fn(*v)) & 1, int(g_fn(v[0], v[1])) & 1, c

    def s_fn(vals):
        p, _, c = at(vals)
        return p ^ c

    def cout_fn(vals):
        p, g, c = at(vals)
        return c if p else g

    s_id = bld.add(fan, s_fn, level, True)
    cout_id = bld.add(fan, cout_fn, level, True)
    phys = tuple(lit >> 1 for lit in pins)
    p_truth = g_truth = 0
    for m in range(8):
        pin = [(m >> i) & 1 for i in range(3)]
        v = [(lit & 1) ^ (pin[i] if lit >> 1 else 0) for i, lit in enumerate(pins)]
        p_truth |= (int(p_fn(*v)) & 1) << m
        if m < 4:
            g_truth |= (int(g_fn(v[0], v[1])) & 1) << m
    return CarryPosition(phys, p_truth, g_truth, s_id, cout_id)


def _xor2(a, b, _c):
    return a ^ b


def _first(a, _b, _c=0):
    return a


def _zero(*_args):
    return 0


def _cin_of(a, _b):
    return a


def _tree(n: int) -> object:
    """Nested adders over bit slots ``0..n-1`` as :func:`_tree_split` divides them."""
    def build(lo: int, n: int):
        if n == 0:
            return None
        if n == 1:
            return lo
        n1 = _tree_split(n)
        x, y = build(lo, n1), build(lo + n1, n - 1 - n1)
        h = 1 + max(x.height if isinstance(x, _Adder) else 0,
                    y.height if isinstance(y, _Adder) else 0)
        return _Adder(x, y, lo + n - 1, n, h)
    return build(0, n)


def _slots(node) -> tuple[list[_Adder], list[_Adder], list[int]]:
    """A tree's adders, its leaf adders (operand ``x`` a single bit, ``y`` at most one) and
    its operand slots, depth first."""
    adders, leaves, slots = [], [], []
    stack = [node]
    while stack:
        a = stack.pop()
        if isinstance(a, _Adder):
            adders.append(a)
            if not isinstance(a.x, _Adder) and not isinstance(a.y, _Adder):
                leaves.append(a)
            stack += [a.x, a.y]
        elif a is not None:
            slots.append(a)
    return adders, leaves, slots


def gate_slots(n: int) -> int:
    """Bits of an ``n``-bit tree that can be 2-input gates: every carry-in (its bridge
    computes ``G(A, B)``) and every leaf adder's ``x`` (``P = f(A, B) ^ C``, ``G = f(A, B)``)."""
    adders, leaves, _ = _slots(_tree(n))
    return len(adders) + len(leaves)


def _fill(node, bits: list) -> object:
    """The tree with slot numbers replaced by bits: gates (tuples) on the carry-ins, then on
    the leaf adders' ``x``; constant ones on carry-ins (free); the rest in order."""
    adders, leaves, slots = _slots(node)
    gates = [b for b in bits if isinstance(b, tuple)]
    plain = [b for b in bits if not isinstance(b, tuple)]
    if len(gates) > len(adders) + len(leaves):
        raise ValueError(f"{len(gates)} gate bits, only {len(adders) + len(leaves)} places")
    gates.reverse()
    plain.reverse()  # popped from the end: constant ones (sorted first) go first
    value = {}
    for a in adders:
        a.cin = gates.pop() if gates else plain.pop()
    for a in leaves:
        if gates:
            value[a.x] = gates.pop()
    for slot in slots:
        if slot not in value:
            value[slot] = plain.pop()

    def walk(a):
        if isinstance(a, _Adder):
            a.x, a.y = walk(a.x), walk(a.y)
            return a
        return None if a is None else value[a]
    return walk(node)


def _bit_value(bit, pins: tuple[int, ...], v: list[int]) -> int:
    """A bit's value given the values ``v`` of the pin literals ``pins``: a literal, or a
    gate whose inputs are (up to complement) among the pins; ``None`` is 0."""
    def lit_value(lit: int) -> int:
        if lit >> 1 == 0:
            return lit & 1
        i = next(i for i, p in enumerate(pins) if p >> 1 == lit >> 1)
        return v[i] ^ ((lit ^ pins[i]) & 1)

    if isinstance(bit, tuple):
        truth, a, b = bit
        return (truth >> (lit_value(b) << 1 | lit_value(a))) & 1
    return 0 if bit is None else lit_value(bit)


def _leaf_pins(x: tuple[int, int, int], y: int | None) -> tuple[int, int, int]:
    """Pins of a leaf position whose ``x`` is a gate: its inputs on A, B (``G = x`` may read
    only those) and the literal ``y`` on C."""
    return x[1], x[2], 0 if y is None else y


def _lits(bit) -> list[int]:
    """The literals a bit reads: its own, or a gate's two inputs."""
    return [bit[1], bit[2]] if isinstance(bit, tuple) else [bit]


def _word(node) -> list[int]:
    if node is None:
        return []
    if isinstance(node, _Adder):
        assert node.out is not None
        return node.out
    return [node]


def chain_popcounts(logic: LutNetwork, groups: list[list],
                    max_positions: int = MAX_CHAIN_POSITIONS,
                    chain_step: int = CHAIN_STEP
                    ) -> tuple[_Builder, list[CarryChain], list[list[int]]]:
    """Append one carry-chain popcount per group to ``logic``.

    A group's bits are indices of ``logic``'s outputs, or ``(truth, i, j)``: the 2-input gate
    ``truth`` (4 bits, bit ``b << 1 | a``) of outputs ``i`` and ``j``, which a carry-in
    bridge or a leaf adder computes itself (beyond :func:`gate_slots` per group, a LUT
    does). Returns the builder holding ``logic`` plus the chain nodes, the chains, and per
    group the count's bits as literals (LSB first, width ``len(group).bit_length()``).
    """
    bld = _Builder(logic)
    roots, by_height = _group_trees(bld, logic, groups)
    chains: list[CarryChain] = []
    for h in sorted(by_height):
        _lay_height(bld, by_height[h], chains, max_positions, chain_step)
    counts = []
    for root, n in roots:
        width = max(1, n.bit_length())
        word = _word(root)[:width]
        counts.append(word + [0] * (width - len(word)))
    return bld, chains, counts


def _group_trees(bld: _Builder, logic: LutNetwork, groups: list[list]
                 ) -> tuple[list[tuple], dict[int, dict[int, list[_Adder]]]]:
    """Each group's adder tree, its bits filled in: ``(root, group size)`` per group, and the
    adders by height, then by group."""
    lits = [2 * int(i) + int(c) for i, c in zip(logic.output_ids, logic.output_compl,
                                                  strict=True)]

    def lit_of(bit):
        return (bit[0], lits[bit[1]], lits[bit[2]]) if isinstance(bit, tuple) else lits[bit]

    roots, by_height = [], {}
    for c, group in enumerate(groups):
        bits = [lit_of(b) for b in group]
        bits = [b for b in bits if b != 0]
        bits.sort(key=lambda b: b != 1)  # constant ones first: they become free carry-ins
        root = _tree(len(bits))
        adders, leaves, _ = _slots(root)
        room = len(adders) + len(leaves)  # gate_slots(len(bits))
        for k in [k for k, b in enumerate(bits) if isinstance(b, tuple)][room:]:
            bits[k] = _lut(bld, bits[k][0], bits[k][1:])  # more gates than places: LUTs
        root = _fill(root, bits)
        roots.append((root, len(group)))
        stack = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, _Adder):
                by_height.setdefault(node.height, {}).setdefault(c, []).append(node)
                stack += [node.x, node.y]
    return roots, by_height


def _lay_height(bld: _Builder, by_group: dict[int, list[_Adder]], chains: list[CarryChain],
                max_positions: int, chain_step: int) -> None:
    """Lay the adders of one height (``by_group``: per group) as chains appended to ``chains``.

    A static timer rides every chain from an input to its end. A chain holds one group's
    adders (split when they exceed the cap), in the order their inputs come out: a path from
    one height to the next then rides about one chain, not one per height (groups merged into
    longer chains measured 83-97 MHz against 139).
    """
    rank = {p.s_id: r for r, p in enumerate(q for c in chains for q in c.positions)}
    tails: list[tuple[int, int, list[_Adder]]] = []
    for c in sorted(by_group):
        adders = sorted(by_group[c], key=lambda a: max(
            (rank.get(lit >> 1, -1) for b in (*_word(a.x), *_word(a.y)) for lit in _lits(b)),
            default=-1))
        run: list[_Adder] = []
        size = 1  # the closing bridge
        for adder in adders:
            need = max(len(_word(adder.x)), len(_word(adder.y))) + 1
            if run and size + need > max_positions:
                chains.append(_lay_chain(bld, run, chain_step))
                run, size = [], 1
            run.append(adder)
            size += need
        if run:
            tails.append((size, c, run))
    chains += [_lay_chain(bld, run, chain_step) for run in _pack_tails(tails, max_positions)]


def _pack_tails(tails: list[tuple[int, int, list[_Adder]]], max_positions: int
                ) -> list[list[_Adder]]:
    """The groups' short last runs share chains (first fit, longest first): one bridge both
    closes a run and opens the next, and fewer chains leave fewer half-empty CCU2C."""
    bins: list[tuple[int, list[_Adder]]] = []
    for size, _, run in sorted(tails, key=lambda t: (-t[0], t[1])):
        k = next((k for k, (used, _) in enumerate(bins)
                  if used + size - 1 <= max_positions), None)
        if k is None:
            bins.append((size, list(run)))
        else:
            bins[k] = (bins[k][0] + size - 1, bins[k][1] + run)
    return [run for _, run in bins]


def _lut(bld: _Builder, truth: int, src: list[int] | tuple[int, ...]) -> int:
    """A LUT computing ``truth`` (bit ``m``: input ``i`` is ``(m >> i) & 1``) of the literals
    ``src``, complements and constants folded in; returns its literal."""
    fan = sorted({lit >> 1 for lit in src if lit >> 1})

    def fn(vals):
        env = dict(zip(fan, vals, strict=True))
        return (truth >> sum(_value(lit, env) << i for i, lit in enumerate(src))) & 1

    return 2 * bld.add(fan, fn, LUT_STEP + max((bld.level[i] for i in fan), default=0), False)


def _lay_chain(bld: _Builder, adders: list[_Adder], chain_step: int) -> CarryChain:
    """Bridge, adder, bridge, adder, ..., bridge: one physical chain."""
    level = chain_step + max(bld.level[lit >> 1] for a in adders
                    for b in (*_word(a.x), *_word(a.y), a.cin) for lit in _lits(b))
    chain = CarryChain()
    cin: int | None = None
    pending: _Adder | None = None  # the adder whose carry-out the next bridge reads

    def bridge(inject) -> None:
        nonlocal cin
        if isinstance(inject, tuple):  # a 2-input gate on A, B
            tt = inject[0]
            pos = _position(bld, (inject[1], inject[2], 0), _zero,
                            lambda a, b: (tt >> (b << 1 | a)) & 1, cin, level)
        else:
            pos = _position(bld, (inject, 0, 0), _zero, _cin_of, cin, level)
        chain.positions.append(pos)
        if pending is not None and pending.out is not None:
            width = pending.total.bit_length()
            if len(pending.out) < width:
                pending.out.append(2 * pos.s_id)
        cin = pos.cout_id

    for adder in adders:
        bridge(adder.cin)
        x, y = _word(adder.x), _word(adder.y)
        if len(y) > len(x):
            x, y = y, x
        out = []
        for i, xi in enumerate(x):
            if isinstance(xi, tuple):  # a leaf's gate: P = x ^ y, G = x (x reads A, B)
                yi = y[0] if y else None
                pins = _leaf_pins(xi, yi)

                def p_fn(a, b, c, xi=xi, yi=yi, pins=pins):
                    return _bit_value(xi, pins, [a, b, c]) ^ _bit_value(yi, pins, [a, b, c])

                def g_fn(a, b, xi=xi, pins=pins):
                    return _bit_value(xi, pins, [a, b, 0])

                pos = _position(bld, pins, p_fn, g_fn, cin, level)
            elif i < len(y):
                pos = _position(bld, (xi, y[i], 0), _xor2, _first, cin, level)
            else:
                pos = _position(bld, (xi, 0, 0), _first, _zero, cin, level)
            chain.positions.append(pos)
            out.append(2 * pos.s_id)
            cin = pos.cout_id
        adder.out = out[: adder.total.bit_length()]
        pending = adder
    bridge(0)
    return chain


def _splice(bld: _Builder, cover: LutNetwork, input_lits: list[int]) -> list[int]:
    """Append ``cover``'s LUTs reading ``input_lits`` (literals of ``bld``); returns the
    literals of its outputs. Complemented and constant inputs are folded into the tables."""
    lits = [0, *input_lits]
    for j in range(cover.num_luts):
        src = [lits[int(f)] for f in cover.fanins[j, :int(cover.sizes[j])]]
        lits.append(_lut(bld, int(cover.truth[j]), src))
    return [lits[int(i)] ^ int(c) for i, c in zip(cover.output_ids, cover.output_compl,
                                                   strict=True)]


def chained_core(logic: LutNetwork, groups: list[list], output_names: tuple[str, ...],
                 max_positions: int = MAX_CHAIN_POSITIONS, argmax_slack: int | None = 2,
                 chain_step: int = CHAIN_STEP) -> ChainedCore:
    """``logic`` (outputs: the GroupSum bits) + one chained popcount per group + the
    first-index argmax (a small AIG mapped onto LUT4): outputs ``count0.., pred`` bits."""
    bld, chains, counts = chain_popcounts(logic, groups, max_positions, chain_step)
    widths = [len(c) for c in counts]
    b = AIGBuilder(sum(widths))
    ins = b.inputs()
    at = np.cumsum([0, *widths])
    pred = argmax_first(b, [ins[at[i]:at[i + 1]] for i in range(len(widths))])
    aig, _ = run_script(b.build(np.asarray(pred)), "cleanup,balance")
    cover, _ = lutmap(aig, LutMapParams(k=4, depth_slack=argmax_slack))
    pred_lits = _splice(bld, cover, [lit for c in counts for lit in c])
    outs = [lit for c in counts for lit in c] + pred_lits
    n = len(bld.truth)
    fanins = np.full((n, max([4, *map(len, bld.fanins)])), -1, dtype=np.int64)
    for j, f in enumerate(bld.fanins):
        fanins[j, :len(f)] = f
    net = LutNetwork(
        num_inputs=bld.num_inputs, fanins=fanins,
        sizes=np.array([len(f) for f in bld.fanins], dtype=np.int64),
        truth=np.array(bld.truth, dtype=np.uint64),
        output_ids=np.array([lit >> 1 for lit in outs], dtype=np.int64),
        output_compl=np.array([lit & 1 for lit in outs], dtype=bool),
        input_names=logic.input_names, output_names=tuple(output_names))
    return ChainedCore(net, np.array(bld.level, dtype=np.int64), chains,
                       np.array(bld.chain, dtype=bool))


def stages_of(levels: np.ndarray, per: int) -> np.ndarray:
    """The pipeline stage each id is computed in, ``per`` staging levels to a stage (as the
    cell writer registers them; primary inputs count as stage 1)."""
    return np.maximum(1, -(-levels // per))


def _boxes_below(net: LutNetwork, box: dict[int, int]) -> dict[int, int]:
    """Per plain node, the chains (bit ``c``) it feeds, directly or through other nodes,
    every chain taken as one box (Yosys' ABC9 times a ``CCU2C`` from every input to every
    output, and chains are linked by their carries). Boxes are entities ``-1 - c``."""
    first = net.first_lut
    succ: dict[int, set[int]] = {}
    for j in range(net.num_luts):
        r = first + j
        er = -1 - box[r] if r in box else r
        for f in net.fanins[j, :int(net.sizes[j])]:
            f = int(f)
            ef = -1 - box[f] if f in box else f
            if ef != er:
                succ.setdefault(ef, set()).add(er)
    indeg: dict[int, int] = dict.fromkeys(succ, 0)
    for targets in succ.values():
        for t in targets:
            indeg[t] = indeg.get(t, 0) + 1
    order = [e for e, d in indeg.items() if d == 0]
    for e in order:  # Kahn: the list grows while it is walked
        for t in succ.get(e, ()):
            indeg[t] -= 1
            if indeg[t] == 0:
                order.append(t)
    below: dict[int, int] = {}
    for e in reversed(order):
        got = 0
        for t in succ.get(e, ()):
            got |= below.get(t, 0) | ((1 << (-1 - t)) if t < 0 else 0)
        below[e] = got
    return below


def fill_spare_halves(core: ChainedCore, per: int) -> int:
    """Move plain LUTs into the free second halves of odd chains; returns how many moved.

    A chain ends in a bridge whose carry-out is 0, so the half after it computes
    ``S = LUT4(A, B, C, D) ^ 0``: any 4-input LUT, with ``D`` a real input. Yosys' ABC9
    times a ``CCU2C`` as one box (every input to every output), so the LUT must not close a
    combinational loop through it. A LUT of the chain's own pipeline stage moves when it
    reads no chain output and feeds nothing that feeds its chain (among those, one sharing
    the most signals with the chain); failing that, a LUT of another stage whose output only
    reaches registers: the stage's registers cut every path between it and the chain, and the
    timer's false path through the chain's carry ends in a register like the chain's own.
    """
    net, first = core.net, core.net.first_lut
    stage = stages_of(core.levels, per)
    readers: dict[int, list[int]] = {}
    for j in range(net.num_luts):
        for f in net.fanins[j, :int(net.sizes[j])]:
            readers.setdefault(int(f), []).append(first + j)
    box = {p_id: c for c, ch in enumerate(core.chains) for p in ch.positions
           for p_id in (p.s_id, p.cout_id)}
    chain_fed = {int(x) for x in first + np.flatnonzero(core.chain_nodes[first:])}
    pool: dict[int, set[int]] = {}
    narrow = net.sizes <= 4  # a spare half is one LUT4 (--lut-native keeps wider tables)
    for j in np.flatnonzero(~core.chain_nodes[first:] & narrow):
        x = first + int(j)
        if not any(int(f) in chain_fed for f in net.fanins[j, :int(net.sizes[j])]):
            pool.setdefault(int(stage[x]), set()).add(x)
    # LUTs whose output only reaches registers (every reader in a later stage)
    registered = {int(x) for x in first + np.flatnonzero(~core.chain_nodes[first:] & narrow)}
    for x, rs in readers.items():
        if x in registered and any(stage[r] <= stage[x] for r in rs):
            registered.discard(x)
    moved = 0
    for c, chain in enumerate(core.chains):
        if len(chain.positions) % 2 == 0 or chain.spare is not None:
            continue
        own = int(stage[chain.positions[0].s_id])
        here = pool.get(own, set())
        below = _boxes_below(net, box) if here else {}
        fits = [x for x in here if not (below.get(x, 0) >> c) & 1]
        if fits:
            near: dict[int, int] = {}
            for p in chain.positions:
                for x in p.pins:
                    for r in readers.get(x, ()):
                        near[r] = near.get(r, 0) + 1
            pins = {x for p in chain.positions for x in p.pins}
            best = max(fits, key=lambda x: (near.get(x, 0) + (x in pins), -x))
        else:
            other = [x for x in registered if stage[x] != own]
            if not other:
                continue
            best = min(other, key=lambda x: (abs(int(stage[x]) - own), x))
        for st in pool.values():
            st.discard(best)
        registered.discard(best)
        chain.spare = best
        box[best] = c
        core.chain_nodes[best] = True
        moved += 1
    return moved


def _two_input_cut(aig: AIG, lit: int) -> tuple[int, int, int] | None:
    """``lit`` as a 2-input gate ``(truth, a, b)`` of two AIG literals, or None.

    An AND node is a gate of its fanins; an XOR as the frontends build it
    (``~(a & b) & ~(~a & ~b)``) is a gate of ``a`` and ``b``.
    """
    node, first = lit >> 1, aig.first_and
    if node < first:
        return None
    f0, f1 = int(aig.fanin0[node - first]), int(aig.fanin1[node - first])
    n0, n1 = f0 >> 1, f1 >> 1
    leaves = [n0, n1]
    if f0 & f1 & 1 and n0 >= first and n1 >= first:
        a = {int(aig.fanin0[n0 - first]) >> 1, int(aig.fanin1[n0 - first]) >> 1}
        b = {int(aig.fanin0[n1 - first]) >> 1, int(aig.fanin1[n1 - first]) >> 1}
        if a == b and len(a) == 2:
            leaves = sorted(a)
    if 0 in leaves or leaves[0] == leaves[1]:
        return None
    truth = 0
    for m in range(4):
        env = {leaves[0]: m & 1, leaves[1]: m >> 1}
        truth |= _eval(aig, lit, env) << m
    return truth, 2 * leaves[0], 2 * leaves[1]


def _eval(aig: AIG, lit: int, env: dict[int, int]) -> int:
    node = lit >> 1
    if node in env:
        return env[node] ^ (lit & 1)
    if node == 0 or node < aig.first_and:
        raise ValueError("cut does not cover the cone")
    i = node - aig.first_and
    return (_eval(aig, int(aig.fanin0[i]), env) & _eval(aig, int(aig.fanin1[i]), env)) ^ (lit & 1)


def plan_group_bits(aig: AIG, group_lits: np.ndarray) -> tuple[np.ndarray, list[list]]:
    """Which GroupSum bits the carry-in bridges compute, and what the logic must output.

    ``group_lits`` (classes, block) are literals of ``aig``. Per class, up to
    :func:`gate_slots` bits that are 2-input gates become ``(truth, i, j)``, the rest stay
    plain. Bits no other logic reads go first (absorbing them removes their node), and among
    those the ones whose inputs stay signals anyway (2704 -> 2691 LUT area on the digits DLGN,
    6268 -> 6228 on a 12k random one). Absorbing more (pairs of gates sharing an input in one
    leaf position) was measured and not kept: a gate's inputs then become outputs of the
    logic, whose cover grew by more than the gates saved (2704 -> 2748, 6268 -> 6317).
    Returns the literals the logic network must output and the groups for
    :func:`chain_popcounts`, as indices into them.
    """
    group_lits = np.asarray(group_lits, dtype=np.int64)
    reads = np.zeros(aig.num_nodes, dtype=np.int64)  # reads from inside the bits' cone
    cone = np.zeros(aig.num_nodes, dtype=bool)
    cone[group_lits.ravel() >> 1] = True
    first = aig.first_and
    for i in range(aig.num_ands - 1, -1, -1):
        if cone[first + i]:
            for f in (int(aig.fanin0[i]) >> 1, int(aig.fanin1[i]) >> 1):
                cone[f] = True
                reads[f] += 1
    outs: dict[int, int] = {}

    def index(lit: int) -> int:
        return outs.setdefault(int(lit), len(outs))

    def _cheap(cut) -> int:
        """Inputs of a gate that stay signals anyway (inputs, or read by other logic)."""
        return sum(lit >> 1 < first or reads[lit >> 1] > 1 for lit in cut[1:])

    groups = []
    for row in group_lits:
        live = [int(x) for x in row]  # constant bits stay: they set the count's width
        room = gate_slots(sum(x > 1 for x in live))
        cuts = {k: _two_input_cut(aig, x) for k, x in enumerate(live)}
        chosen = sorted((k for k, c in cuts.items() if c is not None),
                        key=lambda k: (reads[live[k] >> 1], -_cheap(cuts[k]), k))[:room]
        group = []
        for k, x in enumerate(live):
            if k in chosen:
                truth, a, b = cuts[k]
                group.append((truth, index(a), index(b)))
            else:
                group.append(index(x))
        groups.append(group)
    return np.array(list(outs), dtype=np.int64), groups
