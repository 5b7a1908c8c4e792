"""SeqNet -> an Amaranth component with a sequence stream protocol -> Verilog + sidecar.

The step logic is the combinational :class:`~gatecomp.backends.amaranth.LogicNetComponent` of
the step LogicNet (instance ``step``; its ``in_data`` is ``{state, x}``), so the gates are
built exactly as in a combinational build. Around it:

* ``state`` (``state_width`` bits) is reset to the initial state by ``rst``, and loaded on
  every accepted beat (``in_valid & in_ready``) with the step's next state, or with the initial
  state when the beat has ``in_last`` set: the next beat starts a new sequence. Sequences of
  any length follow each other back to back, one beat per clock.
* The outputs (``out_count0..``, ``out_pred``) are registers, loaded from the step's readout on
  an accepted beat with ``in_last`` (``emit="last"``) or on every accepted beat (``"each"``);
  ``out_valid`` rises with them and falls once ``out_ready`` takes them. Latency 1: the output
  of a beat accepted at edge ``k`` is valid from edge ``k`` on.
* ``in_ready = ~out_valid | out_ready``: a beat is accepted while the output register is free
  or being emptied, so ``out_ready = 0`` stalls the input and nothing is lost.
"""

from __future__ import annotations

import json

from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..aig import depth
from ..aig.seq import NEXT_STATE_PORT, SeqNet
from ..seq_sidecar import LAST_PORT, SeqSidecar, SequenceInfo
from ..sidecar import InData, InputField, OutputPort, SizeStats
from .amaranth import RESERVED_PORTS, LogicNetComponent
from .verilog import _check_ports, convert, gatecomp_version, verilog_identifier
from .verilog_core import core_module_name, core_verilog

#: edges from an accepted beat to its output (the output registers)
LATENCY = 1


class SeqNetComponent(wiring.Component):
    """The hardware of one SeqNet: the step logic, the state and output registers."""

    def __init__(self, seq: SeqNet, construction: str = "auto",
                 core_name: str = "gatecomp_core"):
        self.seq = seq
        self.step = LogicNetComponent(seq.step, None, construction, core_name)
        members = {"in_valid": In(1), "in_ready": Out(1), "in_data": In(seq.input_width),
                   LAST_PORT: In(1), "out_valid": Out(1), "out_ready": In(1)}
        for port in seq.output_ports:
            name = f"out_{port.name}"
            if name in members or name in RESERVED_PORTS:
                raise ValueError(f"output port {port.name!r} collides with the port {name!r}")
            members[name] = Out(port.width)
        super().__init__(members)

    @property
    def construction(self) -> str:
        return self.step.construction

    @property
    def init_value(self) -> int:
        """The initial state as an integer (bit ``i`` = state bit ``i``)."""
        return sum(bit << i for i, bit in enumerate(self.seq.init))

    def elaborate(self, platform) -> Module:
        m = Module()
        step = m.submodules.step = self.step
        width = self.seq.state_width
        state = Signal(width, init=self.init_value, name="state")
        take = Signal(name="take")
        last = getattr(self, LAST_PORT)
        m.d.comb += [step.in_data.eq(Cat(self.in_data, state)), step.in_valid.eq(self.in_valid),
                     step.out_ready.eq(1),
                     self.in_ready.eq(~self.out_valid | self.out_ready),
                     take.eq(self.in_valid & self.in_ready)]
        with m.If(take):
            nxt = getattr(step, f"out_{NEXT_STATE_PORT}")
            m.d.sync += state.eq(Mux(last, Const(self.init_value, width), nxt))
        emit = take if self.seq.emit == "each" else take & last
        with m.If(emit):
            m.d.sync += [self.out_valid.eq(1),
                         *(getattr(self, f"out_{p.name}").eq(getattr(step, f"out_{p.name}"))
                           for p in self.seq.output_ports)]
        with m.Elif(self.out_ready):
            m.d.sync += self.out_valid.eq(0)
        return m


def sequential_sidecar(comp: SeqNetComponent, name: str, source: str,
                       options: dict) -> SeqSidecar:
    """The ``rtl/NAME.json`` of a built sequential component."""
    seq = comp.seq
    fields, lsb = [], 0
    for port in seq.input_ports:
        fields.append(InputField(port.name, lsb, port.width))
        lsb += port.width
    outputs = tuple(OutputPort(f"out_{p.name}", p.name, p.width) for p in seq.output_ports)
    registers = seq.state_width + sum(p.width for p in seq.output_ports) + 1
    info = SequenceInfo(seq.state_width, "".join(map(str, seq.init)), seq.emit, seq.steps,
                        LAST_PORT)
    return SeqSidecar(
        module=name, generator=f"gatecomp {gatecomp_version()}", source=source,
        options=options, latency=LATENCY, clock="clk", reset="rst",
        in_data=InData(seq.input_width, tuple(fields)), outputs=outputs,
        stats=SizeStats(seq.aig.num_ands, depth(seq.aig), registers),
        construction=comp.construction, sequence=info)


def _header(side: SeqSidecar) -> str:
    seq, stats = side.sequence, side.stats
    init = f"{seq.state_width}'b{seq.init[::-1]}" if seq.state_width else "none"
    when = "after the last step of each sequence" if seq.emit == "last" else "after every step"
    lines = [
        f"// {side.module}: generated by {side.generator} (sequential)",
        f"// source: {' '.join(side.source.split()) or '(not given)'}",
        f"// options: {_options(side)}",
        f"// sequence: one step per accepted beat (in_valid & in_ready); {LAST_PORT} = 1 marks "
        "the last step of a sequence, the next beat starts a new one",
        f"// state: {seq.state_width} register bits, reset to {init} by rst and after every "
        f"{LAST_PORT} beat" + (f"; trained on {seq.steps} steps" if seq.steps else ""),
        f"// outputs: {when}, latency {side.latency} (registered, held until out_ready); "
        "in_ready = ~out_valid | out_ready",
        f"// size: {stats.ands} ANDs in the step logic (instance step), {stats.levels} levels, "
        f"{stats.registers} register bits",
        "// in_data: " + ", ".join(f"{f.name} = in_data[{f.lsb + f.width - 1}:{f.lsb}]"
                                   for f in side.in_data.fields),
        "// outputs: " + ", ".join(f"{o.port} = {o.name} ({o.width} bit"
                                   f"{'s' if o.width != 1 else ''})" for o in side.outputs),
        f"// construction: {side.construction} (step logic as in a combinational build)",
    ]
    return "\n".join(lines) + "\n"


def _options(side: SeqSidecar) -> str:
    return json.dumps(dict(side.options), sort_keys=True, default=str)


def emit_sequential(seq: SeqNet, name: str, source: str = "", options: dict | None = None,
                    construction: str = "auto") -> tuple[str, SeqSidecar]:
    """The Verilog module ``name`` for ``seq`` (the step as its submodule) and its sidecar.

    With the ``"direct"`` construction the step's core module follows as text, as in a
    combinational build (see :func:`gatecomp.backends.verilog.emit_verilog`).
    """
    verilog_identifier(name)
    _check_ports(seq.step)
    core = verilog_identifier(core_module_name(name), "core module name")
    comp = SeqNetComponent(seq, construction, core_name=core)
    side = sequential_sidecar(comp, name, source, dict(options or {}))
    text = convert(comp, name)
    if comp.construction == "direct":
        text += "\n" + core_verilog(seq.step, comp.step.plan, core)
    return _header(side) + text, side


__all__ = ["LATENCY", "SeqNetComponent", "emit_sequential", "sequential_sidecar"]
