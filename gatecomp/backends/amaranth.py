"""LogicNet + PipelinePlan -> an Amaranth ``Component`` with the stream port contract.

Ports (see the README's RTL port contract): ``in_valid``, ``in_ready``, ``in_data``,
``out_valid``, ``out_ready`` and one ``out_<port>`` per LogicNet output port; ``clk``/``rst``
are the default ``sync`` domain. ``out_ready`` is the clock enable of every pipeline register,
``in_ready = out_ready``, and a ``valid`` shift register (cleared by reset) runs beside the data.

Construction (measured in ``bench/backend_speed.py``): the default ``"level"`` construction
makes one wide signal per logic level, ``l<k>``, assigned in a single statement
``l<k> = ({fanin0 bits} ^ mask0) & ({fanin1 bits} ^ mask1)``. Bit ``i`` of ``l<k>`` is the
``i``-th AND node at level ``k`` in ascending AIG node order. Register rank ``b`` is one wide
signal ``r<b>`` whose bit ``i`` holds the ``i``-th node (ascending) that the plan carries in that
rank. Vectors wider than ``MAX_VECTOR_BITS`` are split into ``l<k>_<j>`` / ``r<b>_<j>``
(Amaranth caps a cell at 65536 bits). Statements and Yosys cells are per level, not per gate;
what remains per gate is one bit reference per fanin (consecutive bits of one signal are merged
into one slice), which Amaranth still lowers one by one. It measured 4-5x faster than a signal
per gate at 100k gates. The ``"gate"`` construction (one named signal and statement
``l<k>_g<node> = a & ~b`` per AND) reads best for small nets and is the benchmark's baseline;
``"wires"`` (a named 1-bit signal per AND, assigned a level at a time) sits in between and is
kept for the benchmark.

Even the level construction costs about 0.1 ms and 3.5 kB per AND inside Amaranth and Yosys
(minutes and gigabytes at a million gates), so ``"direct"`` keeps only the handshake here
(``in_ready``, the ``valid`` shift register) and instantiates the gate logic as the module
``core_name``, which :mod:`gatecomp.backends.verilog_core` writes as Verilog text with the same
names and structure.
Such a component converts to Verilog but cannot run in Amaranth's simulator (an ``Instance`` is
a black box there). ``"auto"`` (see :func:`resolve_construction`) picks ``"level"`` up to
:data:`DIRECT_THRESHOLD` ANDs and ``"direct"`` above.
"""

from __future__ import annotations

from operator import itemgetter

import numpy as np
from amaranth.hdl import Cat, ClockDomain, ClockSignal, Const, Instance, Module, Signal
from amaranth.hdl import Fragment as _Fragment
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..aig import LogicNet
from ..mapping.stages import PipelinePlan, level_groups, plan_pipeline
from .verilog_core import MAX_VECTOR_BITS, core_ports

# MAX_VECTOR_BITS is the widest vector signal (Amaranth caps a cell at 65536 bits; narrower
# also keeps Yosys linear), shared with verilog_core so that all constructions name bits alike

CONSTRUCTIONS = ("level", "gate", "wires", "direct")
#: ``"auto"`` uses ``"level"`` up to this many ANDs and ``"direct"`` above. Measured with
#: bench/backend_speed.py (one process each, 2-core machine): "level" costs 0.12 s and 3.5 MB
#: per 1000 ANDs (150k: 18 s, 0.6 GB peak; 1M: 152 s, 3.1 GB), "direct" under 1 s and 0.2 GB
#: up to 250k (1M: 1.7 s, 0.3 GB). Up to 150k "level" stays within 10% of the 3-minute budget
#: and keeps the all-Amaranth design (simulable in Amaranth); a 100k-gate DLGN (~190k ANDs)
#: already goes "direct", which saves ~25 s of its ~45 s compile.
DIRECT_THRESHOLD = 150_000
#: the core module's name when the caller gives none (``emit_verilog`` uses ``NAME_core``)
DEFAULT_CORE_NAME = "gatecomp_core"
#: Amaranth numbers all top-level input bits of a module in 16 bits (2 reserved; 4 are ours)
MAX_INPUT_BITS = (1 << 16) - 2 - 4
RESERVED_PORTS = ("clk", "rst", "in_valid", "in_ready", "in_data", "out_valid", "out_ready")


