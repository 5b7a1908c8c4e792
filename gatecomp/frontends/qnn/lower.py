"""Lowering integer quantized layers (:mod:`gatecomp.nn.integer`) to AND-inverter logic.

Every layer reads unsigned codes, ``in_bits`` literals each (LSB first, feature-major) and each
neuron takes one of two routes:

**Arithmetic** (any fan-in). ``acc = sum_i w_i c_i + b = sum_(i,t) (w_i 2**t) x_(i,t) + b``
over the input bits. :func:`.arith.signed_columns` makes every term non-negative
(``-a x = a ~x - a``; canonical signed digits where they save terms), so
``acc = S + K`` with ``S`` a sum of literals in binary columns and ``K`` a constant;
:func:`.arith.column_sum` reduces all neurons of the layer at once (ragged Wallace trees, one
vectorised full-adder call per round) to ``S`` in just enough bits for its reachable maximum.
A threshold ``acc >= T`` is ``S >= T - K`` (:func:`.arith.ge_const`), folded to a constant
when it lies outside ``S``'s reachable range; the passed thresholds form a thermometer code,
converted to the binary output code (:func:`.arith.thermometer_to_binary`).

**Truth table** (small fan-in, LogicNets-style). When a neuron depends on at most
``table_limit`` distinct input literals (constants and repeated literals, e.g. two identical
upstream neurons, are not counted), its function is enumerated exactly with the integer
formula over all ``2**n`` input combinations and synthesised as minimised logic
(:func:`.truth_synth.synthesize`): the binary output bits directly and (``levels >= 2``) the
thermometer bits plus conversion, each with a fixed and a dynamic split order; the smallest of
these is kept, and identical neuron functions are synthesised once. Input codes above the
producing layer's ``levels`` never occur: they are don't-cares.

**The rule** (``route="auto"``): a neuron eligible for the truth-table route takes it when its
synthesised AND count is at most that of the same neuron built by the arithmetic route (both
measured standalone, before optimisation: the arithmetic candidates of a layer are built in a
scratch builder and their cones counted); every other neuron is arithmetic. In practice
symmetric sums (ternary or +-1 weights on multi-bit codes) stay arithmetic — a compressor
tree is hard to beat there — while neurons with diverse weights take tables.
``route="arith"`` / ``"table"`` force one route (``"table"`` still needs the fan-in limit).

The classifier (:class:`IntScores`) is lowered the same way to ``score_c = acc_c - lo`` with
one common offset ``lo`` (the least reachable accumulator over all classes), so the score
ports are unsigned and their first-index argmax is the prediction; the offset is recorded.
Reachable ranges assume each code is at most the producing layer's ``levels`` (the full
``2**in_bits - 1`` for the first layer).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from torch import nn

from ...aig import AIG, CONST0, CONST1, AIGBuilder
from ...nn import IntLinear
from ...synth.arith import column_sum, ge_const, signed_columns, thermometer_to_binary
from ...synth.subgraph import cone_sizes, disjoint_union, replay, used_ands
from ...synth.truth_synth import bools_to_table, synthesize

ROUTES = ("auto", "arith", "table")
#: default largest number of distinct input bits for the truth-table route (4096 minterms)
TABLE_LIMIT = 12


@dataclass(frozen=True)
class QNNLowerParams:
    """How :func:`lower_layers` lowers neurons (see the module docstring for the rule)."""

    route: str = "auto"
    table_limit: int = TABLE_LIMIT

    def __post_init__(self) -> None:
        if self.route not in ROUTES:
            raise ValueError(f"unknown route {self.route!r} (choose from {', '.join(ROUTES)})")
        if int(self.table_limit) < 0:
            raise ValueError("table_limit must be >= 0")


@dataclass
class LayerStats:
    """What happened to one layer: neurons per route and their AND counts (standalone)."""

    index: int
    kind: str
    neurons: int
    table: int = 0
    arith: int = 0
    table_ands: int = 0  # ANDs of the truth-table neurons (standalone, before optimisation)
    arith_ands_avoided: int = 0  # what the arithmetic route would have cost those neurons


# -- ranges ----------------------------------------------------------------------------------
def input_code_limits(layers: list[nn.Module]) -> list[int]:
    """Largest code each layer can read: ``2**in_bits - 1`` first, then the producer's levels."""
    limits = [(1 << layers[0].in_bits) - 1]
    limits += [int(m.levels) for m in layers[:-1]]
    return limits


