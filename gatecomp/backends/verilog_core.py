"""The logic core of the ``"direct"`` construction: AIG + PipelinePlan -> Verilog text.

Amaranth costs about 0.1 ms and 3.5 kB per AND gate (its netlist keeps one object per bit
reference and Yosys then re-reads all of it), so the ``"level"`` construction needs minutes and
gigabytes for a million-gate network. The ``"direct"`` construction keeps the small, stateful
part (the stream handshake, the ``valid`` shift register) in Amaranth and writes the gate logic
here, straight from the arrays, as a module ``NAME_core`` that the Amaranth top instantiates.

The text has the same structure and names as the ``"level"`` construction:

* ``l<k>`` holds the ANDs of logic level ``k``: bit ``i`` is the ``i``-th AND node at that
  level in ascending AIG node order; ``l<k>_a`` / ``l<k>_b`` are its operands, each a
  concatenation of source bits XORed with an inversion mask, and ``l<k> = l<k>_a & l<k>_b``;
* ``r<b>`` is pipeline register rank ``b``: bit ``i`` holds the ``i``-th node (ascending) the
  plan carries in that rank; every rank loads on ``posedge clk`` when ``en`` is 1 (``en`` is
  the top's ``out_ready``) and has no reset (``valid`` in the top carries the reset);
* vectors wider than :data:`MAX_VECTOR_BITS` are split into ``l<k>_<j>`` / ``r<b>_<j>``
  holding bits ``[MAX_VECTOR_BITS*j, MAX_VECTOR_BITS*(j+1))``; Verilog has no width limit,
  the split keeps the names equal to the ``"level"`` construction's and bounds each statement;
* ``out_<port>`` is assembled from the last rank (or the logic when combinational), with the
  output inversions as a mask.

Ports: ``clk``, ``en``, ``in_data`` (omitted when the net has no inputs) and ``out_<port>``
per non-empty LogicNet output port, so the core's ports are the top's minus the handshake.

Everything per gate is numpy: source locations are array lookups, consecutive bits of one
vector merge into one slice (``l3[7:4]``), and the concatenation text is built with
``numpy.strings`` on whole vectors and turned into one string with a single ``bytes`` join.
The output depends only on the net, the plan and the name (deterministic).
"""

from __future__ import annotations

import numpy as np

from ..aig import LogicNet
from ..mapping.stages import PipelinePlan, level_groups

#: widest vector; also the split width of the Amaranth constructions (Amaranth caps a cell at
#: 65536 bits), so that both constructions name every bit alike
MAX_VECTOR_BITS = 1 << 14
#: source bits per line of a long concatenation
PARTS_PER_LINE = 8
_STR = np.dtypes.StringDType()


def core_module_name(name: str) -> str:
    """The core module's name for the top module ``name``."""
    return f"{name}_core"


def core_ports(net: LogicNet) -> list[tuple[str, str, int]]:
    """``(direction, port, width)`` of the core module, in declaration order."""
    ports = [("input", "clk", 1), ("input", "en", 1)]
    if net.aig.num_inputs:
        ports.append(("input", "in_data", net.aig.num_inputs))
    ports += [("output", f"out_{p.name}", p.width) for p in net.outputs if p.width]
    return ports


def core_verilog(net: LogicNet, plan: PipelinePlan, name: str,
                 max_bits: int | None = None) -> str:
    """Verilog text of the module ``name`` computing ``net`` pipelined by ``plan``.

    Parameters
    ----------
    net:
        The network; its AIG is written as is (run ``cleanup`` first to drop dead gates).
    plan:
        The :class:`~gatecomp.mapping.stages.PipelinePlan` for ``net.aig``.
    name:
        Module name (a plain Verilog identifier; the caller checks it).
    max_bits:
        Split width of vectors; default :data:`MAX_VECTOR_BITS`.

    Returns
    -------
    str
        A comment block and the module, ending in a newline.
    """
    if len(plan.stage) != net.aig.num_nodes:
        raise ValueError("the pipeline plan was made for a different AIG")
    return _CoreWriter(net, plan, max_bits or MAX_VECTOR_BITS).module(name)


def _declare(width: int) -> str:
    return f"[{width - 1}:0] "


def _hex(bits: np.ndarray) -> str:
    """``bits`` (LSB first) as a sized hex literal with ceil(width/4) digits."""
    width = len(bits)
    packed = np.packbits(bits.astype(bool), bitorder="little")[::-1].tobytes().hex()
    return f"{width}'h{packed[len(packed) - (width + 3) // 4:]}"


