"""A torchlogix network as streaming window layers: one kernel circuit per conv/pool layer.

torchlogix's ``LogicConv2d`` adds the sliding offsets to one per-kernel tensor of
window-relative coordinates, so its first tree level reads, at every output position, the same
(channel, row, column) of the window, and its later levels are the same tree in every
position. ``OrPooling2d`` is the same OR over its window everywhere. Such a layer is therefore
one combinational circuit over a window (``C x rf x rf`` bits, C-order ``(c, dy, dx)``) whose
outputs are the layer's bits at one position, plus the geometry a window generator needs
(field, stride, zero padding). This module reads that circuit out of the frontend's flat
stages and *checks* the invariance at every position, index by index (the gather the
frontend built must equal the kernel's window mapped through the geometry, padding to the
constant 0); a layer that is not position-invariant is refused, never approximated.

What follows the last window layer (``Flatten`` + ``LogicDense`` layers + ``GroupSum``) is the
*tail*: a :class:`~gatecomp.frontends.torchlogix.network.Network` of its own over the last
feature map, lowered flat as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..aig import AIGBuilder, LogicNet, Port, bit_names
from ..errors import GatecompError
from ..frontends.torchlogix.lower import lower_stage
from ..frontends.torchlogix.network import LutStage, Network, OrStage, Stage

WINDOW_TYPES = ("LogicConv2d", "OrPooling2d")


@dataclass(frozen=True)
class Geometry:
    """A 2-D sliding window over a ``(C, H, W)`` map, zero padding ``pad`` on every side."""

    channels: int
    height: int
    width: int
    field: int
    stride: int
    pad: int

    @property
    def out_height(self) -> int:
        return (self.height + 2 * self.pad - self.field) // self.stride + 1

    @property
    def out_width(self) -> int:
        return (self.width + 2 * self.pad - self.field) // self.stride + 1

    @property
    def positions(self) -> int:
        return self.out_height * self.out_width

    @property
    def window_bits(self) -> int:
        return self.channels * self.field * self.field

    def origins(self) -> tuple[np.ndarray, np.ndarray]:
        """Per output position (raster order): the input row/column of the window's corner."""
        oh, ow = np.divmod(np.arange(self.positions), self.out_width)
        return oh * self.stride - self.pad, ow * self.stride - self.pad


@dataclass(frozen=True, eq=False)
class WindowLayer:
    """One conv or pool layer: its geometry and the kernel circuit at one position.

    ``kernel`` has input port ``w`` (the window, ``(c, dy, dx)`` C-order) and output port
    ``y`` (``out_channels`` bits: the layer's output channels at that position).
    """

    name: str
    type: str
    geometry: Geometry
    out_channels: int
    kernel: LogicNet
    gates_per_position: int
    stages: tuple[Stage, ...] = ()  # the frontend's flat stages of this layer (formal check)

    @property
    def out_shape(self) -> tuple[int, int, int]:
        g = self.geometry
        return (self.out_channels, g.out_height, g.out_width)


@dataclass(eq=False)
class StreamingNet:
    """The window layers in stream order, then the flat tail over the last feature map."""

    layers: list[WindowLayer]
    tail: Network
    network: Network  # the whole network, as the frontend read it
    meta: dict = field(default_factory=dict)

    @property
    def pixel_bits(self) -> int:
        return self.layers[0].geometry.channels

    @property
    def image_shape(self) -> tuple[int, int]:
        g = self.layers[0].geometry
        return (g.height, g.width)