class LogicNetComponent(wiring.Component):
    """The hardware of one LogicNet: stream ports around the (pipelined) gate logic.

    Parameters
    ----------
    net:
        The network; its AIG is emitted as is (run ``cleanup`` first to drop dead gates).
    plan:
        A :class:`~gatecomp.mapping.stages.PipelinePlan` for ``net.aig``; ``None`` means
        combinational.
    construction:
        ``"level"`` (one wide signal per logic level; scales to millions of gates),
        ``"gate"`` (one signal and statement per AND; readable, for small nets), ``"wires"``
        (one signal per AND, one statement per level), ``"direct"`` (an ``Instance`` of the
        module ``core_name`` written by :mod:`~gatecomp.backends.verilog_core`) or ``"auto"``
        (:func:`resolve_construction`). ``self.construction`` is the resolved one.
    core_name:
        Module name of the instantiated core (``"direct"`` only).
    """

    def __init__(self, net: LogicNet, plan: PipelinePlan | None = None,
                 construction: str = "level", core_name: str = DEFAULT_CORE_NAME):
        try:
            construction = resolve_construction(construction, net.aig.num_ands)
            members = self._members(net, plan, construction)
        except ValueError:
            self._MustUse__silence = True  # never built: no "created but never used" warning
            raise
        self.net, self.construction, self.core_name = net, construction, core_name
        self.plan = plan if plan is not None else plan_pipeline(net.aig)
        super().__init__(members)

    @staticmethod
    def _members(net: LogicNet, plan: PipelinePlan | None, construction: str) -> dict:
        if plan is not None and len(plan.stage) != net.aig.num_nodes:
            raise ValueError("the pipeline plan was made for a different AIG")
        if net.aig.num_inputs > MAX_INPUT_BITS:
            raise ValueError(f"{net.aig.num_inputs} input bits: Amaranth supports at most "
                             f"{MAX_INPUT_BITS} in one module")
        members = {"in_valid": In(1), "in_ready": Out(1), "in_data": In(net.aig.num_inputs),
                   "out_valid": Out(1), "out_ready": In(1)}
        for port in net.outputs:
            name = f"out_{port.name}"
            if name in members or name in RESERVED_PORTS:
                raise ValueError(f"output port {port.name!r} collides with the port {name!r}")
            members[name] = Out(port.width)
        return members

    @property
    def latency(self) -> int:
        return self.plan.latency

    def output_port_names(self) -> list[tuple[str, str, int]]:
        """``(hdl port, LogicNet port, width)`` per output port, in LogicNet order."""
        return [(f"out_{p.name}", p.name, p.width) for p in self.net.outputs]

    def elaborate(self, platform) -> Module:
        m = Module()
        _Builder(self, m).build()
        return m


def resolve_construction(construction: str, num_ands: int) -> str:
    """``construction``, with ``"auto"`` replaced by ``"level"`` or ``"direct"`` by size.

    ``"auto"`` is ``"level"`` up to :data:`DIRECT_THRESHOLD` ANDs (the whole design goes through
    Amaranth, and the component runs in Amaranth's simulator) and ``"direct"`` above, where
    Amaranth's per-bit cost dominates the compile time.

    Raises
    ------
    ValueError
        If ``construction`` is neither ``"auto"`` nor one of :data:`CONSTRUCTIONS`.
    """
    if construction == "auto":
        return "level" if num_ands <= DIRECT_THRESHOLD else "direct"
    if construction not in CONSTRUCTIONS:
        raise ValueError(f"construction must be one of {(*CONSTRUCTIONS, 'auto')}, "
                         f"got {construction!r}")
    return construction


def build_component(net: LogicNet, plan: PipelinePlan | None = None,
                    construction: str = "level",
                    core_name: str = DEFAULT_CORE_NAME) -> LogicNetComponent:
    """Create the :class:`LogicNetComponent` for ``net`` (see its parameters)."""
    return LogicNetComponent(net, plan, construction, core_name)


def top_fragment(component: LogicNetComponent) -> _Fragment:
    """The elaborated component with a ``sync`` domain, so ``clk``/``rst`` always exist.

    A combinational design uses no clock; the domain is added anyway because the port
    contract has ``clk`` and ``rst`` on every module (and simulators can drive a clock).
    """
    fragment = _Fragment.get(component, None)
    if "sync" not in fragment.domains:
        fragment.add_domains(ClockDomain("sync"))
    return fragment


def _mask(bits: np.ndarray) -> int:
    """Integer whose bit ``i`` is ``bits[i]``."""
    if not len(bits):
        return 0
    return int.from_bytes(np.packbits(bits.astype(bool), bitorder="little").tobytes(), "little")


def _inverted(parts: list, width: int, mask_bits: np.ndarray):
    """``Cat(parts)`` (``width`` bits) with the bits where ``mask_bits`` is set inverted."""
    vec = Cat(*parts)
    mask = _mask(mask_bits)
    if mask == 0:
        return vec
    if mask == (1 << width) - 1:
        return ~vec
    return vec ^ Const(mask, width)