def _join(parts: np.ndarray, indent: str) -> str:
    """Concatenation body ``{ a, b, ... }`` of string ``parts`` (already MSB first).

    One part is written bare; more than :data:`PARTS_PER_LINE` wrap, ``PARTS_PER_LINE`` a line.
    The join runs in numpy: each part gets its separator, the fixed-width byte copy of the
    array is one buffer, and dropping its NUL padding leaves the text.
    """
    n = len(parts)
    if n == 1:
        return str(parts[0])
    sep = np.full(n, ", ", dtype=_STR)
    wrap = n > PARTS_PER_LINE
    if wrap:
        sep[PARTS_PER_LINE - 1::PARTS_PER_LINE] = ",\n" + indent + "  "
    sep[-1] = ""
    text = np.strings.add(parts, sep)
    width = int(np.strings.str_len(text).max())
    body = text.astype(f"S{width}").tobytes().replace(b"\0", b"").decode("ascii")
    if wrap:
        return "{\n" + indent + "  " + body + "\n" + indent + "}"
    return "{ " + body + " }"


def _inverted(parts: np.ndarray, mask_bits: np.ndarray, indent: str) -> str:
    """The expression ``{parts} ^ mask`` (``~{parts}`` / bare when the mask is all 1 / 0)."""
    body = _join(parts, indent)
    if not mask_bits.any():
        return body
    if mask_bits.all():
        return "~" + body
    return f"{body} ^ {_hex(mask_bits)}"


