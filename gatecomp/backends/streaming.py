"""Streaming conv hardware (Amaranth): window layers chained by valid/ready, then the flat tail.

One pixel (``C`` bits, bit ``c`` = channel ``c``) enters per clock in raster order. Every window
layer (:class:`WindowStage`) walks the *padded* raster of its input map one step per enabled
clock: a step inside the image consumes a pixel, a step in the padding inserts zeros without
waiting for input. Its line buffer (one ``amaranth.lib.memory.Memory`` row per padded column,
``(field - 1) * C`` bits wide: the column's previous rows, so Yosys infers block RAM where the
device has it) and ``field - 1`` columns of window registers give the whole ``field x field``
window the moment its bottom-right pixel arrives; the layer's kernel circuit (the same
:class:`~gatecomp.backends.amaranth.LogicNetComponent` logic as any net, combinational here)
computes the output channels at that position and, at strided positions whose window is
complete, the result enters a two-entry skid buffer. The skid buffer's ``in_ready`` is a
register, so ``ready`` never ripples through more than one layer: a stall anywhere freezes the
layers behind it, one per clock, without losing a pixel.

The last map is collected into a register (C-order, as the flat model flattens it); the tail
(dense layers + GroupSum, pipelined like any flat net) takes it as one vector, and its class
counts and ``pred`` leave with ``out_valid``/``out_ready`` as in every gatecomp module.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..aig import LogicNet
from ..mapping.stages import PipelinePlan
from .amaranth import DEFAULT_CORE_NAME, LogicNetComponent


@dataclass(frozen=True)
class StageSpec:
    """What the hardware of one window layer needs (mirrors ``streaming.layers.Geometry``)."""

    name: str
    channels: int
    height: int
    width: int
    field: int
    stride: int
    pad: int
    kernel: LogicNet  # inputs: the window, (c, dy, dx) C-order; outputs: the K channels

    @property
    def out_channels(self) -> int:
        return self.kernel.aig.num_outputs

    @property
    def padded(self) -> tuple[int, int]:
        return self.height + 2 * self.pad, self.width + 2 * self.pad

    @property
    def out_size(self) -> tuple[int, int]:
        hp, wp = self.padded
        return (hp - self.field) // self.stride + 1, (wp - self.field) // self.stride + 1


def _mask(bits: list[bool]) -> Const:
    return Const(sum(1 << i for i, b in enumerate(bits) if b), max(1, len(bits)))


def _counter_flags(size: int, real: int, pad: int, field: int, stride: int,
                   outs: int) -> tuple[list[bool], list[bool], list[bool]]:
    """Per padded coordinate: is it padding, does a window end there (strided, in range),
    is it the last one."""
    padding = [not (pad <= i < pad + real) for i in range(size)]
    ends = [i >= field - 1 and (i - field + 1) % stride == 0 and (i - field + 1) // stride < outs
            for i in range(size)]
    return padding, ends, [i == size - 1 for i in range(size)]


def _flag_register(m: Module, bits: list[bool], index, advance, name: str) -> Signal:
    """A register equal to ``bits[index]`` on every clock, so the walk's control starts at a
    flip-flop instead of a constant lookup: when ``advance`` moves ``index`` to the next
    coordinate (cyclically) it loads that coordinate's bit, read from the rotated constant."""
    flag = Signal(name=name, init=int(bits[0]))
    with m.If(advance):
        m.d.sync += flag.eq(_mask(bits[1:] + bits[:1]).bit_select(index, 1))
    return flag


class SkidBuffer(wiring.Component):
    """A two-entry register slice whose ``in_ready`` is a register (cuts the ready path)."""

    def __init__(self, width: int):
        self.width = width
        super().__init__({"in_valid": In(1), "in_ready": Out(1), "in_data": In(width),
                          "out_valid": Out(1), "out_ready": In(1), "out_data": Out(width)})

    def elaborate(self, platform) -> Module:
        m = Module()
        main_v, skid_v = Signal(name="main_valid"), Signal(name="skid_valid")
        main_d = Signal(self.width, name="main_data", reset_less=True)
        skid_d = Signal(self.width, name="skid_data", reset_less=True)
        m.d.comb += [self.in_ready.eq(~skid_v), self.out_valid.eq(main_v),
                     self.out_data.eq(main_d)]
        with m.If(self.out_ready | ~main_v):
            with m.If(skid_v):
                m.d.sync += [main_v.eq(1), main_d.eq(skid_d), skid_v.eq(0)]
            with m.Else():
                m.d.sync += [main_v.eq(self.in_valid), main_d.eq(self.in_data)]
        with m.Elif(self.in_valid & ~skid_v):
            m.d.sync += [skid_v.eq(1), skid_d.eq(self.in_data)]
        return m


