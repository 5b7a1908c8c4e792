"""One torch_dwn layer's tensors to its typed record, checked as the CUDA kernel reads them.

Shared by the module reader (:mod:`.read`) and the state_dict reader (:mod:`.state_dict`), so
both forms of a model give the same :class:`~.network.LutLayer`. The kernel reads ``mapping``
as int32 and ``luts`` as float32 without bounds checks, so an index outside the input, a
wrong dtype or shape, or a NaN (whose sign the ``> 0`` would silently make 0) is refused.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ...errors import GatecompError
from ...synth.lut_layer import MAX_LUT_INPUTS
from .network import GroupSumSpec, LutLayer


def _tensor(t: object, name: str, where: str, shape: tuple[int, ...],
            dtypes: tuple[torch.dtype, ...]) -> np.ndarray:
    if not isinstance(t, torch.Tensor):
        raise GatecompError(f"{where}: {name} is missing or not a tensor")
    if tuple(t.shape) != shape:
        raise GatecompError(f"{where}: {name} has shape {tuple(t.shape)}, expected {shape}")
    if t.dtype not in dtypes:
        raise GatecompError(f"{where}: {name} is {t.dtype}; torch_dwn's kernel reads "
                            f"{' or '.join(str(d) for d in dtypes)}")
    a = t.detach().cpu().numpy()
    if a.dtype.kind == "f" and np.isnan(a).any():
        raise GatecompError(f"{where}: {name} holds NaN (the kernel's '> 0' would read it as "
                            "0 without saying so); refusing")
    return a


def _in_range(idx: np.ndarray, limit: int, name: str, where: str) -> np.ndarray:
    if idx.size and (idx.min() < 0 or idx.max() >= limit):
        bad = idx[(idx < 0) | (idx >= limit)][0]
        raise GatecompError(f"{where}: {name} holds index {int(bad)} outside 0..{limit - 1} "
                            "(the CUDA kernel would read outside its input)")
    return idx.astype(np.int64)


def lut_layer(where: str, name: str, sizes: tuple[int, int, int], in_width: int,
              luts: object, mapping: object = None, weights: object = None,
              dummy: object = None) -> LutLayer:
    """The layer of ``sizes = (input_size, output_size, n)``: fixed ``mapping`` (M, n), or the
    learnable ``weights`` (inputs, M*n) whose first-index argmax per column is gathered first,
    then read through ``dummy`` (M, n) as the kernel's mapping."""
    size_in, size_out, n = sizes
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in sizes):
        raise GatecompError(f"{where}: input_size, output_size, n = {sizes} are not positive "
                            "integers")
    if n > MAX_LUT_INPUTS:
        raise GatecompError(f"{where}: n={n}: gatecomp lowers LUTs of at most "
                            f"{MAX_LUT_INPUTS} inputs")
    if size_in != in_width:
        raise GatecompError(f"{where}: input_size={size_in} but it receives {in_width} bits")
    tables = _tensor(luts, "luts", where, (size_out, 1 << n), (torch.float32,)) > 0
    if weights is None:
        wiring = _in_range(_tensor(mapping, "mapping", where, (size_out, n), (torch.int32,)),
                           in_width, "mapping", where)
        kind = "fixed"
    else:
        w = _tensor(weights, "mapping.weights", where, (size_in, size_out * n),
                    (torch.float32,))
        chosen = np.argmax(w, axis=0).astype(np.int64)  # first index of the maximum
        slots = _in_range(_tensor(dummy, "_LUTLayer__dummy_mapping", where, (size_out, n),
                                  (torch.int32,)), size_out * n, "the dummy mapping", where)
        wiring, kind = chosen[slots], "learnable"
    return LutLayer(name, np.ascontiguousarray(wiring.T), tables, in_width, kind)


def group_sum(where: str, k: object, tau: object, randperm: object, width: int
              ) -> tuple[GroupSumSpec, np.ndarray]:
    """``GroupSum(k, tau)`` over ``width`` bits and its (k, block) index table: ``randperm``
    applied, the last group padded with zeros (-1)."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise GatecompError(f"{where}: GroupSum k={k!r} is not a positive integer")
    if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not math.isfinite(tau) \
            or tau <= 0:
        raise GatecompError(f"{where}: GroupSum tau={tau!r}: gatecomp reads a positive "
                            "finite number (a negative tau would reverse the classes)")
    order = np.arange(width, dtype=np.int64)
    if randperm is not None:
        if not isinstance(randperm, torch.Tensor) or randperm.ndim != 1 \
                or randperm.is_floating_point():
            raise GatecompError(f"{where}: GroupSum randperm is not a 1-d index tensor")
        order = _in_range(randperm.numpy(), width, "randperm", where)
    block = -(-len(order) // k)
    groups = np.full(k * block, -1, dtype=np.int64)
    groups[:len(order)] = order
    spec = GroupSumSpec(k, float(tau), width,
                        None if randperm is None else tuple(int(i) for i in order))
    _check_scores_order(spec, block, where)
    return spec, groups.reshape(k, block)


def _check_scores_order(gs: GroupSumSpec, block: int, where: str) -> None:
    """Refuse a tau whose float scores ``count / tau`` tie distinct counts (the class would
    depend on rounding, not on the counts the circuit compares)."""
    r = torch.arange(block + 1, dtype=torch.float32) / gs.tau
    if block and not bool((r[1:] > r[:-1]).all()):
        raise GatecompError(f"{where}: GroupSum tau={gs.tau} maps different counts to the same "
                            "float score, so the model's class depends on rounding; refusing")