class _CoreWriter:
    """Locations of every value (which vector, which bit) and the text that reads them.

    Vectors are numbered ("owners"): 0 is the constant 0, then ``in_data``, the level chunks
    and the register chunks. A node's value is ``(node_owner, node_bit)`` in the stage that
    computes it; a later stage reads the copy in the register rank before it.
    """

    def __init__(self, net: LogicNet, plan: PipelinePlan, max_bits: int):
        self.net, self.aig, self.plan, self.max_bits = net, net.aig, plan, max_bits
        aig = self.aig
        self.names: list[str] = [""]
        self.widths: list[int] = [0]
        self.node_owner = np.zeros(aig.num_nodes, dtype=np.int64)
        self.node_bit = np.zeros(aig.num_nodes, dtype=np.int64)
        if aig.num_inputs:
            self.node_owner[1:aig.first_and] = self._vector("in_data", aig.num_inputs, False)[0]
            self.node_bit[1:aig.first_and] = np.arange(aig.num_inputs)

        self.groups, self.group_names, self.group_levels = level_groups(aig, plan)
        self.level_owners = []
        for group, group_name in zip(self.groups, self.group_names, strict=True):
            first, _ = self._vector(group_name, len(group))
            self.level_owners.append(first)
            pos = np.arange(len(group))
            self.node_owner[group] = first + pos // max_bits
            self.node_bit[group] = pos % max_bits
        self.rank_owners = [self._vector(f"r{b}", len(held))[0]
                            for b, held in enumerate(plan.registers, start=1)]
        self.name_array = np.array(self.names, dtype=_STR)
        self.width_array = np.array(self.widths, dtype=np.int64)
        self.digits = np.zeros(0, dtype=_STR)

    def _vector(self, name: str, width: int, split: bool = True) -> tuple[int, list[int]]:
        """Register the chunks of vector ``name``; returns (first owner, chunk widths)."""
        first = len(self.names)
        if not split or width <= self.max_bits:
            chunks = [(name, width)]
        else:
            chunks = [(f"{name}_{j}", min(self.max_bits, width - lo))
                      for j, lo in enumerate(range(0, width, self.max_bits))]
        for chunk_name, chunk_width in chunks:
            self.names.append(chunk_name)
            self.widths.append(chunk_width)
        return first, [w for _, w in chunks]

    def _chunks(self, first: int, width: int):
        """``(owner, name, lo, hi)`` of the chunks of the vector starting at owner ``first``."""
        for j, lo in enumerate(range(0, width, self.max_bits)):
            yield first + j, self.names[first + j], lo, min(lo + self.max_bits, width)

    def source(self, nodes: np.ndarray, stage: int) -> tuple[np.ndarray, np.ndarray]:
        """``(owner, bit)`` of each node's value as seen by a consumer in ``stage``."""
        nodes = np.asarray(nodes, dtype=np.int64)
        owner, bit = self.node_owner[nodes], self.node_bit[nodes]
        far = (self.plan.stage[nodes] != stage) & (nodes != 0)
        if far.any():
            rank = stage - 1
            pos = self.plan.register_position(rank, nodes[far])
            owner[far] = self.rank_owners[rank - 1] + pos // self.max_bits
            bit[far] = pos % self.max_bits
        return owner, bit

    def parts(self, owner: np.ndarray, bit: np.ndarray) -> np.ndarray:
        """Concatenation parts (MSB first) for the bits ``(owner, bit)`` given LSB first.

        Consecutive bits of one vector become one slice; runs of constant bits one literal;
        a run covering a whole vector its bare name.
        """
        n = len(owner)
        bit = np.where(owner == 0, np.arange(n), bit)  # constant bits form runs too
        brk = np.ones(n, dtype=bool)
        brk[1:] = (owner[1:] != owner[:-1]) | (bit[1:] != bit[:-1] + 1)
        starts = np.flatnonzero(brk)
        count = np.diff(np.append(starts, n))
        own, lo = owner[starts], bit[starts]
        if len(self.digits) <= n or len(self.digits) <= lo.max() + count.max():
            top = max(n, int(lo.max() + count.max()), int(self.width_array.max()))
            self.digits = np.arange(top + 1).astype(_STR)  # decimal text of 0..top
        names = self.name_array[own]
        inner = self.digits[lo]
        multi = count > 1
        if multi.any():
            inner[multi] = np.strings.add(np.strings.add(self.digits[(lo + count - 1)[multi]],
                                                         ":"), inner[multi])
        parts = np.strings.add(np.strings.add(np.strings.add(names, "["), inner), "]")
        whole = (lo == 0) & (count == self.width_array[own])
        parts[whole] = names[whole]
        const = own == 0
        if const.any():
            parts[const] = np.strings.add(self.digits[count[const]], "'h0")
        return parts[::-1]

    def module(self, name: str) -> str:
        aig, plan, net = self.aig, self.plan, self.net
        ports = core_ports(net)
        out: list[str] = [
            f"// {name}: gate logic and pipeline registers (construction \"direct\", written by "
            f"gatecomp.backends.verilog_core): {aig.num_ands} ANDs in {plan.depth} levels, "
            f"latency {plan.latency}",
            "// l<k> = l<k>_a & l<k>_b holds the ANDs of logic level k (ascending node index); "
            "r<b> is register rank b,",
            "// loaded when en = 1; no reset (the top's valid shift register carries it).",
            f"module {name} (",
            ",\n".join(f"  {d} wire {_declare(w) if d == 'output' or p == 'in_data' else ''}{p}"
                       for d, p, w in ports),
            ");",
        ]
        for rank, held in enumerate(plan.registers, start=1):
            for _, reg, lo, hi in self._chunks(self.rank_owners[rank - 1], len(held)):
                out.append(f"  reg {_declare(hi - lo)}{reg} = {hi - lo}'h0;")

        f0, f1 = aig.fanin0, aig.fanin1
        for group, level, first in zip(self.groups, self.group_levels, self.level_owners,
                                       strict=True):
            stage = int(plan.stage[group[0]])
            ands = "AND" if len(group) == 1 else "ANDs"
            out.append(f"\n  // level {level}: {len(group)} {ands}, stage {stage}")
            for _, vec, lo, hi in self._chunks(first, len(group)):
                a = f0[group[lo:hi] - aig.first_and]
                b = f1[group[lo:hi] - aig.first_and]
                out.append(f"  wire {_declare(hi - lo)}{vec}_a, {vec}_b, {vec};")
                for op, lits in (("a", a), ("b", b)):
                    parts = self.parts(*self.source(lits >> 1, stage))
                    out.append(f"  assign {vec}_{op} = {_inverted(parts, lits & 1, '  ')};")
                out.append(f"  assign {vec} = {vec}_a & {vec}_b;")

        if plan.num_registers:
            out.append("\n  always @(posedge clk)\n    if (en) begin")
            for rank, held in enumerate(plan.registers, start=1):
                for _, reg, lo, hi in self._chunks(self.rank_owners[rank - 1], len(held)):
                    parts = self.parts(*self.source(held[lo:hi], rank))
                    out.append(f"      {reg} <= {_join(parts, '      ')};")
            out.append("    end")

        out.append("")
        at = 0
        for port in net.outputs:
            lits = aig.outputs[at:at + port.width]
            at += port.width
            if not port.width:
                continue
            if not (lits >> 1).any():
                expr = _hex(lits & 1)
            else:
                parts = self.parts(*self.source(lits >> 1, plan.latency + 1))
                expr = _inverted(parts, lits & 1, "  ")
            out.append(f"  assign out_{port.name} = {expr};")
        out.append("endmodule")
        return "\n".join(out) + "\n"