def streaming_net(net: Network) -> StreamingNet:
    """The network as window layers + tail; refuses what cannot stream (see module doc)."""
    if net.comparators is not None:
        raise GatecompError("--conv streaming takes the binarization's bits; --input-bits "
                            "(comparators in hardware) is not supported with it yet")
    for i, stage in enumerate(net.stages):
        srcs = stage.src if isinstance(stage, OrStage) else (stage.src,)
        if tuple(srcs) != (i,):
            raise GatecompError(f"layer {stage.layer}: reads value {srcs}, not the layer "
                                "before it; --conv streaming needs a plain chain of layers "
                                "(no residual blocks)")
    types = {r.name: r.type for r in net.rows}
    groups = _layer_groups(net.stages)
    last = max((i for i, (name, _) in enumerate(groups) if types.get(name) in WINDOW_TYPES),
               default=-1)
    if last < 0:
        raise GatecompError("the network has no LogicConv2d/OrPooling2d layer to stream")
    layers, shape = [], net.input_shape
    for name, stages in groups[:last + 1]:
        kind = types.get(name, "?")
        if kind not in WINDOW_TYPES:
            raise GatecompError(f"layer {name} ({kind}) sits between window layers; "
                                f"--conv streaming streams only {', '.join(WINDOW_TYPES)}")
        layer = _window_layer(net, name, kind, stages, shape)
        layers.append(layer)
        shape = layer.out_shape
    return StreamingNet(layers, _tail(net, sum(len(s) for _, s in groups[:last + 1]), shape),
                        net)


def _layer_groups(stages: list[Stage]) -> list[tuple[str, list[Stage]]]:
    groups: list[tuple[str, list[Stage]]] = []
    for stage in stages:
        if groups and groups[-1][0] == stage.layer:
            groups[-1][1].append(stage)
        else:
            groups.append((stage.layer, [stage]))
    return groups


def _tail(net: Network, first: int, shape: tuple[int, ...]) -> Network:
    """The stages after the last window layer as a network over the last feature map."""
    stages = []
    for s in net.stages[first:]:
        if isinstance(s, LutStage):
            stages.append(LutStage(s.src - first, s.inputs, s.tables, s.shape, s.layer))
        else:
            stages.append(OrStage(tuple(v - first for v in s.src), s.inputs, s.shape, s.layer))
    rows = [r for r in net.rows if r.name in {s.layer for s in stages}]
    return Network(tuple(shape), stages, net.group_sum, None, rows, net.source, net.format,
                   net.version)


def _module_at(net: Network, path: str):
    m = net.origin
    for part in path.split(".") if path else []:
        m = getattr(m, "_modules", {}).get(part)
        if m is None:
            break
    if m is None:
        raise GatecompError(f"layer {path}: its module is not at hand to read the window "
                            "geometry from (--conv streaming needs the whole model)")
    return m


def _square(v: object, what: str, where: str) -> int:
    vals = tuple(int(x) for x in v) if isinstance(v, (tuple, list)) else (int(v),) * 2
    if len(vals) != 2 or vals[0] != vals[1]:
        raise GatecompError(f"{where}: {what} {vals}: --conv streaming supports square "
                            "windows, strides and padding")
    return vals[0]


def _geometry(net: Network, name: str, kind: str, shape: tuple[int, ...]) -> Geometry:
    m, where = _module_at(net, name), f"layer {name} ({kind})"
    if len(shape) != 3:
        raise GatecompError(f"{where}: input shape {shape} is not (channels, height, width)")
    if kind == "LogicConv2d":
        f = _square(m.receptive_field_size, "receptive field", where)
        s, p = _square(m.stride, "stride", where), _square(m.padding, "padding", where)
    else:
        f = _square(m.kernel_size, "kernel", where)
        s = _square(m.stride if m.stride is not None else m.kernel_size, "stride", where)
        p = _square(m.padding, "padding", where)
    return Geometry(int(shape[0]), int(shape[1]), int(shape[2]), f, s, p)


def relative_window(flat: np.ndarray, g: Geometry, where: str) -> np.ndarray:
    """Window indices ``(c, dy, dx)`` of a gather ``flat`` (..., positions) into the input map,
    after checking it is the same window entry at every position (-1 read at the borders
    exactly where the entry falls into the padding). -1: an entry that is always 0."""
    y0, x0 = g.origins()
    valid = flat >= 0
    c, rest = np.divmod(np.maximum(flat, 0), g.height * g.width)
    h, w = np.divmod(rest, g.width)
    f = g.field
    rel = np.where(valid, (c * f + (h - y0)) * f + (w - x0), -1)
    entry = rel.max(axis=-1)  # the one entry every valid position must agree on
    if ((rel != entry[..., None]) & valid).any():
        raise GatecompError(f"{where}: reads different window entries at different positions;"
                            " it is not a convolution --conv streaming can stream")
    ce, rest = np.divmod(np.maximum(entry, 0), f * f)
    dy, dx = np.divmod(rest, f)
    hh, ww = y0 + dy[..., None], x0 + dx[..., None]
    inside = (hh >= 0) & (hh < g.height) & (ww >= 0) & (ww < g.width) & (entry[..., None] >= 0)
    want = np.where(inside, (ce[..., None] * g.height + hh) * g.width + ww, -1)
    if (ce >= g.channels).any() or not np.array_equal(want, flat):
        raise GatecompError(f"{where}: its gather is not the window {f}x{f}, stride {g.stride},"
                            f" padding {g.pad} at every position; refused")
    return entry


