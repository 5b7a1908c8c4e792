"""The truth table each torchlogix neuron computes in eval mode, read from its weights.

Tables are (neurons, 2**k) bool with gatecomp's minterm order (entry ``m``: input ``i`` has the
value ``m >> i & 1``; input 0 is torchlogix's ``A``, the first row of the wiring), the order
:func:`gatecomp.synth.lut_layer.lower_luts` takes. What torchlogix 0.2.2's eval forward computes:

* ``raw`` (rank 2 only): the one-hot argmax of 16 logits (first index on ties) selects gate ``g``
  in difflogic's order, ``f(a, b) = g >> (3 - 2a - b) & 1``; the weighted sum of 0/1 values is
  exact in float.
* ``light``: ``weight > 0`` per entry, entry index ``A`` most significant; one basis term is 1,
  the others 0, so the float sum is exact.
* ``warp``: ``-(sum_e w_e * prod_{i in e} (1 - 2 x_i)) > 0``, the sum taken term by term in
  index order (``A`` is the most significant bit of ``e``) in the weights' float type. Signs of
  +-1 products are exact, so the order of the additions is the only rounding; it is replayed
  here addition by addition, so a sum that rounds to zero reads as torchlogix reads it.
"""

from __future__ import annotations

import numpy as np
import torch

from ...errors import GatecompError

#: lut_rank values torchlogix 0.2.2 implements per parametrization
RANKS = {"raw": (2,), "light": (2, 4, 6), "warp": (1, 2, 4, 6)}


def eval_tables(kind: str, rank: int, weight: torch.Tensor, where: str) -> np.ndarray:
    """(neurons, 2**rank) bool tables of ``weight`` (neurons, entries) under ``kind``."""
    if kind not in RANKS:
        raise GatecompError(f"{where}: unknown parametrization {kind!r} "
                            f"(torchlogix has {', '.join(RANKS)})")
    if rank not in RANKS[kind]:
        raise GatecompError(f"{where}: lut_rank {rank} with {kind} parametrization is not one "
                            f"torchlogix 0.2.2 computes (it has ranks {RANKS[kind]})")
    entries = 16 if kind == "raw" else 1 << rank
    if weight.ndim != 2 or weight.shape[1] != entries or not weight.is_floating_point():
        raise GatecompError(f"{where}: weights {tuple(weight.shape)} do not match {kind} "
                            f"lut_rank {rank} (expected floating (neurons, {entries}))")
    if not bool(torch.isfinite(weight).all()):
        raise GatecompError(f"{where}: weights contain NaN or inf")
    w = weight.detach().cpu().numpy()
    if kind == "raw":
        return _raw_tables(w)
    if kind == "light":
        return _reorder_msb_first(w > 0, rank)
    return _warp_tables(w, rank)


def _raw_tables(w: np.ndarray) -> np.ndarray:
    gate = np.argmax(w, axis=1)  # first index on ties, as torch.argmax
    m = np.arange(4)
    a, b = m & 1, m >> 1
    return ((gate[:, None] >> (3 - 2 * a - b)[None, :]) & 1).astype(bool)


def _reorder_msb_first(msb_tables: np.ndarray, rank: int) -> np.ndarray:
    """Tables indexed with input 0 as the most significant bit, in gatecomp's order."""
    return msb_tables[:, _msb_index(rank)]


def _msb_index(rank: int) -> np.ndarray:
    """For each gatecomp minterm ``m``, the entry whose bit ``rank-1-i`` is input ``i``."""
    m = np.arange(1 << rank)
    e = np.zeros_like(m)
    for i in range(rank):
        e |= ((m >> i) & 1) << (rank - 1 - i)
    return e


def _warp_tables(w: np.ndarray, rank: int) -> np.ndarray:
    """Replays ``weighted_walsh_basis_sum_<rank>`` addition by addition, per input minterm."""
    entries = 1 << rank
    tables = np.zeros((w.shape[0], entries), dtype=bool)
    for m in range(entries):
        sign = [1 - 2 * ((m >> i) & 1) for i in range(rank)]  # torchlogix's 1 - 2x
        total = np.zeros(w.shape[0], dtype=w.dtype)
        for e in range(entries):
            s = 1
            for i in range(rank):
                if (e >> (rank - 1 - i)) & 1:
                    s *= sign[i]
            total = total + w[:, e] * w.dtype.type(s)
        tables[:, m] = -total > 0
    return tables
