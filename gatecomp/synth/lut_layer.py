"""Lowering a layer of k-input lookup-table neurons (k = 1..8) into an :class:`AIGBuilder`.

LUT networks (torchlogix ``LogicDense``/``LogicConv`` with ``lut_rank`` 2, 4, 6; DWN) give each
neuron a truth table over ``k`` wires. Built as a mux tree or a ROM a 6-input table costs about
190 ANDs; as minimised logic a random one costs about 33 (measured), and a neuron may collapse
to a wire or a constant once its wiring is looked at. So every neuron is first *reduced*, then
built as minimal logic:

* constant inputs are substituted into the table, two slots wired to the same (or to
  complementary) literals are merged, and inputs the table ignores are dropped;
* the table over the remaining support (in slot order, input complements left on the literals)
  is the neuron's key: neurons with equal keys share one synthesis whatever their wiring, and
  those on equal literals too are built identically, so structural hashing merges them (sorting
  or uncomplementing the inputs would split one trained table into many keys);
* constants and single literals cost no gate, 2-input functions one AND (AND class) or the
  builder's 3-AND XOR, wider ones :func:`~gatecomp.synth.truth_synth.synthesize` once per
  distinct reduced table (cached across calls).

Layers hold up to ~10^6 neurons, so everything is vectorised over neurons with numpy: the
reduction is a few array gathers per input slot, and the synthesised AIGs of one support size are
replayed together, one :meth:`AIGBuilder.add_and_vec` call per AND position (not per neuron,
nor per distinct table).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..aig import AIGBuilder
from .truth_synth import synthesize

#: widest LUT accepted (tables of 2**8 entries)
MAX_LUT_INPUTS = 8
#: neurons x table entries (or literal slots) handled per numpy step; bounds temporary memory
_CHUNK_CELLS = 1 << 22
#: distinct (support size, table) pairs whose synthesised AIG is kept between calls
_SYNTH_CACHE = 1 << 16


def lower_luts(builder: AIGBuilder, inputs: np.ndarray, tables: np.ndarray) -> np.ndarray:
    """Build a layer of LUT neurons into ``builder`` as minimal logic.

    inputs: (k, n) int64 AIG literals (row i = input i of every neuron);
    tables: (n, 2**k) bool, tables[j, m] = output of neuron j when input i has value (m >> i) & 1
    (input 0 is the least significant bit of the minterm index).
    Returns (n,) int64 literals of the neurons' outputs.
    """
    lits, tables = _checked(builder, inputs, tables)
    k, n = lits.shape
    rank = np.empty(n, dtype=np.int64)
    support = np.empty((n, k), dtype=np.int64)
    words = np.empty((n, _words_for(k)), dtype=np.uint64)
    step = max(1, _CHUNK_CELLS >> k)
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        rank[lo:hi], support[lo:hi], words[lo:hi] = _reduce(lits[:, lo:hi], tables[lo:hi])
    return _emit(builder, rank, support, words)


def reduce_luts(inputs: np.ndarray, tables: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reduction :func:`lower_luts` builds from, for backends that place neurons
    themselves (``--lut-native``): per neuron its support size ``r``, support literals (first
    ``r`` columns, complements on the literals) and reduced table (packed uint64 words).
    ``inputs`` are literals in any numbering where 0/1 are the constants."""
    lits = np.asarray(inputs, dtype=np.int64)
    return _reduce(lits, np.array(tables, dtype=bool))


