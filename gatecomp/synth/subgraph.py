"""Copying small AIGs into a builder, and counting the gates behind groups of outputs.

Frontends that synthesise pieces of logic on their own (a neuron's truth table, a candidate
structure whose cost is compared before it is kept) build each piece as a standalone AIG and
then copy the chosen ones into the network's builder. :func:`disjoint_union` stacks many small
AIGs into one, :func:`replay` copies the cone of some outputs level by level with vectorised
builder calls (inputs replaced by given literals; constants fold and structure is re-hashed on
the way), and :func:`cone_sizes` counts the ANDs each group of outputs needs
(:func:`used_ands`: all outputs together).
"""

from __future__ import annotations

import numpy as np

from ..aig import AIG, AIGBuilder, levels


def disjoint_union(aigs: list[AIG]) -> tuple[AIG, list[np.ndarray]]:
    """One AIG holding ``aigs`` side by side: inputs concatenated in order, then all ANDs.

    Returns the union and, per part, its outputs as literals of the union.
    """
    n_in = [a.num_inputs for a in aigs]
    n_and = [a.num_ands for a in aigs]
    total_in = int(sum(n_in))
    in_off = np.concatenate([[0], np.cumsum(n_in)]).astype(np.int64)
    and_off = np.concatenate([[0], np.cumsum(n_and)]).astype(np.int64)
    f0s, f1s, outs = [], [], []
    for p, a in enumerate(aigs):
        node_map = np.empty(a.num_nodes, dtype=np.int64)
        node_map[0] = 0
        node_map[1:1 + a.num_inputs] = 1 + in_off[p] + np.arange(a.num_inputs)
        node_map[a.first_and:] = 1 + total_in + and_off[p] + np.arange(a.num_ands)

        def remap(lits: np.ndarray, m: np.ndarray = node_map) -> np.ndarray:
            lits = np.asarray(lits, dtype=np.int64)
            return 2 * m[lits >> 1] + (lits & 1)

        f0s.append(remap(a.fanin0))
        f1s.append(remap(a.fanin1))
        outs.append(remap(a.outputs))
    cat = (lambda xs: np.concatenate(xs) if xs else np.zeros(0, dtype=np.int64))  # noqa: E731
    f0, f1 = cat(f0s), cat(f1s)
    hi, lo = np.maximum(f0, f1), np.minimum(f0, f1)
    return AIG(total_in, hi, lo, cat(outs)), outs


def replay(builder: AIGBuilder, aig: AIG, input_lits: np.ndarray,
           roots: np.ndarray | None = None) -> np.ndarray:
    """Copy the cone of ``roots`` (default: the outputs) of ``aig`` into ``builder``.

    ``input_lits[i]`` (a literal of ``builder``) replaces input ``i``. Returns the copied
    roots as literals of ``builder``.
    """
    roots = np.asarray(aig.outputs if roots is None else roots, dtype=np.int64)
    lit_of = np.zeros(aig.num_nodes, dtype=np.int64)  # node -> literal in builder
    lit_of[1:1 + aig.num_inputs] = np.asarray(input_lits, dtype=np.int64)
    if aig.num_ands:
        live = _cone(aig, roots)
        lev = levels(aig)[aig.first_and:]
        ands = np.flatnonzero(live)
        order = ands[np.argsort(lev[ands], kind="stable")]
        bounds = np.searchsorted(lev[order], np.arange(1, int(lev.max(initial=0)) + 2))
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            idx = order[lo:hi]
            if not len(idx):
                continue
            a, b = aig.fanin0[idx], aig.fanin1[idx]
            lit_of[aig.first_and + idx] = builder.add_and_vec(lit_of[a >> 1] ^ (a & 1),
                                                              lit_of[b >> 1] ^ (b & 1))
    return lit_of[roots >> 1] ^ (roots & 1)


def _cone(aig: AIG, roots: np.ndarray) -> np.ndarray:
    """Bool mask over the ANDs of ``aig`` in the transitive fanin of ``roots``."""
    from ..aig.kernels import reachable_kernel

    live = reachable_kernel(aig.fanin0, aig.fanin1, aig.num_inputs,
                            np.asarray(roots, dtype=np.int64))
    return live[aig.first_and:]


def used_ands(aig: AIG) -> int:
    """Number of ANDs in the transitive fanin of the outputs."""
    return int(_cone(aig, aig.outputs).sum())


def cone_sizes(aig: AIG, groups: list[np.ndarray]) -> np.ndarray:
    """ANDs in the transitive fanin of each group of output literals (shared gates count in
    every group that needs them): the standalone cost of each group."""
    g_ids = np.concatenate([np.full(len(g), i, dtype=np.int64) for i, g in enumerate(groups)]
                           ) if groups else np.zeros(0, dtype=np.int64)
    nodes = (np.concatenate([np.asarray(g, dtype=np.int64) for g in groups]) >> 1
             if groups else np.zeros(0, dtype=np.int64))
    span = aig.num_nodes
    first = aig.first_and
    keep = nodes >= first
    visited = np.unique(g_ids[keep] * span + nodes[keep])
    frontier = visited
    while len(frontier):
        g, node = frontier // span, frontier % span
        idx = node - first
        kids = np.concatenate([aig.fanin0[idx] >> 1, aig.fanin1[idx] >> 1])
        gg = np.concatenate([g, g])
        ok = kids >= first
        cand = np.unique(gg[ok] * span + kids[ok])
        frontier = np.setdiff1d(cand, visited, assume_unique=True)
        visited = np.union1d(visited, frontier)
    return np.bincount(visited // span, minlength=len(groups)).astype(np.int64)
