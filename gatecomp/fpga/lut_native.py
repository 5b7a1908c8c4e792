"""``--lut-native``: each LUT-network neuron as one device LUT cell where that is smaller.

A DWN or torchlogix ``lut_rank`` neuron is a table over up to 6 wires. Lowered to minimal
logic it is cheap when the table is simple (an AND of 6 is 2 LUT4) and dear when it is not
(a 6-input parity is 5 LUT4, a random table 5-9), while the table itself always fits the
device's own wide LUT: on ECP5 a LUT5 is 2 LUT4 + ``PFUMX`` and a LUT6 4 LUT4 + 2 ``PFUMX``
+ ``L6MUX21`` (the slice's muxes, no LUT area); iCE40 has LUT4 only. So per neuron, after
the reduction every lowering does (constants, repeated wires, ignored inputs:
:func:`~gatecomp.synth.lut_layer.reduce_luts`), both costs are measured, the native one by
the device's cell count and the logic one by mapping the neuron's synthesised AIG onto
LUT4 (:func:`logic_luts`), and the smaller is kept (a tie keeps the single cell).

The neurons left as logic are lowered per layer as one AIG and mapped together (after the
compile's script where that maps smaller), so identical logic is built once. The kept tables
and the mapped logic form one :class:`~gatecomp.mapping.lutnet.LutNetwork`
whose outputs are the GroupSum bits; the popcounts and argmax follow as in ``--lut-cells``
(carry chains on ECP5, a mapped compressor tree otherwise). The AIG is untouched: the RTL,
simulator and proofs still use it, and the cover is checked against it before it is written.
The price is the cross-neuron optimization the AIG flow does (shared logic between neurons).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from ..aig import AIGBuilder
from ..errors import GatecompError
from ..mapping.lutmap import LutMapParams, lutmap
from ..mapping.lutnet import LutNetwork
from ..passes.script import run_script
from ..synth.arith import argmax_first, popcount_merged
from ..synth.lut_layer import lower_luts, reduce_luts
from ..synth.truth_synth import synthesize

#: LUT4 cells one native table of ``r`` inputs costs (ECP5's wide LUTs add muxes, no area)
NATIVE_LUT4 = {"ecp5": {2: 1, 3: 1, 4: 1, 5: 2, 6: 4}, "ice40": {2: 1, 3: 1, 4: 1}}


@dataclass(frozen=True)
class TableLayers:
    """A chain of LUT layers: value 0 is the circuit's ``in_width`` input bits; layer ``i``
    reads value ``i`` (``inputs`` (k, M) indices, -1 = constant 0) through ``tables``
    (M, 2**k); ``groups`` (classes, block) index the last value (-1 = the GroupSum's 0)."""

    in_width: int
    layers: tuple[tuple[np.ndarray, np.ndarray], ...]
    groups: np.ndarray


@dataclass(frozen=True)
class NeuronChoice:
    """One reduced neuron: support size, LUT4 as a native cell (None: does not fit the
    device) and as mapped logic, and which is kept."""

    support: int
    native_luts: int | None
    logic_luts: int

    @property
    def native(self) -> bool:
        return self.native_luts is not None and self.native_luts <= self.logic_luts


def table_layers(model) -> TableLayers:
    """The LUT layers of a DWN or torchlogix network, or a one-line refusal."""
    if getattr(model, "comparators", None) is not None:
        raise GatecompError("--lut-native takes the encoded bits: compile without --encoder")
    if hasattr(model, "layers") and hasattr(model, "groups"):  # torch_dwn
        return TableLayers(int(model.layers[0].in_width),
                           tuple((ly.inputs, ly.tables) for ly in model.layers),
                           np.asarray(model.groups))
    stages = getattr(model, "stages", None)
    if stages is None:
        raise GatecompError("--lut-native applies to LUT networks (DWN, torchlogix lut_rank "
                            "models), not to this model")
    for i, st in enumerate(stages):
        if not hasattr(st, "tables") or st.src != i:
            raise GatecompError(f"--lut-native: layer {i} is not a LUT layer reading the one "
                                "before it (convolutions and pools are not supported)")
    last = stages[-1].tables.shape[0]
    return TableLayers(int(model.bits_width), tuple((st.inputs, st.tables) for st in stages),
                       np.arange(last).reshape(model.num_classes, -1))


@lru_cache(maxsize=1 << 14)
def logic_cover(r: int, table: int) -> LutNetwork:
    """The ``r``-input table as the flow's minimal logic mapped onto LUT4 for area."""
    aig, outs = synthesize(r, [table])
    cover, _ = lutmap(aig.with_outputs(outs, ("y",)), LutMapParams(k=4, depth_slack=None))
    return cover


def logic_luts(r: int, table: int) -> int:
    """LUT4 the ``r``-input table costs as mapped logic (0 for a wire or a constant)."""
    return logic_cover(r, table).num_luts


def lut4_cells(net: LutNetwork, skip: np.ndarray | None = None) -> int:
    """LUT4 cells of ``net``'s LUTs as written (a 5- or 6-input LUT is 2 or 4 of them);
    ``skip`` marks ids written otherwise (carry-chain positions)."""
    cells = np.where(net.sizes > 4, 1 << np.maximum(net.sizes - 4, 0), 1)
    if skip is not None:
        cells = cells[~skip[net.first_lut:]]
    return int(cells.sum())


def choose(r: int, table: int, family: str) -> NeuronChoice:
    """Native cell or logic for one reduced table, whichever has fewer LUT4 on ``family``."""
    return NeuronChoice(r, NATIVE_LUT4[family].get(r), logic_luts(r, table))


class _Cover:
    """Appends LUTs to a network over ``num_inputs`` inputs; signals are literals
    (``2 * id + complement``, 0/1 the constants)."""

    def __init__(self, num_inputs: int) -> None:
        self.num_inputs = num_inputs
        self.fanins: list[list[int]] = []
        self.truth: list[int] = []

    def lut(self, src: list[int], truth: int) -> int:
        """A LUT of ``truth`` over the distinct, non-constant literals ``src`` (their
        complements folded into the table); its literal."""
        flip = sum((lit & 1) << i for i, lit in enumerate(src))
        folded = sum(((truth >> (m ^ flip)) & 1) << m for m in range(1 << len(src)))
        self.fanins.append([lit >> 1 for lit in src])
        self.truth.append(folded)
        return 2 * (self.num_inputs + len(self.truth))

    def splice(self, cover: LutNetwork, src: list[int]) -> list[int]:
        """``cover`` on the literals ``src``; its output literals. A fanin that is constant
        or a repeat is folded into the table (the tail's inputs may be either)."""
        lits = [0, *src]
        for j in range(cover.num_luts):
            fan = [lits[int(f)] for f in cover.fanins[j, :int(cover.sizes[j])]]
            lits.append(self._folded(fan, int(cover.truth[j])))
        return [lits[int(i)] ^ int(c) for i, c in zip(cover.output_ids, cover.output_compl,
                                                      strict=True)]

    def _folded(self, fan: list[int], truth: int) -> int:
        """:meth:`lut` after substituting constant fanins and merging repeated ones."""
        ids = sorted({lit >> 1 for lit in fan if lit > 1})
        table = 0
        for m in range(1 << len(ids)):
            env = {x: (m >> i) & 1 for i, x in enumerate(ids)}
            row = sum(((lit & 1) if lit <= 1 else env[lit >> 1] ^ (lit & 1)) << i
                      for i, lit in enumerate(fan))
            table |= ((truth >> row) & 1) << m
        if not ids:
            return table & 1
        return self.lut([2 * x for x in ids], table)

    def network(self, outputs: list[int], input_names: tuple[str, ...]) -> LutNetwork:
        width = max([4, *(len(f) for f in self.fanins)])
        fanins = np.full((len(self.fanins), width), -1, dtype=np.int64)
        for j, f in enumerate(self.fanins):
            fanins[j, :len(f)] = f
        return LutNetwork(self.num_inputs, fanins, np.array([len(f) for f in self.fanins]),
                          np.array(self.truth, dtype=np.uint64),
                          np.array([lit >> 1 for lit in outputs], dtype=np.int64),
                          np.array([lit & 1 for lit in outputs], dtype=bool),
                          input_names=input_names)


@dataclass
class NativeLogic:
    """The neurons as a LUT network whose outputs are the GroupSum bits (``groups`` index
    them, as :func:`~.carry_popcount.chain_popcounts` takes them), and the figures."""

    net: LutNetwork
    groups: list[list[int]]
    figures: dict
    cover: _Cover


def native_logic(tl: TableLayers, family: str, input_names: tuple[str, ...],
                 script: str) -> NativeLogic:
    """Every neuron placed as a native cell or as logic (see the module doc)."""
    cover = _Cover(tl.in_width)
    value = np.arange(2, 2 * tl.in_width + 2, 2, dtype=np.int64)
    kept = cells = logic = 0
    for inputs, tables in tl.layers:
        lits = np.append(value, 0)[inputs]
        rank, support, words = reduce_luts(lits, tables)
        out = np.empty(len(rank), dtype=np.int64)
        wired = rank <= 1  # a constant, or a wire (table 01: its complement)
        low = words[wired, 0].astype(np.int64)
        out[wired] = np.where(rank[wired] == 0, low & 1, support[wired, 0] ^ (low & 3 == 1))
        as_logic = []
        for j in np.flatnonzero(~wired).tolist():
            r, table = int(rank[j]), _table(words[j])
            pick = choose(r, table, family)
            if pick.native:
                out[j] = cover.lut([int(x) for x in support[j, :r]], table)
                kept, cells = kept + 1, cells + pick.native_luts
            else:
                as_logic.append(j)
        if as_logic:
            sel = np.array(as_logic)
            out[sel], added = _layer_logic(cover, lits[:, sel], tables[sel], script)
            logic += added
        value = out
    bits = np.append(value, 0)
    index: dict[int, int] = {}
    groups = [[index.setdefault(int(bits[i]), len(index)) for i in row] for row in tl.groups]
    figures = {"neurons": int(sum(t.shape[0] for _, t in tl.layers)), "native": kept,
               "native_lut4": cells, "logic_lut4": logic}
    return NativeLogic(cover.network(list(index), input_names), groups, figures, cover)


def _table(words: np.ndarray) -> int:
    return int.from_bytes(words.astype("<u8").tobytes(), "little")


def _layer_logic(cover: _Cover, lits: np.ndarray, tables: np.ndarray,
                 script: str) -> tuple[np.ndarray, int]:
    """Neurons (``lits`` (k, n) literals of ``cover``) lowered as one AIG, mapped onto LUT4
    for area as lowered or after ``script``, whichever is smaller (on the bench's DWN the
    script's restructuring cost 25 LUT4 of 508), and spliced into ``cover``: their literals
    and the LUTs added."""
    signals = np.unique(lits[lits > 1] >> 1)
    local = np.where(lits > 1, 2 * (1 + np.searchsorted(signals, lits >> 1)) | (lits & 1),
                     lits)
    b = AIGBuilder(len(signals))
    built = b.build(lower_luts(b, local, tables))
    mapped = min((lutmap(aig, LutMapParams(k=4, depth_slack=None))[0]
                  for aig in (built, run_script(built, script)[0])), key=lambda c: c.num_luts)
    return np.array(cover.splice(mapped, [2 * int(x) for x in signals])), mapped.num_luts


def with_tail(logic: NativeLogic, output_names: tuple[str, ...], script: str) -> LutNetwork:
    """``logic`` followed by the GroupSum as LUTs: a compressor-tree popcount per class and
    the first-index argmax, optimized by ``script`` and mapped onto LUT4 (where no carry
    chains are used)."""
    b = AIGBuilder(logic.net.num_outputs)
    ins = b.inputs()
    counts = popcount_merged(b, np.array([[ins[i] for i in row] for row in logic.groups]))
    pred = argmax_first(b, list(counts))
    aig, _ = run_script(b.build(np.concatenate([*counts, pred]), output_names), script)
    tail, _ = lutmap(aig, LutMapParams(k=4))
    src = [2 * int(i) + int(c) for i, c in zip(logic.net.output_ids, logic.net.output_compl,
                                               strict=True)]
    outs = logic.cover.splice(tail, src)
    net = logic.cover.network(outs, logic.net.input_names)
    return replace(net, output_names=output_names)