def _window_layer(net: Network, name: str, kind: str, stages: list[Stage],
                  shape: tuple[int, ...]) -> WindowLayer:
    g = _geometry(net, name, kind, shape)
    where = f"layer {name} ({kind})"
    out = stages[-1].shape
    if tuple(out[1:]) != (g.out_height, g.out_width):
        raise GatecompError(f"{where}: output {out} does not match the geometry {g}")
    if kind == "LogicConv2d":
        local = conv_kernel_stages(stages, g, where)
    else:
        local = [pool_kernel_stage(stages, g, where)]
    builder = AIGBuilder(g.window_bits, bit_names((Port("w", g.window_bits),)))
    values = [builder.inputs()]
    for stage in local:
        values.append(lower_stage(builder, stage, values))
    ports_in, ports_out = (Port("w", g.window_bits),), (Port("y", int(out[0])),)
    kernel = LogicNet(builder.build(values[-1], bit_names(ports_out)), ports_in, ports_out,
                      {"layer": name, "type": kind})
    gates = sum(s.width for s in local if isinstance(s, LutStage))
    return WindowLayer(name, kind, g, int(out[0]), kernel, gates if gates else
                       int(out[0]) * (g.field * g.field - 1), tuple(stages))


def conv_kernel_stages(stages: list[Stage], g: Geometry, where: str) -> list[LutStage]:
    """The conv's tree levels at one position (value 0 = the window), checked per position."""
    if not all(isinstance(s, LutStage) for s in stages):
        raise GatecompError(f"{where}: expected LUT tree levels")
    kernels, p = int(stages[-1].shape[0]), g.positions
    local: list[LutStage] = []
    prev = 0
    for level, s in enumerate(stages):
        rank, n = s.inputs.shape
        width = n // (kernels * p)
        idx = s.inputs.reshape(rank, kernels, p, width)
        tables = s.tables.reshape(kernels, p, width, -1)
        if not (tables == tables[:, :1]).all():
            raise GatecompError(f"{where}: level {level} has different tables at different "
                                "positions")
        if level == 0:
            win = relative_window(idx.transpose(0, 1, 3, 2), g, f"{where} level 0")
        else:
            block = (np.arange(kernels)[:, None] * p + np.arange(p)[None]) * prev
            rel = idx - block[None, :, :, None]
            if not (rel == rel[:, :, :1]).all() or rel.min() < 0 or rel.max() >= prev:
                raise GatecompError(f"{where}: level {level} wiring differs between positions")
            win = rel[:, :, 0] + (np.arange(kernels) * prev)[None, :, None]
        local.append(LutStage(level, win.reshape(rank, kernels * width),
                              np.ascontiguousarray(tables[:, 0].reshape(kernels * width, -1)),
                              (kernels, width), s.layer))
        prev = width
    return local


def pool_kernel_stage(stages: list[Stage], g: Geometry, where: str) -> OrStage:
    """The OR-pool at one position: output channel ``c`` ORs window entries of channel ``c``."""
    (s,) = stages
    if not isinstance(s, OrStage) or len(s.inputs) != 1:
        raise GatecompError(f"{where}: expected one OR stage")
    w = s.inputs[0].shape[0]
    win = relative_window(s.inputs[0].reshape(w, g.channels, g.positions), g, where)
    return OrStage((0,), (win,), (g.channels,), s.layer)