def _stream_members(in_width: int, out_width: int) -> dict:
    return {"in_valid": In(1), "in_ready": Out(1), "in_data": In(in_width),
            "out_valid": Out(1), "out_ready": In(1), "out_data": Out(out_width)}


class WindowStage(wiring.Component):
    """One conv/pool layer: padded raster walk, line buffer, window, kernel, skid buffer."""

    def __init__(self, spec: StageSpec):
        self.spec = spec
        super().__init__(_stream_members(spec.channels, spec.out_channels))

    def elaborate(self, platform) -> Module:
        m, s = Module(), self.spec
        hp, wp = s.padded
        oh, ow = s.out_size
        y = Signal(range(hp), name="y")
        x = Signal(range(wp), name="x")
        x_next = Signal(range(wp), name="x_next", init=1 % wp)  # (x + 1) mod wp, registered
        step = Signal(name="step")
        pad_x, end_x, last_x = self._flags(m, x, step, wp, s.width, ow, "x")
        pad_y, end_y, last_y = self._flags(m, y, step & last_x, hp, s.height, oh, "y")
        is_pad = Signal(name="is_pad")
        emits = Signal(name="emits")
        m.d.comb += [is_pad.eq(pad_y | pad_x), emits.eq(end_y & end_x)]
        m.submodules.skid = skid = SkidBuffer(s.out_channels)
        room = ~emits | skid.in_ready
        m.d.comb += [step.eq((is_pad | self.in_valid) & room),
                     self.in_ready.eq(~is_pad & room)]
        pixel = Signal(s.channels, name="pixel")
        m.d.comb += pixel.eq(Mux(is_pad, 0, self.in_data))
        with m.If(step):
            m.d.sync += [x.eq(x_next), x_next.eq(Mux(x_next == wp - 1, 0, x_next + 1))]
            with m.If(last_x):
                m.d.sync += y.eq(Mux(last_y, 0, y + 1))
        column = self._column(m, pixel, x, x_next, step)  # rows top -> bottom, C bits each
        window = self._window(m, column, step)
        m.submodules.kernel = kernel = LogicNetComponent(s.kernel, None, "level")
        m.d.comb += [kernel.in_valid.eq(1), kernel.out_ready.eq(1),
                     kernel.in_data.eq(window)]
        m.d.comb += [skid.in_valid.eq(step & emits), skid.in_data.eq(kernel.out_y)]
        m.d.comb += [self.out_valid.eq(skid.out_valid), self.out_data.eq(skid.out_data),
                     skid.out_ready.eq(self.out_ready)]
        return m

    def _flags(self, m: Module, coord, advance, size: int, real: int, outs: int,
               axis: str) -> list[Signal]:
        """Registered (padding, window ends, last) flags of the walk's current ``coord``."""
        s = self.spec
        bits = _counter_flags(size, real, s.pad, s.field, s.stride, outs)
        return [_flag_register(m, b, coord, advance, f"{n}_{axis}")
                for b, n in zip(bits, ("pad", "end", "last"), strict=True)]

    def _column(self, m: Module, pixel, x, x_next, step) -> list:
        """The window's newest column: the line buffer's rows at ``x`` above ``pixel``."""
        s = self.spec
        if s.field == 1:
            return [pixel]
        c, depth = s.channels, s.padded[1]
        mem = Memory(shape=c * (s.field - 1), depth=depth, init=[])
        m.submodules.line_buffer = mem
        rd, wr = mem.read_port(domain="sync"), mem.write_port()
        # slot 0 holds row y-1, slot field-2 row y-field+1; each step reads the next column
        # (nothing writes it before the walk gets there), so the address is a register
        m.d.comb += [rd.addr.eq(x_next), rd.en.eq(step),
                     wr.addr.eq(x), wr.en.eq(step),
                     wr.data.eq(Cat(pixel, rd.data[:c * (s.field - 2)]))]
        slots = [rd.data[i * c:(i + 1) * c] for i in range(s.field - 1)]
        return [*reversed(slots), pixel]

    def _window(self, m: Module, column: list, step):
        """Kernel input in (c, dy, dx) order: ``field - 1`` registered columns + ``column``."""
        s = self.spec
        f, c = s.field, s.channels
        cols = [[Signal(c, name=f"win_r{dy}_c{dx}", reset_less=True) for dy in range(f)]
                for dx in range(f - 1)]
        cols.append(column)
        with m.If(step):
            for dx in range(f - 1):
                m.d.sync += [cols[dx][dy].eq(cols[dx + 1][dy]) for dy in range(f)]
        return Cat(*[cols[dx][dy][ch] for ch in range(c) for dy in range(f) for dx in range(f)])