def _chunks(name: str, width: int):
    """``(name, lo, hi)`` pieces of at most :data:`MAX_VECTOR_BITS`; suffix ``_<j>`` if split."""
    if width <= MAX_VECTOR_BITS:
        return [(name, 0, width)] if width else []
    return [(f"{name}_{j}", lo, min(lo + MAX_VECTOR_BITS, width))
            for j, lo in enumerate(range(0, width, MAX_VECTOR_BITS))]


class _BitTable:
    """Every 1-bit value the logic can read (constant, inputs, ANDs, register bits), by index.

    ``gather`` turns an index array into the parts of a ``Cat``, merging consecutive bits of
    one signal into a single slice: register ranks, outputs and builder-made layers read long
    runs, so they cost Amaranth one object per run instead of one per bit.
    """

    def __init__(self) -> None:
        self.values: list = []
        self.signals: list = []
        self._owner: list[np.ndarray] = []
        self._bit: list[np.ndarray] = []

    def add(self, value, count: int | None = None) -> int:
        """Append ``value``'s bits (or the scalar ``value`` once); returns the first index."""
        first = len(self.values)
        n = len(value) if count is None else count
        if count is None:
            self.values.extend(value[i] for i in range(n))
            self.signals.append(value)
            owner = len(self.signals) - 1
        else:
            self.values.append(value)
            owner = -1
        self._owner.append(np.full(n, owner, dtype=np.int64))
        self._bit.append(np.arange(n, dtype=np.int64))
        return first

    def set_scalar(self, index: int, value) -> None:
        self.values[index] = value

    def freeze(self) -> None:
        self.owner = np.concatenate(self._owner) if self._owner else np.zeros(0, np.int64)
        self.bit = np.concatenate(self._bit) if self._bit else np.zeros(0, np.int64)

    def gather(self, index: np.ndarray, merge: bool = True) -> list:
        """``Cat`` parts for the bits ``index`` (LSB first); ``merge=False``: one per bit."""
        if len(index) == 0:
            return []
        owner, bit = self.owner[index], self.bit[index]
        brk = np.ones(len(index), dtype=bool)
        if merge:
            brk[1:] = (owner[1:] != owner[:-1]) | (bit[1:] != bit[:-1] + 1) | (owner[1:] < 0)
        starts = np.flatnonzero(brk)
        if len(starts) == len(index):  # no runs: reuse the cached one-bit values
            return list(itemgetter(*index.tolist())(self.values)) if len(index) > 1 \
                else [self.values[int(index[0])]]
        ends = np.append(starts[1:], len(index))
        parts = []
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            if e - s == 1:
                parts.append(self.values[int(index[s])])
            else:
                lo = int(bit[s])
                parts.append(self.signals[int(owner[s])][lo:lo + e - s])
        return parts