def acc_bounds(weight: np.ndarray, bias: np.ndarray, cmax: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-row (min, max) of ``W c + b`` over codes ``0 <= c <= cmax`` (exact)."""
    w = np.asarray(weight, dtype=np.int64)
    b = np.asarray(bias, dtype=np.int64)
    return (b + cmax * np.minimum(w, 0).sum(axis=1), b + cmax * np.maximum(w, 0).sum(axis=1))


def score_range(layers: list[nn.Module]) -> tuple[int, int]:
    """``(lo, width)``: score ports carry ``acc - lo`` in ``width`` unsigned bits."""
    sc = layers[-1]
    lo, hi = acc_bounds(sc.weight.numpy(), sc.bias.numpy(), input_code_limits(layers)[-1])
    offset = int(lo.min())
    return offset, max(1, int(hi.max() - offset).bit_length())


# -- one layer -------------------------------------------------------------------------------
@dataclass
class _Layer:
    """A layer as numpy arrays, plus what the score layer needs."""

    weight: np.ndarray
    bias: np.ndarray
    thresholds: np.ndarray | None  # None: the score layer
    in_bits: int
    cmax: int
    score_lo: int = 0
    score_width: int = 0

    @property
    def out_bits(self) -> int:
        if self.thresholds is None:
            return self.score_width
        return max(1, self.thresholds.shape[1].bit_length())


def _arith_rows(b: AIGBuilder, x: np.ndarray, lay: _Layer, rows: np.ndarray) -> np.ndarray:
    """(len(rows), out_bits) literals of the arithmetic route for neurons ``rows``."""
    r = len(rows)
    w = lay.weight[rows]
    bias = lay.bias[rows]
    jj, ii = np.nonzero(w)
    t = np.arange(lay.in_bits)
    owner = np.repeat(jj, lay.in_bits)
    lits = x[(ii[:, None] * lay.in_bits + t).ravel()]
    coeffs = (w[jj, ii][:, None] << t).ravel()
    o, c, li, const = signed_columns(owner, lits, coeffs, r)
    k = const + bias  # acc = S + k
    if lay.thresholds is None:
        bits = column_sum(b, o, c, li, r, lay.score_width, const=k - lay.score_lo)
        return bits.reshape(r, lay.score_width)
    lo, hi = acc_bounds(w, bias, lay.cmax)
    smin, smax = lo - k, hi - k
    width = np.array([int(v).bit_length() for v in smax], dtype=np.int64)
    s = column_sum(b, o, c, li, r, width)
    tt = lay.thresholds[rows] - k[:, None]
    therm = np.where(tt <= smin[:, None], CONST1, CONST0).astype(np.int64)
    for level in range(tt.shape[1]):
        live = np.flatnonzero((tt[:, level] > smin) & (tt[:, level] <= smax))
        if len(live):
            therm[live, level] = ge_const(b, s[live], tt[live, level])
    return thermometer_to_binary(b, therm)


@dataclass
class _Table:
    """A neuron's truth-table implementation: local AIG and the literals of its inputs."""

    aig: AIG
    inputs: np.ndarray
    cost: int


def _neuron_function(x: np.ndarray, lay: _Layer, row: int, limit: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(variable literals, per-minterm words, care mask) of a neuron, or None above ``limit``.

    Words are the output code (hidden layer) or ``acc - lo`` (scores); minterm ``m`` sets
    variable ``i`` to ``m >> i & 1``.
    """
    feats = np.flatnonzero(lay.weight[row])
    lits = x.reshape(-1, lay.in_bits)[feats]
    nodes = np.unique(lits[lits >= 2] >> 1)
    n = len(nodes)
    if n > limit:
        return None
    m = np.arange(1 << n)
    var = np.searchsorted(nodes, lits >> 1)
    values = ((m[:, None, None] >> np.minimum(var, max(n - 1, 0))[None]) & 1) ^ (lits & 1)
    values = np.where(lits[None] >= 2, values, lits[None] & 1)  # constants
    codes = values @ (1 << np.arange(lay.in_bits))
    care = (codes <= lay.cmax).all(axis=1)
    acc = codes @ lay.weight[row, feats] + lay.bias[row]
    if lay.thresholds is None:
        words = acc - lay.score_lo
    else:
        words = (acc[:, None] >= lay.thresholds[row][None]).sum(axis=1)
    return 2 * nodes, words, care


def _best_table(n: int, tables: tuple[int, ...], care_t: int, words: np.ndarray,
                care: np.ndarray, lay: _Layer) -> tuple[AIG, int]:
    """The smallest synthesis of a neuron's table: binary output bits or thermometer bits
    (then :func:`.arith.thermometer_to_binary`), split variables in a fixed or dynamic order."""
    levels = 0 if lay.thresholds is None else lay.thresholds.shape[1]
    specs: list[tuple[list[int], object]] = [(list(tables), None)]
    if levels >= 2:
        therm = [bools_to_table((words > lv) & care) for lv in range(levels)]
        specs.append((therm, lambda bb, t: thermometer_to_binary(bb, t[None])[0]))
    best: tuple[AIG, int] | None = None
    for outs, post in specs:
        for order in ("fixed", "dynamic"):
            aig = synthesize(n, outs, care_t, post=post, order=order)[0]
            cost = used_ands(aig)
            if best is None or cost < best[1]:
                best = (aig, cost)
    return best


def _table_rows(x: np.ndarray, lay: _Layer, limit: int, cache: dict) -> dict[int, _Table]:
    """Truth-table implementations of every neuron within ``limit`` input literals."""
    out: dict[int, _Table] = {}
    for row in range(lay.weight.shape[0]):
        fn = _neuron_function(x, lay, row, limit)
        if fn is None:
            continue
        inputs, words, care = fn
        n = len(inputs)
        care_t = bools_to_table(care)
        nbits = lay.out_bits
        tables = tuple(bools_to_table((words >> j) & 1 & care) for j in range(nbits))
        key = (n, tables, care_t, lay.thresholds is None)
        if key not in cache:
            cache[key] = _best_table(n, tables, care_t, words, care, lay)
        aig, cost = cache[key]
        out[row] = _Table(aig, inputs, cost)
    return out


def _lower_layer(b: AIGBuilder, x: np.ndarray, lay: _Layer, params: QNNLowerParams,
                stats: LayerStats, cache: dict) -> np.ndarray:
    """(out_dim, out_bits) output literals of one layer (see the module docstring)."""
    out_dim = lay.weight.shape[0]
    limit = -1 if params.route == "arith" else int(params.table_limit)
    tables = _table_rows(x, lay, limit, cache) if limit >= 0 else {}
    if tables and params.route == "auto":
        rows = np.array(sorted(tables), dtype=np.int64)
        scratch = AIGBuilder(len(x))
        xs = np.where(x >= 2, scratch.inputs(), x)
        cand = _arith_rows(scratch, xs, lay, rows)
        arith_cost = cone_sizes(scratch.build(cand.ravel()), list(cand))
        for row, cost in zip(rows.tolist(), arith_cost.tolist(), strict=True):
            if tables[row].cost > cost:
                del tables[row]
            else:
                stats.arith_ands_avoided += cost
    out = np.full((out_dim, lay.out_bits), CONST0, dtype=np.int64)
    arith = np.array([r for r in range(out_dim) if r not in tables], dtype=np.int64)
    if len(arith):
        out[arith] = _arith_rows(b, x, lay, arith)
    if tables:
        rows = sorted(tables)
        union, outs = disjoint_union([tables[r].aig for r in rows])
        lits = replay(b, union, np.concatenate([tables[r].inputs for r in rows]))
        at = np.cumsum([0] + [len(o) for o in outs])
        for i, r in enumerate(rows):
            out[r] = lits[at[i]:at[i + 1]]
    stats.table, stats.arith = len(tables), len(arith)
    stats.table_ands = int(sum(t.cost for t in tables.values()))
    return out


def lower_layers(b: AIGBuilder, x: np.ndarray, layers: list[nn.Module],
                 params: QNNLowerParams | None = None
                 ) -> tuple[np.ndarray, list[LayerStats]]:
    """Lower ``IntLinear* IntScores`` reading input literals ``x``.

    Returns the (num_classes, width) score literals (``acc - lo``, see :func:`score_range`)
    and per-layer statistics.
    """
    params = params or QNNLowerParams()
    limits = input_code_limits(layers)
    lo, width = score_range(layers)
    stats: list[LayerStats] = []
    cache: dict = {}
    for i, m in enumerate(layers):
        hidden = isinstance(m, IntLinear)
        lay = _Layer(m.weight.numpy().astype(np.int64), m.bias.numpy().astype(np.int64),
                     m.thresholds.numpy().astype(np.int64) if hidden else None, m.in_bits,
                     limits[i], lo, width)
        st = LayerStats(i, "linear" if hidden else "scores", m.out_dim)
        x = _lower_layer(b, np.asarray(x, dtype=np.int64), lay, params, st, cache)
        stats.append(st)
        if hidden:
            x = x.reshape(-1)
    return x, stats


def stats_dicts(stats: list[LayerStats]) -> list[dict]:
    """Plain dicts of the layer statistics (for ``net.meta``)."""
    return [asdict(s) for s in stats]
