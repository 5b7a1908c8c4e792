"""LUT-level Verilog: a :class:`~gatecomp.mapping.lutnet.LutNetwork` as one flat module.

Each LUT becomes one continuous assignment that indexes its truth table by its fanins::

    assign n42 = lut4(16'h8ee8, {x[3], n17, n12, x[0]});

where ``lutN(tt, sel)`` is a one-line function returning ``tt[sel]`` (declared once per LUT
size in use). Bit ``m`` of the constant is the LUT's value when its fanins, read as a binary
number with the *last* fanin in the concatenation as the least significant bit, equal ``m``:
the same INIT value a Xilinx ``LUTn`` or a Lattice ``LUT4`` would take, so any synthesis tool
maps each assignment back onto one LUT. Widths match exactly, so Verilator's ``-Wall`` lint is
clean. Output bits are ``assign``-ed from a LUT, an input or a constant, inverted where the
mapper left an inversion on the output.

Bit names such as ``x[0] .. x[7]`` are grouped into vector ports (``input wire [7:0] x``) when
they cover ``0..w-1`` exactly; any other name becomes a scalar port, escaped (``\\a.b``) if it
is not a plain identifier. LUT wires are ``n<id>`` (the network's id), so the text is
deterministic and a wire name says where it sits in the network.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import GatecompError
from ..mapping.lutnet import LutNetwork
from .verilog import gatecomp_version, verilog_identifier

_BIT = re.compile(r"([A-Za-z_][A-Za-z0-9_$]*)\[(\d+)\]\Z")
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")
_WIRES_PER_LINE = 12


@dataclass(frozen=True)
class PortGroup:
    """One Verilog port: its declared name, width, and the flat bit index of each of its bits.

    ``bits[i]`` is the position (in the ``input_names`` / ``output_names`` list) of bit ``i``;
    ``vector`` is False for a scalar port.
    """

    name: str
    width: int
    bits: tuple[int, ...]
    vector: bool

    def ref(self, i: int) -> str:
        """Verilog expression for bit ``i`` of this port."""
        return f"{self.name}[{i}]" if self.vector else self.name


def _is_plain(name: str) -> bool:
    try:
        verilog_identifier(name)
    except GatecompError:
        return False
    return True


def _escape(name: str) -> str:
    if _is_plain(name):
        return name
    if not name or any(c.isspace() or not c.isprintable() for c in name):
        raise GatecompError(f"port name {name!r} cannot be written as a Verilog identifier")
    return "\\" + name + " "


def group_ports(names: Sequence[str]) -> list[PortGroup]:
    """Group bit names into ports, in order of first appearance.

    ``base[i]`` names whose indices are exactly ``0..w-1`` (and whose base is a plain
    identifier used by no other name) form a ``w``-bit vector port; every other name is a
    scalar port of its own.
    """
    by_base: dict[str, dict[int, int]] = {}
    bad: set[str] = set()
    for pos, name in enumerate(names):
        m = _BIT.match(name)
        if m and _is_plain(m.group(1)):
            idx = by_base.setdefault(m.group(1), {})
            if int(m.group(2)) in idx or str(int(m.group(2))) != m.group(2):
                bad.add(m.group(1))
            idx[int(m.group(2))] = pos
    plain_names = {n for n in names if not _BIT.match(n)}
    for base, idx in by_base.items():
        if sorted(idx) != list(range(len(idx))) or base in plain_names:
            bad.add(base)
    groups: list[PortGroup] = []
    seen: set[str] = set()
    for pos, name in enumerate(names):
        m = _BIT.match(name)
        if m and m.group(1) in by_base and m.group(1) not in bad:
            base = m.group(1)
            if base not in seen:
                seen.add(base)
                idx = by_base[base]
                groups.append(PortGroup(base, len(idx), tuple(idx[i] for i in range(len(idx))),
                                        True))
        else:
            groups.append(PortGroup(_escape(name), 1, (pos,), False))
    declared = [g.name.strip() for g in groups]
    if len(set(declared)) != len(declared):
        dup = next(n for n in declared if declared.count(n) > 1)
        raise GatecompError(f"port name {dup!r} is used twice")
    return groups


def _bit_refs(groups: list[PortGroup], count: int) -> list[str]:
    refs = [""] * count
    for g in groups:
        for i, pos in enumerate(g.bits):
            refs[pos] = g.ref(i)
    return refs


def _truth_literal(size: int, truth: int) -> str:
    if size == 0:
        return f"1'b{truth & 1}"
    bits = 1 << size
    if bits < 4:
        return f"{bits}'b{truth:0{bits}b}"
    return f"{bits}'h{truth:0{bits // 4}x}"


def emit_lut_verilog(lutnet: LutNetwork, name: str, input_names: Sequence[str] | None = None,
                     output_names: Sequence[str] | None = None) -> str:
    """Verilog text of ``lutnet`` as a combinational module ``name``.

    Parameters
    ----------
    lutnet:
        The LUT network (from :func:`gatecomp.mapping.lutmap.lutmap`).
    name:
        Module name (a plain Verilog identifier).
    input_names, output_names:
        Bit-level port names, one per network input / output; default: the network's own.

    Returns
    -------
    str
        The module, deterministic for the same arguments.
    """
    verilog_identifier(name, "module name")
    in_names = list(lutnet.input_names if input_names is None else input_names)
    out_names = list(lutnet.output_names if output_names is None else output_names)
    if len(in_names) != lutnet.num_inputs or len(out_names) != lutnet.num_outputs:
        raise GatecompError(f"expected {lutnet.num_inputs} input and {lutnet.num_outputs} "
                            f"output names, got {len(in_names)} and {len(out_names)}")
    in_groups, out_groups = group_ports(in_names), group_ports(out_names)
    ports = [g.name.strip() for g in in_groups + out_groups]
    if len(set(ports)) != len(ports):
        dup = next(p for p in ports if ports.count(p) > 1)
        raise GatecompError(f"port name {dup!r} is both an input and an output")
    prefix, fn = "n", "lut"
    while any(re.fullmatch(re.escape(prefix) + r"\d+", p) for p in ports):
        prefix += "_"
    while any(re.fullmatch(re.escape(fn) + r"\d", p) for p in ports):
        fn += "_"

    first = lutnet.first_lut
    refs = ["1'b0", *_bit_refs(in_groups, lutnet.num_inputs)]
    refs += [f"{prefix}{first + j}" for j in range(lutnet.num_luts)]

    lines = [
        f"// {name}: {lutnet.num_luts} LUTs (k <= {lutnet.k}), depth {lutnet.depth()}, "
        f"{lutnet.num_inputs} inputs, {lutnet.num_outputs} outputs",
        f"// generated by gatecomp {gatecomp_version()} (LUT-level netlist)",
        "// assign n = lutS(TT, {f[S-1], ..., f[0]}) is an S-input LUT: bit m of TT is its",
        "// output when the fanins, read as a binary number (f[0] = LSB), equal m.",
        f"module {name} (",
    ]
    decls = [f"  input  wire {_range(g)}{g.name}" for g in in_groups]
    decls += [f"  output wire {_range(g)}{g.name}" for g in out_groups]
    lines.append(",\n".join(decls))
    lines.append(");")
    for s in sorted({int(x) for x in lutnet.sizes if x > 0}):
        sel = f"[{s - 1}:0] " if s > 1 else ""
        lines += [f"  function {fn}{s}(input [{(1 << s) - 1}:0] tt, input {sel}sel);",
                  f"    {fn}{s} = tt[sel];",
                  "  endfunction"]
    wires = refs[first:]
    for i in range(0, len(wires), _WIRES_PER_LINE):
        lines.append("  wire " + ", ".join(wires[i:i + _WIRES_PER_LINE]) + ";")
    fanins, sizes, truth = lutnet.fanins, lutnet.sizes, lutnet.truth
    for j in range(lutnet.num_luts):
        s = int(sizes[j])
        tt = _truth_literal(s, int(truth[j]))
        if s == 0:
            lines.append(f"  assign {refs[first + j]} = {tt};")
            continue
        sel = ", ".join(refs[int(f)] for f in fanins[j, :s][::-1])
        lines.append(f"  assign {refs[first + j]} = {fn}{s}({tt}, {{{sel}}});")
    out_refs = _bit_refs(out_groups, lutnet.num_outputs)
    for pos in range(lutnet.num_outputs):
        node = int(lutnet.output_ids[pos])
        inv = bool(lutnet.output_compl[pos])
        src = f"1'b{int(inv)}" if node == 0 else ("~" if inv else "") + refs[node]
        lines.append(f"  assign {out_refs[pos]} = {src};")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def _range(g: PortGroup) -> str:
    return f"[{g.width - 1}:0] " if g.vector else ""