def _checked(builder: AIGBuilder, inputs: np.ndarray,
             tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``inputs`` as int64 literals of ``builder`` and ``tables`` as a bool copy, or ValueError."""
    lits = np.asarray(inputs)
    if lits.ndim != 2 or not 1 <= lits.shape[0] <= MAX_LUT_INPUTS:
        raise ValueError(f"inputs must be (k, n) with 1 <= k <= {MAX_LUT_INPUTS}, "
                         f"got shape {lits.shape}")
    if lits.size and not np.issubdtype(lits.dtype, np.integer):
        raise ValueError(f"inputs must be integer literals, got dtype {lits.dtype}")
    lits = lits.astype(np.int64)
    k, n = lits.shape
    tables = np.array(tables, dtype=bool)
    if tables.shape != (n, 1 << k):
        raise ValueError(f"tables must be (n, 2**k) = ({n}, {1 << k}), got {tables.shape}")
    limit = 2 * (1 + builder.num_inputs + builder.num_ands)
    if lits.size and (lits.min() < 0 or lits.max() >= limit):
        raise ValueError(f"input literals must lie in 0..{limit - 1} (literals of the builder)")
    return lits, tables


def _words_for(k: int) -> int:
    """uint64 words holding a table of ``2**k`` bits."""
    return max(1, (1 << k) >> 6)


# -- reduction (per chunk of neurons, all vectorised) -------------------------------------------
def _reduce(lits: np.ndarray, tables: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per neuron: support size ``r``, its support literals (first ``r`` of ``k`` columns, in
    slot order) and the table over them packed into uint64 words."""
    lits, tables = lits.copy(), tables.copy()
    live = np.ones(lits.shape, dtype=bool)
    _substitute_constants(lits, tables, live)
    _merge_repeated_slots(lits, tables, live)
    dep = _dependence(tables, lits.shape[0])
    rank, support, canon = _compact_support(lits, dep, tables)
    return rank, support, _pack(canon)


def _set_bit(m: np.ndarray, i: int, value: np.ndarray | int) -> np.ndarray:
    """Minterm indices ``m`` with bit ``i`` replaced by ``value`` (0/1, broadcast)."""
    return (m & ~(1 << i)) | (np.asarray(value, dtype=np.int64) << i)


def _substitute_constants(lits: np.ndarray, tables: np.ndarray, live: np.ndarray) -> None:
    """Slots wired to CONST0/CONST1: the table takes that value for the slot everywhere."""
    m = np.arange(tables.shape[1], dtype=np.int64)
    for i in range(lits.shape[0]):
        rows = np.flatnonzero(lits[i] <= 1)
        if not len(rows):
            continue
        value = lits[i, rows][:, None]
        tables[rows] = np.take_along_axis(tables[rows], _set_bit(m[None, :], i, value), axis=1)
        live[i, rows] = False


def _merge_repeated_slots(lits: np.ndarray, tables: np.ndarray, live: np.ndarray) -> None:
    """Slot ``j`` on the same signal as an earlier live slot ``i``: ``x_j`` is ``x_i`` (or its
    complement), so the table only keeps the consistent minterms and stops depending on ``j``."""
    k = lits.shape[0]
    m = np.arange(tables.shape[1], dtype=np.int64)
    for j in range(1, k):
        for i in range(j):
            same = live[i] & live[j] & ((lits[i] >> 1) == (lits[j] >> 1))
            rows = np.flatnonzero(same)
            if not len(rows):
                continue
            flip = ((lits[i, rows] ^ lits[j, rows]) & 1)[:, None]
            idx = _set_bit(m[None, :], j, ((m[None, :] >> i) & 1) ^ flip)
            tables[rows] = np.take_along_axis(tables[rows], idx, axis=1)
            live[j, rows] = False


def _dependence(tables: np.ndarray, k: int) -> np.ndarray:
    """(k, n) bool: the table changes with slot ``i`` for some assignment of the others."""
    m = np.arange(tables.shape[1], dtype=np.int64)
    dep = np.empty((k, tables.shape[0]), dtype=bool)
    for i in range(k):
        low = m[(m >> i) & 1 == 0]
        dep[i] = (tables[:, low] != tables[:, low | (1 << i)]).any(axis=1)
    return dep


def _compact_support(lits: np.ndarray, dep: np.ndarray,
                     tables: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Move the support slots first (in their order) with one gather: new input ``j`` is old
    slot ``perm[j]``. Entries past ``2**rank`` are cleared, so equal reduced tables give equal
    rows whatever the wiring (the literals keep their complements, the table is not flipped:
    a table shared by many neurons is synthesised once)."""
    k, n = lits.shape
    perm = np.argsort(~dep, axis=0, kind="stable")
    a = np.arange(1 << k, dtype=np.int64)[None, :]
    idx = np.zeros((n, 1 << k), dtype=np.int64)
    for j in range(k):
        idx |= ((a >> j) & 1) << perm[j][:, None]
    canon = np.take_along_axis(tables, idx, axis=1)
    rank = dep.sum(axis=0).astype(np.int64)
    canon &= a < (1 << rank)[:, None]
    support = np.take_along_axis(lits, perm, axis=0).T
    support[rank[:, None] <= np.arange(k)[None, :]] = 0
    return rank, np.ascontiguousarray(support), canon


def _pack(tables: np.ndarray) -> np.ndarray:
    """(n, 2**k) bool -> (n, words) uint64, bit ``m`` of the table at bit ``m % 64`` of word
    ``m // 64``."""
    n, size = tables.shape
    raw = np.packbits(tables, axis=1, bitorder="little")
    padded = np.zeros((n, 8 * _words_for(size.bit_length() - 1)), dtype=np.uint8)
    padded[:, :raw.shape[1]] = raw
    return padded.view("<u8").astype(np.uint64)


# -- emission ------------------------------------------------------------------------------------
def _emit(builder: AIGBuilder, rank: np.ndarray, support: np.ndarray,
          words: np.ndarray) -> np.ndarray:
    """Literals of all neurons: wires and constants free, then 2-input, then wider supports."""
    out = np.zeros(len(rank), dtype=np.int64)
    low = words[:, 0].astype(np.int64)
    zero = rank == 0
    out[zero] = low[zero] & 1
    one = rank == 1
    out[one] = support[one, 0] ^ (low[one] == 0b01)  # table 01: the complement
    two = np.flatnonzero(rank == 2)
    if len(two):
        out[two] = _emit_two_input(builder, support[two, 0], support[two, 1], low[two] & 0xF)
    for r in range(3, support.shape[1] + 1):
        rows = np.flatnonzero(rank == r)
        if len(rows):
            out[rows] = _emit_synthesised(builder, r, support[rows, :r],
                                          words[rows, :_words_for(r)])
    return out


def _two_input_classes() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per 4-bit table: is it AND class, and for those the complements of ``a``, ``b`` and of
    the output of the one AND (the minterm singled out is the only 1, or the only 0)."""
    is_and = np.zeros(16, dtype=bool)
    ca, cb, co = (np.zeros(16, dtype=np.int64) for _ in range(3))
    for t in range(16):
        ones = t.bit_count()
        if ones in (1, 3):
            m = (t if ones == 1 else t ^ 0xF).bit_length() - 1
            is_and[t] = True
            ca[t], cb[t], co[t] = 1 - (m & 1), 1 - (m >> 1), int(ones == 3)
    return is_and, ca, cb, co


_IS_AND2, _CA2, _CB2, _CO2 = _two_input_classes()


def _emit_two_input(builder: AIGBuilder, a: np.ndarray, b: np.ndarray,
                    tab: np.ndarray) -> np.ndarray:
    """2-input neurons (tables depending on both inputs): one AND with complements for the AND
    class, the builder's XOR for 0110 / 1001."""
    out = np.empty(len(tab), dtype=np.int64)
    m = _IS_AND2[tab]
    if m.any():
        t = tab[m]
        out[m] = builder.add_and_vec(a[m] ^ _CA2[t], b[m] ^ _CB2[t]) ^ _CO2[t]
    m = (tab == 0b0110) | (tab == 0b1001)
    if m.any():
        out[m] = builder.add_xor_vec(a[m], b[m]) ^ (tab[m] == 0b1001)
    if not (_IS_AND2[tab] | m).all():
        raise AssertionError("a reduced 2-input table ignores one of its inputs")
    return out


@lru_cache(maxsize=_SYNTH_CACHE)
def _small_aig(r: int, table: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Fanins and output (local literals: 0/1, inputs ``2..2r+1``, then the ANDs) of the
    minimised standalone AIG of one ``r``-input table."""
    aig, outs = synthesize(r, [table])
    return aig.fanin0, aig.fanin1, int(outs[0])


def _table_int(row: np.ndarray) -> int:
    return int.from_bytes(np.ascontiguousarray(row, dtype="<u8").tobytes(), "little")


def _distinct_tables(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct rows of ``words`` and each neuron's index among them."""
    if words.shape[1] == 1:
        uniq, inv = np.unique(words[:, 0], return_inverse=True)
        return uniq[:, None], inv.reshape(-1)
    uniq, inv = np.unique(words, axis=0, return_inverse=True)
    return uniq, inv.reshape(-1)


def _program(r: int, uniq: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The small AIGs of the distinct tables, padded side by side: fanins (G, max ANDs), AND
    counts (G,), output literals (G,)."""
    parts = [_small_aig(r, _table_int(row)) for row in uniq]
    counts = np.array([len(f0) for f0, _, _ in parts], dtype=np.int64)
    width = int(counts.max(initial=0))
    fan0 = np.zeros((len(parts), width), dtype=np.int64)
    fan1 = np.zeros((len(parts), width), dtype=np.int64)
    for g, (f0, f1, _) in enumerate(parts):
        fan0[g, :len(f0)], fan1[g, :len(f1)] = f0, f1
    outs = np.array([o for _, _, o in parts], dtype=np.int64)
    return fan0, fan1, counts, outs


def _emit_synthesised(builder: AIGBuilder, r: int, support: np.ndarray,
                      words: np.ndarray) -> np.ndarray:
    """Neurons of support size ``r``: synthesise each distinct table once, replay all copies."""
    uniq, group = _distinct_tables(words)
    program = _program(r, uniq)
    out = np.empty(len(group), dtype=np.int64)
    step = max(1, _CHUNK_CELLS // (1 + r + program[0].shape[1]))
    for lo in range(0, len(group), step):
        hi = min(len(group), lo + step)
        out[lo:hi] = _replay(builder, support[lo:hi], group[lo:hi], program)
    return out


def _replay(builder: AIGBuilder, support: np.ndarray, group: np.ndarray,
            program: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """Copy each neuron's small AIG onto its support literals: AND position ``t`` of every
    neuron in one vectorised call (small AIGs are topologically ordered)."""
    fan0, fan1, counts, outs = program
    n, r = support.shape
    local = np.zeros((n, 1 + r + fan0.shape[1]), dtype=np.int64)  # local node -> literal
    local[:, 1:1 + r] = support
    need = counts[group]
    for t in range(fan0.shape[1]):
        rows = np.flatnonzero(need > t)
        g = group[rows]
        f0, f1 = fan0[g, t], fan1[g, t]
        a = local[rows, f0 >> 1] ^ (f0 & 1)
        b = local[rows, f1 >> 1] ^ (f1 & 1)
        local[rows, 1 + r + t] = builder.add_and_vec(a, b)
    o = outs[group]
    return local[np.arange(n), o >> 1] ^ (o & 1)
