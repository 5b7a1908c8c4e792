"""Incremental AIG construction with folding and structural hashing at every ``add_and``.

Frontends describe logic through this builder; it guarantees the canonical form the passes
assume (no constant or duplicate fanins, no two ANDs with the same fanins, ``fanin0 > fanin1``).
Vectorised ``*_vec`` methods build a whole layer of gates at once, so large networks are built
in numpy with one dict lookup per new gate.
"""

from __future__ import annotations

import numpy as np

from .graph import AIG, CONST0, CONST1, LIT_DTYPE


class AIGBuilder:
    """Build an :class:`AIG` with ``num_inputs`` primary inputs, gate by gate or layer by layer."""

    def __init__(self, num_inputs: int, input_names: tuple[str, ...] | list[str] = ()):
        self.num_inputs = int(num_inputs)
        self.input_names = tuple(input_names)
        self._f0 = np.empty(1024, dtype=LIT_DTYPE)
        self._f1 = np.empty(1024, dtype=LIT_DTYPE)
        self._n = 0
        self._tables: dict[int, dict[int, int]] = {0: {}}
        self._table = self._tables[0]

    # -- inputs and sizes ------------------------------------------------------------------
    def input(self, k: int) -> int:
        """Literal of primary input ``k``."""
        if not 0 <= k < self.num_inputs:
            raise IndexError(f"input {k} out of range 0..{self.num_inputs - 1}")
        return 2 * (k + 1)

    def inputs(self) -> np.ndarray:
        """Literals of all primary inputs."""
        return 2 * np.arange(1, self.num_inputs + 1, dtype=LIT_DTYPE)

    @property
    def num_ands(self) -> int:
        return self._n

    def hash_scope(self, scope: int) -> None:
        """Hash the gates built from now on in ``scope`` (0 at the start): structural hashing
        merges gates of one scope only. ``mapping.lut_align`` builds each pipeline stage in its
        own scope, so logic shared across stages is duplicated, not registered mid-LUT; the
        result is then not canonical."""
        self._table = self._tables.setdefault(int(scope), {})

    # -- scalar construction ---------------------------------------------------------------
    def add_and(self, a: int, b: int) -> int:
        """Literal of ``a & b``, folded and structurally hashed."""
        a, b = int(a), int(b)
        if a < b:
            a, b = b, a
        if b == CONST0 or a == (b ^ 1):
            return CONST0
        if b == CONST1 or a == b:
            return a
        key = (a << 32) | b
        node = self._table.get(key)
        if node is None:
            node = self._append(np.array([a]), np.array([b]))[0]
            self._table[key] = node
        return 2 * node

    def add_or(self, a: int, b: int) -> int:
        return self.add_and(a ^ 1, b ^ 1) ^ 1

    def add_xor(self, a: int, b: int) -> int:
        """``~(a & b) & ~(~a & ~b)``: shares ``a & b`` with an AND of the same pair."""
        return self.add_and(self.add_and(a, b) ^ 1, self.add_and(a ^ 1, b ^ 1) ^ 1)

    def add_mux(self, sel: int, then: int, other: int) -> int:
        """``sel ? then : other``."""
        return self.add_or(self.add_and(sel, then), self.add_and(sel ^ 1, other))

    def add_maj(self, a: int, b: int, c: int) -> int:
        """Majority of three (the carry of a full adder)."""
        return self.add_or(self.add_and(a, b), self.add_and(c, self.add_or(a, b)))

    # -- vectorised construction -----------------------------------------------------------
    def add_and_vec(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Element-wise ``a & b`` over literal arrays, folded and hashed like :meth:`add_and`."""
        a = np.asarray(a, dtype=LIT_DTYPE)
        b = np.asarray(b, dtype=LIT_DTYPE)
        hi = np.maximum(a, b)
        lo = np.minimum(a, b)
        out = np.empty(len(hi), dtype=LIT_DTYPE)
        zero = (lo == CONST0) | (hi == (lo ^ 1))
        ident = ~zero & ((lo == CONST1) | (hi == lo))
        out[zero] = CONST0
        out[ident] = hi[ident]
        real = np.flatnonzero(~(zero | ident))
        if len(real):
            keys = (hi[real] << 32) | lo[real]
            uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
            table = self._table
            found = np.fromiter((table.get(k, -1) for k in uniq.tolist()), dtype=LIT_DTYPE,
                                count=len(uniq))
            new = np.flatnonzero(found < 0)
            if len(new):
                # keep first-occurrence order so numbering is deterministic and readable
                new = new[np.argsort(first[new], kind="stable")]
                src = real[first[new]]
                nodes = self._append(hi[src], lo[src])
                found[new] = nodes
                table.update(zip(uniq[new].tolist(), nodes.tolist(), strict=True))
            out[real] = 2 * found[inverse]
        return out

    def add_or_vec(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self.add_and_vec(np.asarray(a) ^ 1, np.asarray(b) ^ 1) ^ 1

    def add_xor_vec(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a = np.asarray(a, dtype=LIT_DTYPE)
        b = np.asarray(b, dtype=LIT_DTYPE)
        return self.add_and_vec(self.add_and_vec(a, b) ^ 1, self.add_and_vec(a ^ 1, b ^ 1) ^ 1)

    def add_mux_vec(self, sel: np.ndarray, then: np.ndarray, other: np.ndarray) -> np.ndarray:
        sel = np.asarray(sel, dtype=LIT_DTYPE)
        return self.add_or_vec(self.add_and_vec(sel, then), self.add_and_vec(sel ^ 1, other))

    # -- result ------------------------------------------------------------------------------
    def build(self, outputs, output_names: tuple[str, ...] | list[str] = ()) -> AIG:
        """Freeze into an :class:`AIG` (gates not reaching an output stay until ``cleanup``)."""
        return AIG(self.num_inputs, self._f0[: self._n].copy(), self._f1[: self._n].copy(),
                   np.asarray(outputs, dtype=LIT_DTYPE).reshape(-1), self.input_names,
                   tuple(output_names))

    def _append(self, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
        m = len(hi)
        need = self._n + m
        if need > len(self._f0):
            cap = max(need, 2 * len(self._f0))
            self._f0 = np.resize(self._f0, cap)
            self._f1 = np.resize(self._f1, cap)
        self._f0[self._n:need] = hi
        self._f1[self._n:need] = lo
        first = 1 + self.num_inputs + self._n
        self._n = need
        return np.arange(first, first + m, dtype=LIT_DTYPE)
