"""Several structures per 4-input NPN class for ``rewrite`` (ABC's DAR tries up to 5 per cut).

The smallest structure of a cut's function is not always the best replacement: the gain counts
only the ANDs that do not exist yet, so a slightly larger structure that reuses more of the graph
can save more (ABC ``drw`` with one subgraph per class, ``-N 1``, loses 2-4 % on EPFL ``i2c`` and
``ctrl`` against its default of 5). Per class the *forest* keeps the library's structure first
(``rewrite_library``), then distinct alternatives from our own decompositions of the class's
representative ``f`` and of ``~f``: the factored ISOPs and every top-level decomposition
(AND/OR with a literal, Shannon on each variable, XOR with a literal, disjoint AND/OR/XOR
bi-decompositions) with the cheapest decomposition below it. Alternatives larger than the
library's by more than :data:`MAX_EXTRA` ANDs are dropped; at most :data:`PER_CLASS` are kept,
smallest then shallowest first, ties broken by the rows, so the table is deterministic.

Every structure is checked against its class's representative when generated and when the
tests run (``tests/unit/test_passes_rewrite_forest.py``). The table ships as
``data/rewrite4_forest.npz``; regenerate it (a few seconds) with

    .venv/bin/python -m gatecomp.passes.rewrite_forest
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .rewrite_library import (
    MASK,
    Chain,
    _build_factored,
    _cof,
    _compact,
    _decomp,
    _emit,
    _exists,
    _restrict,
    _support,
    isop,
    load_library,
    structure_depth,
    structure_truth,
)

DATA = Path(__file__).resolve().parent / "data" / "rewrite4_forest.npz"
PER_CLASS = 8  # structures kept per class (the first is the library's)
MAX_EXTRA = 2  # most ANDs an alternative may have beyond the library's structure
MAX_ANDS = 15  # below rewrite's _MAX_STRUCT


@dataclass(frozen=True)
class RewriteForest:
    """Structures per NPN class as flat arrays (local literals as in ``rewrite_library``).

    Attributes
    ----------
    first: ``first[c]:first[c+1]`` are class ``c``'s structures (the library's first).
    offset: ``offset[s]:offset[s+1]`` rows of ``fanins`` belong to structure ``s``.
    fanins: (rows, 2) AND fanins. root: output literal per structure.
    """

    first: np.ndarray
    offset: np.ndarray
    fanins: np.ndarray
    root: np.ndarray

    def structures(self, c: int) -> list[tuple[np.ndarray, int]]:
        return [(self.fanins[self.offset[s]:self.offset[s + 1]], int(self.root[s]))
                for s in range(self.first[c], self.first[c + 1])]


def _top_options(f: int) -> list[tuple]:
    """Every top-level decomposition of ``f`` (expressions as ``rewrite_library._decomp``),
    each with the cheapest decompositions of its parts."""
    out: list[tuple] = []
    sup = _support(f)
    for i in sup:
        x = 2 + 2 * i
        f0, f1 = _cof(f, i)
        for c, g, h in ((0, f1, f0), (1, f0, f1)):
            if h == 0:
                out.append(("and", ("lit", x | c), _decomp(g)[1]))
            if h == MASK:
                out.append(("not", ("and", ("lit", x | c), _decomp(g ^ MASK)[1])))
        if f1 == f0 ^ MASK:
            out.append(("xor", ("lit", x), _decomp(f0)[1]))
        out.append(("mux", x, _decomp(f1)[1], _decomp(f0)[1]))
        out.append(("xor", _decomp(f0)[1], ("and", ("lit", x), _decomp(f0 ^ f1)[1])))
    n = len(sup)
    for mask in range(1, (1 << n) - 1):
        a = [sup[j] for j in range(n) if mask >> j & 1]
        b = [sup[j] for j in range(n) if not mask >> j & 1]
        if a[0] != sup[0]:
            continue
        ga, gb = _exists(f, b), _exists(f, a)
        if ga & gb == f:
            out.append(("and", _decomp(ga)[1], _decomp(gb)[1]))
        na, nb = _exists(f ^ MASK, b), _exists(f ^ MASK, a)
        if na & nb == f ^ MASK:
            out.append(("not", ("and", _decomp(na)[1], _decomp(nb)[1])))
        za = _restrict(f, b)
        zb = _restrict(f, a) ^ _restrict(_restrict(f, a), b)
        if za ^ zb == f:
            out.append(("xor", _decomp(za)[1], _decomp(zb)[1]))
    return out


def candidates(f: int) -> list[tuple[np.ndarray, int]]:
    """Structures computing ``f``: factored ISOPs and top-level decompositions of ``f`` and
    ``~f`` (output complemented), each compacted to its root's cone."""
    cands = []
    for neg in (0, 1):
        g = f ^ (MASK if neg else 0)
        chain = Chain()
        cands.append(_compact(chain, _build_factored(chain, isop(g)) ^ neg))
        for expr in _top_options(g):
            chain = Chain()
            cands.append(_compact(chain, _emit(chain, expr) ^ neg))
    return cands


def _key(cand: tuple[np.ndarray, int]) -> tuple:
    rows, root = cand
    return (len(rows), structure_depth(rows, root), tuple(rows.ravel().tolist()), root)


def class_structures(rep: int, primary: tuple[np.ndarray, int]) -> list[tuple[np.ndarray, int]]:
    """The library's structure, then the distinct alternatives that pass the size limits."""
    limit = min(len(primary[0]) + MAX_EXTRA, MAX_ANDS)
    seen = {_key(primary)[2:]}
    kept = [primary]
    for cand in sorted(candidates(rep), key=_key):
        k = _key(cand)
        if len(kept) >= PER_CLASS or k[0] > limit:
            break
        if k[2:] in seen or len(cand[0]) == 0:
            continue
        assert structure_truth(*cand) == rep, f"alternative for {rep:#06x} is wrong"
        seen.add(k[2:])
        kept.append(cand)
    return kept


def generate() -> RewriteForest:
    """Compute the forest from the shipped library (deterministic)."""
    lib = load_library()
    first, offset, rows, roots = [0], [0], [], []
    for c, rep in enumerate(lib.reps.tolist()):
        structs = class_structures(int(rep), lib.structure(c))
        for fan, root in structs:
            rows.append(np.asarray(fan, dtype=np.int64).reshape(-1, 2))
            roots.append(root)
            offset.append(offset[-1] + len(fan))
        first.append(first[-1] + len(structs))
    return RewriteForest(np.array(first, dtype=np.int64), np.array(offset, dtype=np.int64),
                         np.concatenate(rows).astype(np.int64).reshape(-1, 2),
                         np.array(roots, dtype=np.int64))


def save_forest(forest: RewriteForest, path: Path = DATA) -> None:
    np.savez_compressed(path, first=forest.first.astype(np.int32),
                        offset=forest.offset.astype(np.int32),
                        fanins=forest.fanins.astype(np.uint8), root=forest.root.astype(np.uint8))


@lru_cache(maxsize=1)
def load_forest(path: Path = DATA) -> RewriteForest:
    """The shipped forest (``data/rewrite4_forest.npz``), arrays as int64."""
    with np.load(path) as z:
        return RewriteForest(**{k: z[k].astype(np.int64) for k in z.files})


def main() -> None:
    forest = generate()
    save_forest(forest)
    per = np.diff(forest.first)
    print(f"wrote {DATA}: {len(per)} classes, {int(per.sum())} structures "
          f"(per class: min {per.min()}, max {per.max()})")


if __name__ == "__main__":
    main()
