"""Word-level arithmetic in gates: compressor-tree popcounts, comparators, argmax.

Popcounts are built as carry-save (Wallace) compressor trees of full adders followed by one
short ripple adder, not as adder trees: it maps to markedly fewer LUTs and ABC does not recover
one structure from the other. Every function works on a batch: ``lits`` of shape (k, n) builds
k independent circuits with the same schedule, so GroupSum's ten popcounts cost one sweep of
vectorised builder calls rather than a Python loop per full adder.
"""

from __future__ import annotations

import numpy as np

from ..aig import CONST0, CONST1, AIGBuilder


def _xor_sharing_and(b: AIGBuilder, x: np.ndarray, y: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``x ^ y`` as ``~(x & y) & ~(~x & ~y)``, also returning the ``x & y`` it is built from."""
    both = b.add_and_vec(x, y)
    neither = b.add_and_vec(np.asarray(x) ^ 1, np.asarray(y) ^ 1)
    return b.add_and_vec(both ^ 1, neither ^ 1), both


def full_adder(b: AIGBuilder, x: np.ndarray, y: np.ndarray, z: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Sum and carry of three literal arrays (element-wise), 7 ANDs each.

    ``carry = (x & y) | (z & (x ^ y))`` reuses the two ANDs the XORs are made of.
    """
    xy, x_and_y = _xor_sharing_and(b, x, y)
    total, z_and_xy = _xor_sharing_and(b, xy, z)
    return total, b.add_or_vec(x_and_y, z_and_xy)


def half_adder(b: AIGBuilder, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum and carry of two literal arrays (element-wise), 3 ANDs each."""
    total, carry = _xor_sharing_and(b, x, y)
    return total, carry


def popcount(b: AIGBuilder, lits: np.ndarray) -> np.ndarray:
    """Number of true literals, as bits LSB first.

    ``lits`` is (n,) or a batch (k, n); the result is (width,) or (k, width) with
    ``width = n.bit_length()`` (at least 1).
    """
    lits = np.asarray(lits, dtype=np.int64)
    single = lits.ndim == 1
    batch = lits.reshape(1, -1) if single else lits
    k, n = batch.shape
    width = max(1, n.bit_length())
    columns: list[np.ndarray] = [batch]
    # Wallace rounds: every column of height >= 3 is compressed by full adders in parallel
    while any(col.shape[1] > 2 for col in columns):
        nxt: list[list[np.ndarray]] = [[] for _ in range(len(columns) + 1)]
        for i, col in enumerate(columns):
            h = col.shape[1]
            triples = h // 3
            if triples:
                trio = col[:, : 3 * triples].reshape(k, triples, 3)
                s, c = full_adder(b, trio[:, :, 0].ravel(), trio[:, :, 1].ravel(),
                                  trio[:, :, 2].ravel())
                nxt[i].append(s.reshape(k, triples))
                nxt[i + 1].append(c.reshape(k, triples))
            nxt[i].insert(0, col[:, 3 * triples:])
        columns = [np.concatenate(parts, axis=1) if parts else np.zeros((k, 0), np.int64)
                   for parts in nxt]
    # final carry-propagate adder over columns of height <= 2
    out = np.full((k, width), CONST0, dtype=np.int64)
    carry: np.ndarray | None = None
    for i in range(width):
        col = columns[i] if i < len(columns) else np.zeros((k, 0), np.int64)
        bits = [col[:, j] for j in range(col.shape[1])]
        if carry is not None:
            bits.append(carry)
        if not bits:
            carry = None
            continue
        if len(bits) == 1:
            out[:, i], carry = bits[0], None
        elif len(bits) == 2:
            out[:, i], carry = half_adder(b, bits[0], bits[1])
        else:
            out[:, i], carry = full_adder(b, bits[0], bits[1], bits[2])
    # anything at or beyond bit ``width`` is provably zero (the count is at most n)
    return out[0] if single else out


def greater_than(b: AIGBuilder, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Unsigned ``x > y`` for bit arrays (LSB first) of shape (width,) or (k, width).

    A log-depth comparator: per bit ``gt = x & ~y`` and ``eq = ~(x ^ y)``, then adjacent
    groups combine as ``gt = gt_hi | (eq_hi & gt_lo)``, ``eq = eq_hi & eq_lo``.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.int64))
    y = np.atleast_2d(np.asarray(y, dtype=np.int64))
    gts = [b.add_and_vec(x[:, i], y[:, i] ^ 1) for i in range(x.shape[1])]
    eqs = [b.add_xor_vec(x[:, i], y[:, i]) ^ 1 for i in range(x.shape[1])]
    if not gts:
        return np.full(x.shape[0], CONST0, dtype=np.int64)
    while len(gts) > 1:  # index 0 is the least significant group
        ngt, neq = [], []
        for lo in range(0, len(gts) - 1, 2):
            hi = lo + 1
            ngt.append(b.add_or_vec(gts[hi], b.add_and_vec(eqs[hi], gts[lo])))
            neq.append(b.add_and_vec(eqs[hi], eqs[lo]))
        if len(gts) % 2:
            ngt.append(gts[-1])
            neq.append(eqs[-1])
        gts, eqs = ngt, neq
    return gts[0]


def argmax_first(b: AIGBuilder, words: list[np.ndarray]) -> np.ndarray:
    """Index (bits LSB first) of the largest word; the first index wins ties.

    A balanced tournament: each match keeps the left (lower-index) candidate unless the right
    one is strictly greater, which is exactly ``torch.argmax``'s first-maximum rule.
    """
    k = len(words)
    if k == 0:
        raise ValueError("argmax of no words")
    width = max(len(w) for w in words)
    idx_width = max(1, (k - 1).bit_length())
    vals = np.full((k, width), CONST0, dtype=np.int64)
    for i, w in enumerate(words):
        vals[i, : len(w)] = w
    idx = ((np.arange(k)[:, None] >> np.arange(idx_width)) & 1).astype(np.int64)  # constants
    while len(vals) > 1:
        pairs = len(vals) // 2
        left, right = vals[0: 2 * pairs: 2], vals[1: 2 * pairs: 2]
        take = greater_than(b, right, left)
        sel_v = np.repeat(take, width)
        sel_i = np.repeat(take, idx_width)
        new_vals = b.add_mux_vec(sel_v, right.ravel(), left.ravel()).reshape(pairs, width)
        new_idx = b.add_mux_vec(sel_i, idx[1: 2 * pairs: 2].ravel(),
                                idx[0: 2 * pairs: 2].ravel()).reshape(pairs, idx_width)
        if len(vals) % 2:
            new_vals = np.vstack([new_vals, vals[-1:]])
            new_idx = np.vstack([new_idx, idx[-1:]])
        vals, idx = new_vals, new_idx
    return idx[0]


def ge_const(b: AIGBuilder, bits: np.ndarray, threshold: int | np.ndarray) -> np.ndarray:
    """Unsigned ``value(bits) >= threshold`` for a constant threshold, one literal per word.

    ``bits`` is (width,) or a batch (k, width), LSB first; ``threshold`` an int or (k,) ints
    (any integers: ``<= 0`` gives constant true, ``>= 2**width`` constant false). The circuit is
    the LSB-first recurrence ``ge_i = bits_i & ge_{i-1}`` where the threshold bit is 1 and
    ``bits_i | ge_{i-1}`` where it is 0, from ``ge_{-1} = 1``: one gate per bit above the
    threshold's lowest set bit, the trailing zeros fold to constants in the builder. Returns a
    literal (single) or a (k,) literal array.
    """
    bits = np.asarray(bits, dtype=np.int64)
    single = bits.ndim == 1
    batch = bits.reshape(1, -1) if single else bits
    k, width = batch.shape
    t = np.broadcast_to(np.asarray(threshold, dtype=np.int64), (k,)).copy()
    if single and np.ndim(threshold) != 0:
        raise ValueError("a single bit vector takes a single threshold")
    low, high = t <= 0, t >= (1 << width)
    tc = np.clip(t, 0, (1 << width) - 1) if width < 63 else np.maximum(t, 0)
    ge = np.full(k, CONST1, dtype=np.int64)
    for i in range(width):
        one = ((tc >> i) & 1).astype(bool)
        nxt = np.empty(k, dtype=np.int64)
        if one.any():
            nxt[one] = b.add_and_vec(batch[one, i], ge[one])
        if (~one).any():
            nxt[~one] = b.add_or_vec(batch[~one, i], ge[~one])
        ge = nxt
    ge[low] = CONST1
    ge[high] = CONST0
    return ge[0] if single else ge
