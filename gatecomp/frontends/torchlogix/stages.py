"""Each torchlogix layer's eval forward as gather-and-LUT stages (see :mod:`.network`).

The index arithmetic follows torchlogix 0.2.2's forward step by step: ``LogicDense`` gathers
``x[..., indices]`` (learnable wiring: the first-index argmax of its candidate weights, as the
eval forward takes it); ``LogicConv`` pads with zeros, gathers ``x[c, h, w]`` at the stored
per-position coordinates (``_indices_L0``: the sliding window is already in them) and reduces the
tree level by level (``_indices_L<l>``); the transposed convolution first dilates the input with
zeros and appends ``output_padding``; ``OrPooling`` is ``max_pool`` on 0/1 values, an OR over the
window with padding that never wins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ...errors import GatecompError
from .network import GroupSumSpec, LayerRow, LutStage, OrStage, Stage
from .standins import short_name
from .tables import eval_tables

_KINDS = {"RawLUTParametrization": "raw", "LightLUTParametrization": "light",
          "WarpLUTParametrization": "warp"}


@dataclass
class Built:
    stages: list[Stage]
    row: LayerRow
    shape: tuple[int, ...]


def build(kind: str, m: nn.Module, value: int, shape: tuple[int, ...], path: str,
          where: str) -> Built | None:
    """The stages of one layer, or None for a layer that is not a stage."""
    if kind == "LogicDense":
        return dense(m, value, shape, path, where)
    if kind.startswith("LogicConv"):
        return conv(m, value, shape, path, where, transposed="Transpose" in kind)
    if kind.startswith("OrPooling"):
        return pool(m, value, shape, path, where, dims=3 if kind.endswith("3d") else 2)
    return None


def _parametrization(m: nn.Module, where: str) -> tuple[str, int]:
    p = m._modules["parametrization"]
    kind = _KINDS[short_name(p)]
    rank = int(m.lut_rank)
    if int(p.lut_rank) != rank:
        raise GatecompError(f"{where}: layer lut_rank {rank} but parametrization lut_rank "
                            f"{p.lut_rank}")
    if kind == "warp" and p.materialize_basis:
        raise GatecompError(f"{where}: warp with materialize_basis=True sums the Walsh terms in "
                            "an order gatecomp cannot replay exactly; save it with "
                            "materialize_basis=False (the same function, summed term by term)")
    return kind, rank


def _int_tensor(t: object, shape: tuple[int, ...] | None, where: str, what: str) -> np.ndarray:
    if not isinstance(t, torch.Tensor) or t.is_floating_point() or t.dtype == torch.bool \
            or t.is_complex():
        raise GatecompError(f"{where}: {what} is not an integer tensor")
    if shape is not None and tuple(t.shape) != shape:
        raise GatecompError(f"{where}: {what} has shape {tuple(t.shape)}, expected {shape}")
    return t.detach().cpu().numpy().astype(np.int64)


def _in_range(idx: np.ndarray, high: int, where: str, what: str) -> None:
    if idx.size and (idx.min() < 0 or idx.max() >= high):
        bad = int(idx.min() if idx.min() < 0 else idx.max())
        raise GatecompError(f"{where}: {what} index {bad} out of range 0..{high - 1}")


# -- LogicDense ----------------------------------------------------------------------------
def dense_wiring(conn: nn.Module, rank: int, out: int, in_dim: int, where: str) -> np.ndarray:
    """(rank, out) input indices the eval forward gathers."""
    if short_name(conn) == "LearnableDenseConnections":
        w = conn._parameters["weights"]
        cand = _int_tensor(conn._buffers.get("indices"), None, where, "connections.indices")
        if not isinstance(w, torch.Tensor) or w.ndim != 3 or tuple(w.shape[1:]) != (rank, out) \
                or tuple(cand.shape) != tuple(w.shape):
            raise GatecompError(f"{where}: learnable connection weights/indices do not have "
                                f"shape (candidates, {rank}, {out})")
        if not bool(torch.isfinite(w).all()):
            raise GatecompError(f"{where}: learnable connection weights contain NaN or inf")
        chosen = np.argmax(w.detach().cpu().numpy(), axis=0)  # first max, as torch.argmax
        idx = np.take_along_axis(cand, chosen[None], axis=0)[0]
    else:
        idx = _int_tensor(conn._buffers.get("indices"), (rank, out), where,
                          "connections.indices")
    _in_range(idx, in_dim, where, "wiring")
    return idx


def dense(m: nn.Module, value: int, shape: tuple[int, ...], path: str, where: str) -> Built:
    kind, rank = _parametrization(m, where)
    in_dim, out = int(m.in_dim), int(m.out_dim)
    if shape[-1] != in_dim:
        raise GatecompError(f"{where}: reads the last dimension as {in_dim} features but "
                            f"receives shape {shape}")
    conn = m._modules["connections"]
    if int(conn.lut_rank) != rank:
        raise GatecompError(f"{where}: connections lut_rank {conn.lut_rank} differs from the "
                            f"layer's {rank}")
    idx = dense_wiring(conn, rank, out, in_dim, where)
    tables = eval_tables(kind, rank, m._parameters["weight"], where)
    if tables.shape[0] != out:
        raise GatecompError(f"{where}: {tables.shape[0]} weight rows for out_dim {out}")
    rows = math.prod(shape[:-1])
    offsets = (np.arange(rows, dtype=np.int64) * in_dim)[:, None]
    inputs = (idx[:, None, :] + offsets[None]).reshape(rank, rows * out)
    out_shape = (*shape[:-1], out)
    stage = LutStage(value, inputs, np.tile(tables, (rows, 1)), out_shape, path)
    wiring = short_name(conn).removesuffix("DenseConnections").lower()
    row = LayerRow(path, "LogicDense", shape, out_shape, out, rows * out,
                   int(m._parameters["weight"].numel()),
                   f"{kind}, lut_rank {rank}, {wiring} connections")
    return Built([stage], row, out_shape)


# -- LogicConv -----------------------------------------------------------------------------
def _axis_maps(m: nn.Module, conn: nn.Module, transposed: bool) -> list[np.ndarray]:
    """Per spatial axis: padded coordinate -> input coordinate, or -1 (a zero)."""
    maps = []
    if transposed:
        for eff, orig in zip(conn.in_dim, conn.orig_in_dim, strict=True):
            u = np.arange(eff + 2 * conn.padding) - conn.padding
            ok = (u >= 0) & (u < eff) & (u % conn.orig_stride == 0) \
                & (u // conn.orig_stride < orig)
            maps.append(np.where(ok, u // conn.orig_stride, -1))
    else:
        for dim in m.in_dim:
            u = np.arange(dim + 2 * m.padding) - m.padding
            maps.append(np.where((u >= 0) & (u < dim), u, -1))
    return maps


def _level0_inputs(m: nn.Module, conn: nn.Module, shape: tuple[int, ...], transposed: bool,
                   where: str) -> np.ndarray:
    """(rank, K, P, S) flat input indices of the first tree level (-1: padding)."""
    dims = int(m.conv_dimension)
    coords = _int_tensor(conn._buffers.get("_indices_L0"), None, where,
                         "connections._indices_L0")
    if coords.ndim != 5 or coords.shape[-1] != dims + 1:
        raise GatecompError(f"{where}: _indices_L0 has shape {coords.shape}, expected "
                            f"(lut_rank, kernels, positions, leaves, {dims + 1})")
    maps = _axis_maps(m, conn, transposed)
    channel = coords[..., dims]
    _in_range(channel, shape[0], where, "channel")
    flat = channel
    valid = np.ones(channel.shape, dtype=bool)
    for axis, amap in enumerate(maps):
        c = coords[..., axis]
        _in_range(c, len(amap), where, f"axis {axis} (padded)")
        orig = amap[c]
        valid &= orig >= 0
        flat = flat * shape[1 + axis] + np.maximum(orig, 0)
    return np.where(valid, flat, -1)


def conv(m: nn.Module, value: int, shape: tuple[int, ...], path: str, where: str,
         transposed: bool) -> Built:
    kind, rank = _parametrization(m, where)
    conn = m._modules["connections"]
    channels, kernels, depth = int(m.channels), int(m.num_kernels), int(m.tree_depth or 0)
    expect = (channels, *(int(d) for d in (conn.orig_in_dim if transposed else m.in_dim)))
    if shape != expect:
        raise GatecompError(f"{where}: expects input shape {expect}, receives {shape}")
    if depth < 1:
        raise GatecompError(f"{where}: tree_depth {depth}: a tree needs at least one level")
    idx0 = _level0_inputs(m, conn, shape, transposed, where)
    positions = math.prod(int(p) for p in m.kernel_positions)
    leaves = rank ** (depth - 1)
    if idx0.shape != (rank, kernels, positions, leaves):
        raise GatecompError(f"{where}: _indices_L0 covers {idx0.shape[1:]} (kernels, positions, "
                            f"leaves), expected {(kernels, positions, leaves)}")
    weights = m._modules["tree_weights"]
    stages, v = [], value
    inputs, width = idx0.reshape(rank, -1), leaves
    for level in range(depth):
        w = weights._parameters.get(str(level))
        if not isinstance(w, torch.Tensor) or w.ndim != 3 or tuple(w.shape[:2]) != \
                (width, kernels):
            raise GatecompError(f"{where}: tree_weights.{level} should be ({width}, {kernels}, "
                                "entries)")
        t = eval_tables(kind, rank, w.reshape(width * kernels, -1), f"{where} level {level}")
        t = t.reshape(width, kernels, -1).transpose(1, 0, 2)[:, None]  # (K, 1, S, E)
        t = np.broadcast_to(t, (kernels, positions, width, t.shape[-1])).reshape(
            kernels * positions * width, -1)
        stages.append(LutStage(v, inputs, np.ascontiguousarray(t),
                               (kernels, positions, width), path))
        v += 1
        if level + 1 < depth:
            inputs, width = _next_level(conn, level + 1, rank, width, kernels * positions,
                                        where)
    if width != 1 or len(weights._parameters) != depth:
        raise GatecompError(f"{where}: the tree does not reduce to one output per kernel")
    out_shape = (kernels, *(int(p) for p in m.kernel_positions))
    last = stages[-1]
    stages[-1] = LutStage(last.src, last.inputs, last.tables, out_shape, path)
    gates = sum(rank ** i for i in range(depth))
    params = sum(int(p.numel()) for p in weights._parameters.values())
    row = LayerRow(path, short_name(m), shape, out_shape, kernels * gates,
                   kernels * gates * positions, params,
                   f"{kind}, lut_rank {rank}, depth {depth}, field {tuple(m.receptive_field_size)}"
                   f", stride {m.stride}, padding {m.padding}")
    return Built(stages, row, out_shape)


def _next_level(conn: nn.Module, level: int, rank: int, prev: int, blocks: int, where: str
                ) -> tuple[np.ndarray, int]:
    """Inputs of tree level ``level``: ``x[..., _indices_L<level>]`` within each block."""
    idx = _int_tensor(conn._buffers.get(f"_indices_L{level}"), None, where,
                      f"connections._indices_L{level}")
    if idx.ndim != 2 or idx.shape[0] != rank:
        raise GatecompError(f"{where}: _indices_L{level} has shape {idx.shape}, expected "
                            f"({rank}, nodes)")
    _in_range(idx, prev, where, f"tree level {level}")
    width = idx.shape[1]
    base = (np.arange(blocks, dtype=np.int64) * prev)[None, :, None]
    return (base + idx[:, None, :]).reshape(rank, blocks * width), width


# -- OrPooling -----------------------------------------------------------------------------
def _tuple(v: object, n: int) -> tuple[int, ...]:
    return tuple(int(x) for x in v) if isinstance(v, (tuple, list)) else (int(v),) * n


def pool(m: nn.Module, value: int, shape: tuple[int, ...], path: str, where: str,
         dims: int) -> Built:
    if len(shape) != dims + 1:
        raise GatecompError(f"{where}: expects a {dims + 1}-d (channels, ...) input, "
                            f"receives {shape}")
    k = _tuple(m.kernel_size, dims)
    s = _tuple(m.stride if m.stride is not None else m.kernel_size, dims)
    p = _tuple(m.padding, dims)
    if any(pi * 2 > ki for pi, ki in zip(p, k, strict=True)):
        raise GatecompError(f"{where}: padding {p} exceeds half the kernel {k} (torch refuses "
                            "it)")
    out = tuple((d + 2 * pi - ki) // si + 1 for d, ki, si, pi in zip(shape[1:], k, s, p,
                                                                      strict=True))
    grids = np.meshgrid(*[np.arange(o) for o in out], *[np.arange(ki) for ki in k],
                        indexing="ij")
    flat = np.zeros(grids[0].shape, dtype=np.int64)
    valid = np.ones(grids[0].shape, dtype=bool)
    for axis in range(dims):
        u = grids[axis] * s[axis] - p[axis] + grids[dims + axis]
        valid &= (u >= 0) & (u < shape[1 + axis])
        flat = flat * shape[1 + axis] + np.clip(u, 0, shape[1 + axis] - 1)
    window = np.where(valid, flat, -1).reshape(math.prod(out), math.prod(k)).T  # (w, P)
    plane = math.prod(shape[1:])
    chan = (np.arange(shape[0], dtype=np.int64) * plane)[:, None]
    inputs = np.where(window[:, None, :] >= 0, window[:, None, :] + chan[None], -1)
    out_shape = (shape[0], *out)
    stage = OrStage((value,), (inputs.reshape(len(window), -1),), out_shape, path)
    row = LayerRow(path, short_name(m), shape, out_shape, math.prod(k) - 1,
                   (math.prod(k) - 1) * math.prod(out_shape), 0,
                   f"kernel {k}, stride {s}, padding {p}")
    return Built([stage], row, out_shape)


# -- GroupSum, input shape, binarization ---------------------------------------------------
def group_sum(m: nn.Module, where: str) -> GroupSumSpec:
    k, tau, beta = m.k, m.tau, getattr(m, "beta", 0.0)
    if not isinstance(k, int) or k < 1:
        raise GatecompError(f"{where}: GroupSum k={k!r} is not a positive integer")
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (tau, beta)) \
            or tau <= 0:
        raise GatecompError(f"{where}: GroupSum tau={tau!r}, beta={beta!r}: tau must be a "
                            "positive number and beta finite")
    return GroupSumSpec(k, float(tau), float(beta))


def check_scores_order(gs: GroupSumSpec, block: int, label: str) -> None:
    """Refuse a GroupSum whose float scores ``(count + beta) / tau`` tie distinct counts: the
    class would then depend on rounding, not on the counts the circuit compares."""
    r = torch.arange(block + 1, dtype=torch.float32)
    if gs.beta != 0.0:
        r = r + gs.beta
    if gs.tau != 1.0:
        r = r / gs.tau
    if block and not bool((r[1:] > r[:-1]).all()):
        raise GatecompError(f"{label}: GroupSum tau={gs.tau}, beta={gs.beta} maps different "
                            "counts to the same float score, so the model's class depends on "
                            "rounding; gatecomp refuses rather than guess its tie")


def input_shape(layers: list[tuple[str, nn.Module]], label: str
                ) -> tuple[tuple[int, ...], bool]:
    """The shape of the tensor the first logic layer reads, and whether a Flatten (which
    hides the shape before it) comes first."""
    flattened = False
    for _path, m in layers:
        kind = short_name(m)
        if isinstance(m, nn.Flatten):
            flattened = True
        elif isinstance(m, nn.Identity):
            continue
        elif kind == "ResidualLogicBlock" and not flattened:
            return input_shape(_opened(m._modules["main"]), label)[0], False
        elif kind == "LogicDense":
            return (int(m.in_dim),), flattened
        elif kind.startswith("LogicConv") and not flattened:
            conn = m._modules["connections"]
            dims = conn.orig_in_dim if "Transpose" in kind else m.in_dim
            return (int(m.channels), *(int(d) for d in dims)), False
        else:
            break
    raise GatecompError(f"{label}: cannot tell the input shape: the first logic layer must be "
                        "a LogicDense or LogicConv (after an optional binarization/Flatten)")


def _opened(m: nn.Module) -> list[tuple[str, nn.Module]]:
    if isinstance(m, nn.Sequential):
        return [pair for key, child in m._modules.items() for pair in _opened(child)]
    return [("", m)]