class Collector(wiring.Component):
    """The last map, pixel by pixel, into one register in C-order ``(channel, position)``."""

    def __init__(self, channels: int, positions: int):
        self.channels, self.positions = channels, positions
        super().__init__({"in_valid": In(1), "in_ready": Out(1), "in_data": In(channels),
                          "out_valid": Out(1), "out_ready": In(1),
                          "out_data": Out(channels * positions)})

    def elaborate(self, platform) -> Module:
        m = Module()
        k, p = self.channels, self.positions
        full = Signal(name="full")
        pos = Signal(range(max(2, p)), name="pos")
        held = [Signal(k, name=f"feat{i}", reset_less=True) for i in range(p)]
        m.d.comb += [self.in_ready.eq(~full), self.out_valid.eq(full),
                     self.out_data.eq(Cat(*[held[i][ch] for ch in range(k) for i in range(p)]))]
        with m.If(full & self.out_ready):
            m.d.sync += full.eq(0)
        with m.If(self.in_valid & ~full):
            with m.Switch(pos):
                for i in range(p):
                    with m.Case(i):
                        m.d.sync += held[i].eq(self.in_data)
            with m.If(pos == p - 1):
                m.d.sync += [pos.eq(0), full.eq(1)]
            with m.Else():
                m.d.sync += pos.eq(pos + 1)
        return m


class StreamingComponent(wiring.Component):
    """The whole streaming net: pixels in (``in_data``: C bits), class counts + ``pred`` out."""

    def __init__(self, stages: list[StageSpec], tail: LogicNet, plan: PipelinePlan | None,
                 construction: str = "auto", core_name: str = DEFAULT_CORE_NAME):
        self.stages, self.tail_net = stages, tail
        self.tail = LogicNetComponent(tail, plan, construction, core_name)
        members = {"in_valid": In(1), "in_ready": Out(1), "in_data": In(stages[0].channels),
                   "out_valid": Out(1), "out_ready": In(1)}
        for hdl, _, width in self.tail.output_port_names():
            members[hdl] = Out(width)
        super().__init__(members)

    @property
    def construction(self) -> str:
        return self.tail.construction

    def output_port_names(self) -> list[tuple[str, str, int]]:
        return self.tail.output_port_names()

    def elaborate(self, platform) -> Module:
        m = Module()
        prev_valid, prev_data, prev_ready = self.in_valid, self.in_data, self.in_ready
        for i, spec in enumerate(self.stages):
            stage = WindowStage(spec)
            m.submodules[f"layer{i}"] = stage
            m.d.comb += [stage.in_valid.eq(prev_valid), stage.in_data.eq(prev_data),
                         prev_ready.eq(stage.in_ready)]
            prev_valid, prev_data, prev_ready = stage.out_valid, stage.out_data, stage.out_ready
        last = self.stages[-1]
        oh, ow = last.out_size
        m.submodules.collect = col = Collector(last.out_channels, oh * ow)
        m.d.comb += [col.in_valid.eq(prev_valid), col.in_data.eq(prev_data),
                     prev_ready.eq(col.in_ready)]
        m.submodules.tail = tail = self.tail
        m.d.comb += [tail.in_valid.eq(col.out_valid), tail.in_data.eq(col.out_data),
                     col.out_ready.eq(tail.in_ready), tail.out_ready.eq(self.out_ready),
                     self.out_valid.eq(tail.out_valid)]
        for hdl, _, _ in self.output_port_names():
            m.d.comb += getattr(self, hdl).eq(getattr(tail, hdl))
        return m
