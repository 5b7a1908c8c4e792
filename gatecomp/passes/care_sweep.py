"""``care_sweep``: merge nodes that agree on every input of a care set (data don't-cares).

A trained network only ever sees inputs like its training data. Input patterns that never
occur there are don't-cares: a node that is constant on all training inputs, or equal (or
complementary) to an earlier node on all of them, may be replaced by that constant or node.
On every care input each replaced node keeps its value, so by induction every output is
unchanged *on the care set*; elsewhere the function may change. That is why this is not a
script pass: it needs the data, it is off by default, and the compile flow reports what it cost
(outputs changed and accuracy on held-out data) whenever it is used.

The sweep is one bit-parallel simulation of the care set, a canonical (phase-normalised)
signature per node, and one rebuild through :func:`cleanup`'s substitution array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..aig import AIG, pack_bits
from ..aig.kernels import simulate_kernel
from .base import PassStats, finish, measured
from .cleanup import cleanup

_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)


@dataclass(frozen=True)
class CareSweepParams:
    """Options of :func:`care_sweep`.

    Attributes
    ----------
    merge:
        Also merge nodes equal (or complementary) to an earlier node on the care set; with
        ``False`` only nodes constant on the care set are replaced.
    """

    merge: bool = True


def _care_words(care: np.ndarray, num_inputs: int) -> np.ndarray:
    """Packed care inputs, the last word padded with copies of the first sample.

    Padding with a real sample (not zeros) keeps padding bits from separating or joining
    signatures, so no mask is needed.
    """
    care = np.asarray(care, dtype=bool)
    if care.ndim != 2 or care.shape[1] != num_inputs:
        raise ValueError(f"care set must be (samples, {num_inputs}) bits, got {care.shape}")
    if len(care) == 0:
        raise ValueError("care set is empty")
    pad = -len(care) % 64
    if pad:
        care = np.concatenate([care, np.repeat(care[:1], pad, axis=0)])
    return pack_bits(care)


def care_substitution(aig: AIG, care: np.ndarray, merge: bool = True) -> np.ndarray:
    """Per node, the literal that equals it on every care input (-1: keep the node)."""
    vals = simulate_kernel(aig.fanin0, aig.fanin1, aig.num_inputs,
                           _care_words(care, aig.num_inputs))
    phase = (vals[:, 0] & np.uint64(1)).astype(np.int64)
    canon = vals ^ np.where(phase.astype(bool), _ONES, np.uint64(0))[:, None]
    repl = np.full(aig.num_nodes, -1, dtype=np.int64)
    first = aig.first_and
    if merge:
        rows = np.ascontiguousarray(canon).view(np.dtype((np.void, 8 * canon.shape[1])))[:, 0]
        _, rep_of_group, group = np.unique(rows, return_index=True, return_inverse=True)
        rep = rep_of_group[group.ravel()]  # smallest node with the same signature
    else:
        is_const = ~canon.any(axis=1)
        rep = np.where(is_const, 0, np.arange(aig.num_nodes))
    nodes = np.arange(first, aig.num_nodes)
    moved = nodes[rep[first:] != nodes]
    repl[moved] = 2 * rep[moved] + (phase[moved] ^ phase[rep[moved]])
    return repl


def care_sweep(aig: AIG, care: np.ndarray,
               params: CareSweepParams | None = None) -> tuple[AIG, PassStats]:
    """Replace nodes by constants / earlier nodes they equal on the ``care`` inputs.

    ``care`` is a (samples, num_inputs) 0/1 matrix. The result equals ``aig`` on every care
    input (not elsewhere). ``stats.extra`` counts the replaced nodes and the care samples.
    """
    p = params or CareSweepParams()
    with measured("care_sweep", aig) as stats:
        repl = care_substitution(aig, care, p.merge)
        const = int(((repl >= 0) & (repl >> 1 == 0)).sum())
        out, _ = cleanup(aig, substitute=repl)
        stats.extra = {"care_samples": int(len(care)), "constant_on_care": const,
                       "merged_on_care": int((repl >= 0).sum()) - const}
    return out, finish(stats, out)