class _Builder:
    """Statements of one elaboration; all index arithmetic is numpy."""

    def __init__(self, comp: LogicNetComponent, m: Module):
        self.comp, self.m = comp, m
        self.aig, self.plan = comp.net.aig, comp.plan

    def build(self) -> None:
        if self.comp.construction == "direct":
            self._instance()
            self._handshake([])
            return
        groups, names, _ = level_groups(self.aig, self.plan)
        level_parts, regs = self._signals(groups, names)
        self._levels(groups, level_parts)
        enabled = []
        for rank, (held, chunks) in enumerate(zip(self.plan.registers, regs, strict=True),
                                              start=1):
            for reg, lo, hi in chunks:
                enabled.append(reg.eq(Cat(*self.table.gather(self._source(held[lo:hi], rank)))))
        self._outputs()
        self._handshake(enabled)

    def _signals(self, groups: list, names: list) -> tuple[list, list]:
        """The bit table (constant, inputs, the level targets, the register ranks) and
        ``node_index``; returns per level ``[(name, lo, hi, target)]`` (``target`` a Signal,
        a Cat of gates or a list of gates) and per rank ``[(register, lo, hi)]``."""
        aig, plan, comp = self.aig, self.plan, self.comp
        # table index of node v is v for constant/inputs; ANDs and register bits follow
        table = self.table = _BitTable()
        table.add(Const(0, 1), count=1)
        if aig.num_inputs:
            table.add(comp.in_data)
        self.node_index = np.zeros(aig.num_nodes, dtype=np.int64)
        self.node_index[:aig.first_and] = np.arange(aig.first_and)
        level_parts = []
        for group, base in zip(groups, names, strict=True):
            parts = []
            for name, lo, hi in _chunks(base, len(group)):
                nodes = group[lo:hi]
                if comp.construction == "level":
                    target = Signal(hi - lo, name=name)
                    self.node_index[nodes] = table.add(target) + np.arange(hi - lo)
                else:
                    gates = [Signal(name=f"{base}_g{node}") for node in nodes.tolist()]
                    for node, gate in zip(nodes.tolist(), gates, strict=True):
                        self.node_index[node] = table.add(gate)
                    target = Cat(*gates) if comp.construction == "wires" else gates
                parts.append((name, lo, hi, target))
            level_parts.append(parts)
        self.reg_first, regs = [], []
        for rank, held in enumerate(plan.registers, start=1):
            self.reg_first.append(len(table.values))
            chunks = [(Signal(hi - lo, name=name, reset_less=True), lo, hi)
                      for name, lo, hi in _chunks(f"r{rank}", len(held))]
            for reg, _, _ in chunks:
                table.add(reg)
            regs.append(chunks)
        table.freeze()
        return level_parts, regs

    def _levels(self, groups: list, level_parts: list) -> None:
        """The AND statements: per gate (``"gate"``), else one per level chunk."""
        aig, plan, table, m = self.aig, self.plan, self.table, self.m
        f0, f1 = aig.fanin0, aig.fanin1
        per_bit = self.comp.construction == "gate"
        for group, parts in zip(groups, level_parts, strict=True):
            if not len(group):
                continue
            s = int(plan.stage[group[0]])
            for name, lo, hi, target in parts:
                a = f0[group[lo:hi] - aig.first_and]
                b = f1[group[lo:hi] - aig.first_and]
                src_a = table.gather(self._source(a >> 1, s), merge=not per_bit)
                src_b = table.gather(self._source(b >> 1, s), merge=not per_bit)
                if per_bit:
                    for gate, x, cx, y, cy in zip(target, src_a, (a & 1).tolist(), src_b,
                                                  (b & 1).tolist(), strict=True):
                        m.d.comb += gate.eq((~x if cx else x) & (~y if cy else y))
                    continue
                op_a = Signal(hi - lo, name=f"{name}_a")
                op_b = Signal(hi - lo, name=f"{name}_b")
                m.d.comb += [op_a.eq(_inverted(src_a, hi - lo, a & 1)),
                             op_b.eq(_inverted(src_b, hi - lo, b & 1)),
                             target.eq(op_a & op_b)]

    def _outputs(self) -> None:
        """``out_<port>`` from the last stage (constant outputs as literals)."""
        comp, m, outs = self.comp, self.m, self.aig.outputs
        latency = self.plan.latency
        at = 0
        for hdl_name, _, width in comp.output_port_names():
            port = getattr(comp, hdl_name)
            for _, lo, hi in _chunks("", width):
                lits = outs[at + lo:at + hi]
                parts = self.table.gather(self._source(lits >> 1, latency + 1))
                target = port if hi - lo == width else port[lo:hi]
                if not (lits >> 1).any():  # constant outputs: a literal, not 0 ^ mask
                    m.d.comb += target.eq(Const(_mask(lits & 1), hi - lo))
                else:
                    m.d.comb += target.eq(_inverted(parts, hi - lo, lits & 1))
            at += width

    def _instance(self) -> None:
        """The core module (written by ``verilog_core``), its ports wired to ours by name."""
        comp = self.comp
        kwargs = {"i_clk": ClockSignal("sync"), "i_en": comp.out_ready}
        for direction, port, _ in core_ports(comp.net):
            if port not in ("clk", "en"):
                kwargs[f"{direction[0]}_{port}"] = getattr(comp, port)
        self.m.submodules.core = Instance(comp.core_name, **kwargs)

    def _handshake(self, enabled: list) -> None:
        """``in_ready``, ``out_valid`` and the ``valid`` shift register.

        ``enabled`` are the register assignments that load, beside ``valid``, when
        ``out_ready`` is 1.
        """
        comp, m, latency = self.comp, self.m, self.plan.latency
        m.d.comb += comp.in_ready.eq(comp.out_ready)
        if latency == 0:
            m.d.comb += comp.out_valid.eq(comp.in_valid)
        else:
            valid = Signal(latency, name="valid")
            shifted = Cat(comp.in_valid, valid[:-1]) if latency > 1 else comp.in_valid
            enabled.append(valid.eq(shifted))
            m.d.comb += comp.out_valid.eq(valid[-1])
            with m.If(comp.out_ready):
                m.d.sync += enabled

    def _source(self, nodes: np.ndarray, stage: int) -> np.ndarray:
        """Table index of each node's value as seen by a consumer in ``stage``."""
        nodes = np.asarray(nodes, dtype=np.int64)
        index = self.node_index[nodes]
        far = (self.plan.stage[nodes] != stage) & (nodes != 0)
        if far.any():
            rank = stage - 1
            index[far] = self.reg_first[rank - 1] + self.plan.register_position(rank, nodes[far])
        return index
