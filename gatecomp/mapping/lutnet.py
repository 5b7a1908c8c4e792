"""``LutNetwork``: a k-LUT netlist, the result of ``lutmap`` and the input of LUT-level backends.

Node numbering follows the AIG's: id 0 is constant false, ids ``1..num_inputs`` are the primary
inputs and LUT ``j`` is id ``num_inputs + 1 + j``; LUTs are in topological order (every fanin id
is smaller than the LUT's own). LUT ``j`` reads ``fanins[j, :sizes[j]]`` (the rest is -1) and
computes ``truth[j]``: bit ``m`` is its value when fanin ``i`` equals ``(m >> i) & 1``; bits at
and above ``2**sizes[j]`` are zero. Outputs are ids with a complement flag, as in the AIG.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ..aig import AIG, AIGBuilder, pack_bits, unpack_bits


@dataclass(frozen=True, eq=False)
class LutNetwork:
    """A combinational network of lookup tables (at most ``k`` inputs each).

    Attributes
    ----------
    num_inputs:
        Primary inputs (ids ``1..num_inputs``).
    fanins:
        (num_luts, k) int64 fanin ids, padded with -1.
    sizes:
        (num_luts,) number of fanins of each LUT.
    truth:
        (num_luts,) uint64 truth tables.
    output_ids, output_compl:
        Per primary output: the driving id (LUT, input or 0) and whether it is inverted.
    input_names, output_names:
        Bit-level names, as in the AIG the network was mapped from.
    roots:
        (num_luts,) the AIG node each LUT implements, when the network came from
        :func:`~gatecomp.mapping.lutmap.lutmap` (``None`` otherwise).
    """

    num_inputs: int
    fanins: np.ndarray
    sizes: np.ndarray
    truth: np.ndarray
    output_ids: np.ndarray
    output_compl: np.ndarray
    input_names: tuple[str, ...] = field(default=())
    output_names: tuple[str, ...] = field(default=())
    roots: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.roots is not None:
            roots = np.ascontiguousarray(self.roots, dtype=np.int64)
            roots.setflags(write=False)
            object.__setattr__(self, "roots", roots)
        for name, dtype in (("fanins", np.int64), ("sizes", np.int64), ("truth", np.uint64),
                            ("output_ids", np.int64), ("output_compl", np.bool_)):
            arr = np.ascontiguousarray(getattr(self, name), dtype=dtype)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        if self.fanins.ndim != 2 or not len(self.fanins) == len(self.sizes) == len(self.truth):
            raise ValueError("fanins, sizes and truth disagree on the number of LUTs")
        if not self.input_names:
            object.__setattr__(self, "input_names",
                               tuple(f"i{k}" for k in range(self.num_inputs)))
        if not self.output_names:
            object.__setattr__(self, "output_names",
                               tuple(f"o{k}" for k in range(len(self.output_ids))))

    @property
    def num_luts(self) -> int:
        return len(self.sizes)

    @property
    def num_outputs(self) -> int:
        return len(self.output_ids)

    @property
    def k(self) -> int:
        """Width of the fanin array (the mapper's LUT size)."""
        return self.fanins.shape[1]

    @property
    def first_lut(self) -> int:
        """Id of the first LUT."""
        return 1 + self.num_inputs

    @property
    def num_edges(self) -> int:
        """Total LUT fanins (wires into LUTs)."""
        return int(self.sizes.sum())

    def levels(self) -> np.ndarray:
        """LUT level of every id (0 for constant and inputs, 1 + max over fanins for LUTs)."""
        return _levels_kernel(self.num_inputs, self.fanins, self.sizes)

    def depth(self) -> int:
        """Largest level over the outputs."""
        if self.num_outputs == 0:
            return 0
        return int(self.levels()[self.output_ids].max())

    def simulate_words(self, in_words: np.ndarray) -> np.ndarray:
        """Bit-parallel simulation of packed inputs (num_inputs, W) -> outputs (num_outputs, W)."""
        in_words = np.ascontiguousarray(in_words, dtype=np.uint64)
        if in_words.ndim != 2 or in_words.shape[0] != self.num_inputs:
            raise ValueError(f"expected ({self.num_inputs}, W) input words, got {in_words.shape}")
        vals = _simulate_kernel(self.num_inputs, self.fanins, self.sizes, self.truth, in_words)
        flip = np.where(self.output_compl, np.uint64(0xFFFFFFFFFFFFFFFF), np.uint64(0))
        return vals[self.output_ids] ^ flip[:, None]

    def simulate(self, inputs: np.ndarray) -> np.ndarray:
        """Simulate a (samples, num_inputs) boolean matrix -> (samples, num_outputs) bool."""
        inputs = np.asarray(inputs, dtype=bool)
        return unpack_bits(self.simulate_words(pack_bits(inputs)), inputs.shape[0])

    def to_aig(self) -> AIG:
        """The same function as an AIG: each LUT by Shannon expansion of its truth table.

        Meant for checking (e.g. ``abc_cec(aig, net.to_aig())`` proves a mapping correct);
        it loops in Python, about a second per 10k LUTs.
        """
        b = AIGBuilder(self.num_inputs, self.input_names)
        lits = [0, *range(2, 2 * self.num_inputs + 2, 2)]
        for j in range(self.num_luts):
            s = int(self.sizes[j])
            fan = [lits[int(f)] for f in self.fanins[j, :s]]
            lits.append(_shannon(b, int(self.truth[j]), s, fan, {}))
        outs = [lits[int(i)] ^ int(c) for i, c in zip(self.output_ids, self.output_compl,
                                                      strict=True)]
        return b.build(outs, self.output_names)

    def __repr__(self) -> str:
        return (f"LutNetwork(inputs={self.num_inputs}, luts={self.num_luts}, k={self.k}, "
                f"outputs={self.num_outputs})")


def _shannon(b: AIGBuilder, tt: int, s: int, fan: list[int], memo: dict) -> int:
    """Literal of the ``s``-variable function ``tt`` over literals ``fan`` (top variable first)."""
    full = (1 << (1 << s)) - 1
    tt &= full
    if tt == 0 or tt == full:
        return 0 if tt == 0 else 1
    key = (tt, s)
    if key not in memo:
        half = 1 << (s - 1)
        lo, hi = tt & ((1 << half) - 1), tt >> half
        f0 = _shannon(b, lo, s - 1, fan, memo)
        f1 = f0 if hi == lo else _shannon(b, hi, s - 1, fan, memo)
        memo[key] = f0 if f0 == f1 else b.add_mux(fan[s - 1], f1, f0)
    return memo[key]


@njit(cache=True)
def _levels_kernel(num_inputs, fanins, sizes):
    first = 1 + num_inputs
    lev = np.zeros(first + len(sizes), dtype=np.int64)
    for j in range(len(sizes)):
        d = 0
        for i in range(sizes[j]):
            x = lev[fanins[j, i]]
            if x > d:
                d = x
        lev[first + j] = d + 1
    return lev


@njit(cache=True)
def _simulate_kernel(num_inputs, fanins, sizes, truth, in_words):
    """Values of every id; each LUT is a mux tree over its truth-table bits, word by word."""
    first = 1 + num_inputs
    w = in_words.shape[1]
    vals = np.empty((first + len(sizes), w), dtype=np.uint64)
    ones = np.uint64(0xFFFFFFFFFFFFFFFF)
    zero = np.uint64(0)
    vals[0, :] = zero
    for i in range(num_inputs):
        vals[1 + i, :] = in_words[i, :]
    buf = np.empty(64, dtype=np.uint64)
    for j in range(len(sizes)):
        s = sizes[j]
        t = truth[j]
        v = first + j
        for c in range(w):
            m = 1 << s
            for r in range(m):
                buf[r] = ones if (t >> np.uint64(r)) & np.uint64(1) else zero
            for i in range(s):
                x = vals[fanins[j, i], c]
                m >>= 1
                for r in range(m):
                    buf[r] = (x & buf[2 * r + 1]) | (~x & buf[2 * r])
            vals[v, c] = buf[0]
    return vals
