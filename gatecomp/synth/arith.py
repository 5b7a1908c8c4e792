"""Word-level arithmetic in gates: compressor-tree popcounts and weighted sums, comparators,
argmax, thermometer-to-binary conversion.

Popcounts are built as carry-save (Wallace) compressor trees of full adders followed by one
short ripple adder, not as adder trees: it maps to markedly fewer LUTs and ABC does not recover
one structure from the other. Every function works on a batch: ``lits`` of shape (k, n) builds
k independent circuits with the same schedule, so GroupSum's ten popcounts cost one sweep of
vectorised builder calls rather than a Python loop per full adder.

Weighted sums (:func:`column_sum`, the integer neurons of quantized networks) generalise the
popcount: each term ``a * lit`` (``a > 0``) puts one copy of ``lit`` into every column of the
binary expansion of ``a`` — after :func:`signed_columns` has rewritten signed coefficients as
non-negative ones plus a constant (``-a * x = a * ~x - a``, and a coefficient with a run of
ones in canonical signed-digit form, ``7 = 8 - 1``). The words of a batch may have different
terms and widths (ragged): each Wallace round compresses every column of every word with one
vectorised full-adder call.
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


def popcount_merged(b: AIGBuilder, lits: np.ndarray) -> np.ndarray:
    """:func:`popcount` of each row of ``lits`` (k, n) with repeated literals merged first.

    A literal occurring ``m`` times enters the column sum once per set bit of ``m`` (at that
    bit's weight) instead of ``m`` times at weight 1, and a literal with its complement adds the
    constant 1: the same count with fewer full adders. In trained DLGNs several output gates of
    a class are often the same function of the same inputs (the digits net: 37 of its 1000;
    4-LUT cover 3140 -> 3067). Returns (k, ``n.bit_length()``) bits, LSB first.
    """
    lits = np.atleast_2d(np.asarray(lits, dtype=np.int64))
    k, n = lits.shape
    width = max(1, n.bit_length())
    owner, column, merged = [], [], []
    const = np.zeros(k, dtype=np.int64)
    for c in range(k):
        var, where = np.unique(lits[c] >> 1, return_inverse=True)
        total = np.bincount(where, minlength=len(var))
        neg = np.bincount(where, weights=lits[c] & 1, minlength=len(var)).astype(np.int64)
        pos = total - neg
        pairs = np.minimum(pos, neg)  # x + ~x = 1
        const[c] = int(pairs.sum())
        mult = total - 2 * pairs
        lit = 2 * var + (neg > pos)
        for bit in range(int(mult.max(initial=0)).bit_length()):
            on = np.flatnonzero((mult >> bit) & 1)
            owner.append(np.full(len(on), c))
            column.append(np.full(len(on), bit))
            merged.append(lit[on])
    return column_sum(b, _concat(owner), _concat(column), _concat(merged), k, width, const)


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def greater_than(b: AIGBuilder, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Unsigned ``x > y`` for bit arrays (LSB first) of shape (width,) or (k, width).

    A log-depth comparator: per bit ``gt = x & ~y`` and ``eq = ~(x ^ y)``, then adjacent
    groups combine as ``gt = gt_hi | (eq_hi & gt_lo)``, ``eq = eq_hi & eq_lo``.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.int64))
    y = np.atleast_2d(np.asarray(y, dtype=np.int64))
    gts = [b.add_and_vec(x[:, i], y[:, i] ^ 1) for i in range(x.shape[1])]
    # the group holding bit 0 never needs its ``eq`` (nothing below it): not built, no dead gates
    eqs = [None] + [b.add_xor_vec(x[:, i], y[:, i]) ^ 1 for i in range(1, x.shape[1])]
    if not gts:
        return np.full(x.shape[0], CONST0, dtype=np.int64)
    while len(gts) > 1:  # index 0 is the least significant group
        ngt, neq = [], []
        for lo in range(0, len(gts) - 1, 2):
            hi = lo + 1
            ngt.append(b.add_or_vec(gts[hi], b.add_and_vec(eqs[hi], gts[lo])))
            neq.append(None if lo == 0 else b.add_and_vec(eqs[hi], eqs[lo]))
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
        if len(vals) > 2:  # the winners' values meet again; after the final no value is read
            new_vals = b.add_mux_vec(sel_v, right.ravel(), left.ravel()).reshape(pairs, width)
        else:
            new_vals = left
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


# -- weighted sums -------------------------------------------------------------------------------
def signed_digits(a: int) -> list[tuple[int, int]]:
    """``[(position, digit)]`` with ``a = sum digit * 2**position``, digits ``+-1``, ``a >= 0``.

    The non-adjacent form (canonical signed digits) when it has fewer non-zero digits than the
    binary expansion (``7 = 8 - 1``), else the binary expansion (``3 = 2 + 1``, not ``4 - 1``:
    equally many terms, and a narrower sum).
    """
    a = int(a)
    if a < 0:
        raise ValueError("signed_digits takes a non-negative integer")
    binary = [(p, 1) for p in range(a.bit_length()) if a >> p & 1]
    naf, p, v = [], 0, a
    while v:
        if v & 1:
            d = 2 - (v & 3)  # +1 when v = 1 mod 4, -1 when v = 3 mod 4
            naf.append((p, d))
            v -= d
        v >>= 1
        p += 1
    return naf if len(naf) < len(binary) else binary


def signed_columns(owner: np.ndarray, lits: np.ndarray, coeffs: np.ndarray, num_words: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rewrite ``word[k] = sum coeffs * lits`` (terms of word ``owner``) into column entries.

    Returns ``(owner, column, lits, const)`` with ``word[k] = const[k] + sum 2**column * lit``
    over the entries of ``k``: every entry has weight ``+2**column`` (a negative digit
    ``-2**p * x`` becomes ``2**p * ~x - 2**p``), so the entries sum to a non-negative value.
    Entries keep the order of the terms (see :func:`column_sum` on sharing).
    """
    owner = np.asarray(owner, dtype=np.int64)
    lits = np.asarray(lits, dtype=np.int64)
    coeffs = np.asarray(coeffs, dtype=np.int64)
    const = np.zeros(num_words, dtype=np.int64)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for mag in np.unique(np.abs(coeffs[coeffs != 0])).tolist():
        for sign in (1, -1):
            sel = np.flatnonzero(coeffs == sign * mag)
            if not len(sel):
                continue
            for p, d in signed_digits(mag):
                neg = d * sign < 0
                parts.append((sel, np.full(len(sel), p, dtype=np.int64), lits[sel] ^ int(neg)))
                if neg:
                    np.subtract.at(const, owner[sel], 1 << p)
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy(), const
    term, c, li = (np.concatenate(a) for a in zip(*parts, strict=True))
    # entries in term order: words whose terms line up (same inputs, same signs) then get the
    # same full adders in the first compressor round, which the builder shares between them
    order = np.lexsort((c, term))
    return owner[term[order]], c[order], li[order], const


def column_sum(b: AIGBuilder, owner: np.ndarray, column: np.ndarray, lits: np.ndarray,
               num_words: int, width: int | np.ndarray, const: np.ndarray | None = None
               ) -> np.ndarray:
    """``(const[k] + sum 2**column * lit) mod 2**width[k]`` per word ``k``, bits LSB first.

    The entries ``(owner, column, lit)`` of all words are reduced together: Wallace rounds of
    full adders over every column holding three or more bits (the earliest-arriving bits first;
    in a word's top column only the sum is formed), then one ripple adder per word over the
    remaining two rows. Entries of equal arrival are taken in the order given, so words whose
    entries line up (same literals at the same positions) get the same full adders, which the
    builder shares. Constant literals fold (``CONST1`` entries join ``const``). Returns a
    (num_words, max width) literal array, ``CONST0`` above each word's own width.
    """
    k = int(num_words)
    widths = np.broadcast_to(np.asarray(width, dtype=np.int64), (k,)).copy()
    wmax = int(widths.max()) if k else 0
    owner, column, lits = _fold_constants(owner, column, lits, const, widths, wmax)
    age = np.zeros(len(lits), dtype=np.int64)
    while True:
        owner, column, lits, age, rank, size = _sorted_columns(owner, column, lits, age,
                                                               wmax + 1)
        if len(lits) == 0 or size.max() <= 2:
            break
        owner, column, lits, age = _compress_round(b, owner, column, lits, age, rank, size,
                                                   widths)
    return _ripple_rows(b, owner, column, lits, rank, widths, wmax)


def _fold_constants(owner: np.ndarray, column: np.ndarray, lits: np.ndarray,
                    const: np.ndarray | None, widths: np.ndarray, wmax: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The entries of :func:`column_sum` without constant literals or bits above a word's
    width, plus the constant (``CONST1`` entries and ``const``) as ``CONST1`` entries of its
    binary expansion (mod ``2**width``)."""
    k = len(widths)
    owner = np.asarray(owner, dtype=np.int64)
    column = np.asarray(column, dtype=np.int64)
    lits = np.asarray(lits, dtype=np.int64)
    cst = np.zeros(k, dtype=np.int64) if const is None else np.asarray(const, np.int64).copy()
    ones = lits == CONST1
    np.add.at(cst, owner[ones], np.left_shift(1, np.minimum(column[ones], 62)))
    keep = (lits != CONST0) & ~ones & (column < widths[owner])
    owner, column, lits = owner[keep], column[keep], lits[keep]
    # the constant joins as CONST1 entries of its binary expansion (mod 2**width)
    for p in range(wmax):
        on = np.flatnonzero(((cst >> p) & 1).astype(bool) & (p < widths))
        owner = np.concatenate([owner, on])
        column = np.concatenate([column, np.full(len(on), p, dtype=np.int64)])
        lits = np.concatenate([lits, np.full(len(on), CONST1, dtype=np.int64)])
    return owner, column, lits


def _sorted_columns(owner: np.ndarray, column: np.ndarray, lits: np.ndarray, age: np.ndarray,
                    span: int) -> tuple[np.ndarray, ...]:
    """The entries sorted by word, column and arrival, with each entry's ``rank`` in its
    (word, column) group and that group's ``size``."""
    order = np.lexsort((age, column, owner))
    owner, column, lits, age = owner[order], column[order], lits[order], age[order]
    n = len(lits)
    key = owner * span + column
    start = np.ones(n, dtype=bool)
    start[1:] = key[1:] != key[:-1]
    first = np.flatnonzero(start)
    gid = np.cumsum(start) - 1
    rank = np.arange(n) - first[gid]
    size = np.diff(np.append(first, n))[gid]
    return owner, column, lits, age, rank, size


def _compress_round(b: AIGBuilder, owner: np.ndarray, column: np.ndarray, lits: np.ndarray,
                    age: np.ndarray, rank: np.ndarray, size: np.ndarray, widths: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One Wallace round: a full adder over each three earliest bits of every column (the sum
    only in a word's top column); the entries after it, ``CONST0`` ones dropped."""
    sel = rank < 3 * (size // 3)
    trio = lits[sel].reshape(-1, 3)
    t_owner, t_col = owner[sel][::3], column[sel][::3]
    t_age = age[sel].reshape(-1, 3).max(axis=1) + 1
    top = t_col + 1 >= widths[t_owner]  # the carry would leave the word: sum only
    s = np.empty(len(trio), dtype=np.int64)
    c = np.empty(0, dtype=np.int64)
    if (~top).any():
        s[~top], c = full_adder(b, trio[~top, 0], trio[~top, 1], trio[~top, 2])
    if top.any():
        s[top] = b.add_xor_vec(b.add_xor_vec(trio[top, 0], trio[top, 1]), trio[top, 2])
    rest = ~sel
    owner = np.concatenate([owner[rest], t_owner, t_owner[~top]])
    column = np.concatenate([column[rest], t_col, t_col[~top] + 1])
    lits = np.concatenate([lits[rest], s, c])
    age = np.concatenate([age[rest], t_age, t_age[~top]])
    live = lits != CONST0
    return owner[live], column[live], lits[live], age[live]


def _ripple_rows(b: AIGBuilder, owner: np.ndarray, column: np.ndarray, lits: np.ndarray,
                 rank: np.ndarray, widths: np.ndarray, wmax: int) -> np.ndarray:
    """The two rows left per word (entries ranked 0 and 1) added by one ripple-carry adder
    over all words at once; (words, ``wmax``) literals mod each word's width."""
    k = len(widths)
    rows = np.full((2, k, max(wmax, 1)), CONST0, dtype=np.int64)
    if len(lits):
        rows[rank, owner, column] = lits
    out = np.full((k, max(wmax, 1)), CONST0, dtype=np.int64)
    carry = np.full(k, CONST0, dtype=np.int64)
    for col in range(wmax):
        x, y = rows[0, :, col], rows[1, :, col]
        full = np.flatnonzero(col + 1 < widths)
        last = np.flatnonzero(col + 1 == widths)
        nxt = np.full(k, CONST0, dtype=np.int64)
        if len(full):
            out[full, col], nxt[full] = full_adder(b, x[full], y[full], carry[full])
        if len(last):
            out[last, col] = b.add_xor_vec(b.add_xor_vec(x[last], y[last]), carry[last])
        carry = nxt
    return out[:, :wmax] if wmax else out[:, :0]


def thermometer_to_binary(b: AIGBuilder, therm: np.ndarray) -> np.ndarray:
    """Binary count (LSB first) of thermometer literals ``therm`` (k, L): ``t_{l+1} => t_l``.

    Bit ``j`` of the count ``q`` is set on the intervals ``[m, m + 2**j - 1]`` with
    ``m = 2**j mod 2**(j+1)``, and ``lo <= q <= hi`` is ``t_lo & ~t_{hi+1}`` for a thermometer
    code: about ``L`` ANDs per bit in all. Returns (k, max(1, L.bit_length())) literals.
    """
    therm = np.atleast_2d(np.asarray(therm, dtype=np.int64))
    k, levels = therm.shape
    nbits = max(1, levels.bit_length())

    def t(m: int) -> np.ndarray:
        if m <= 0:
            return np.full(k, CONST1, dtype=np.int64)
        if m > levels:
            return np.full(k, CONST0, dtype=np.int64)
        return therm[:, m - 1]

    out = np.full((k, nbits), CONST0, dtype=np.int64)
    for j in range(nbits):
        acc = np.full(k, CONST0, dtype=np.int64)
        for m in range(1 << j, levels + 1, 1 << (j + 1)):
            acc = b.add_or_vec(acc, b.add_and_vec(t(m), t(m + (1 << j)) ^ 1))
        out[:, j] = acc
    return out
