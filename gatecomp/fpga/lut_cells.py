"""``board/NAME_luts.v``: the LUT-aligned core written as the device's own 4-LUT cells.

With ``--luts-per-stage`` the compiler maps the network onto 4-LUTs itself
(:func:`~gatecomp.mapping.lut_align.align_to_luts`, area-oriented within the stage budget) and
puts the pipeline registers on that cover's boundaries. Given the generic RTL, Yosys maps the
gates again with ``abc9`` (delay first, wide-LUT muxes on ECP5) and does not keep the cover:
measured on the digits DLGN, ECP5, 3 LUT levels per stage, the cover has 3140 LUT4 and Yosys
makes 3302 of the generic RTL. Written as ``LUT4`` / ``SB_LUT4`` instances the cover goes
through synthesis unchanged, so the board project synthesizes this file instead of
``rtl/NAME.v``. The generic RTL stays the design for simulation and integration.

The module is a drop-in for ``rtl/NAME.v``: same name, ports and cycle behaviour
(``in_ready = out_ready``; data ranks load when ``out_ready`` is 1 and have no reset; a
``valid`` shift register cleared by ``rst``). LUT ``j`` of the cover at level ``L`` sits in
stage ``ceil(L / per)``; a signal made in stage ``p`` (inputs: stage 1) and read in stage
``s`` (outputs: stage ``latency + 1``) passes the ranks ``p .. s-1``. Rank ``b`` is the vector
``r<b>``; bit ``i`` is the ``i``-th id (inputs, then LUTs, ascending) crossing it. LUT ``j``
is ``n<id>`` with ``id = num_inputs + 1 + j``; an ``s``-input LUT has its fanins in order on the
cell's top ``s`` inputs (``D`` / ``I3`` last) and the others tied to 0, as Yosys connects its
own LUTs, and ``INIT`` is the cover's truth table spread over the unused inputs (complemented
for a LUT that only inverted outputs read).
On ECP5 the GroupSum popcounts may instead be carry chains (:mod:`.carry_popcount`): the
core's network then has ``CCU2C`` halves among its nodes, written two per cell, and is staged
by the core's own levels.
The synthesized netlist is what ``gatecomp verify --netlist`` checks against PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..logic.truth_tables import VAR_TT, tt_depends
from ..mapping.lutnet import LutNetwork
from ..sidecar import OutputPort, Sidecar
from .carry_popcount import LEVEL_SCALE, ChainedCore

#: family -> (cell, INIT parameter, input pins, output pin)
#: widest table a family's cells hold as one LUT (ECP5: LUT4 + PFUMX + L6MUX21, see
#: :func:`_wide_lut_lines`; written only for ``--lut-native``'s kept tables)
WIDE_LUTS = {"ecp5": 6, "ice40": 4}
LUT_CELLS = {"ecp5": ("LUT4", "INIT", ("A", "B", "C", "D"), "Z"),
             "ice40": ("SB_LUT4", "LUT_INIT", ("I0", "I1", "I2", "I3"), "O")}


def lut_cells_verilog(cover: LutNetwork, levels_per_stage: int, module: str, sidecar: Sidecar,
                      family: str, core: ChainedCore | None = None) -> str:
    """Verilog of ``module`` built from ``cover``'s LUTs as ``family`` cells (see above).

    ``sidecar`` is the generic RTL's (``rtl/NAME.json``): its ``latency``, ``in_data`` width and
    ``outputs`` (port order and widths) define the interface this module must match. With
    ``core`` (ECP5, popcounts on carry chains) its network is written instead of ``cover``:
    chain positions as ``CCU2C`` cells, staged by the core's levels.
    """
    if core is not None:
        if family != "ecp5":
            raise ValueError(f"carry-chain popcounts are written for ECP5, not {family}")
        cover = core.net
    wide = int(cover.sizes.max(initial=0))
    if wide > WIDE_LUTS.get(family, 4):
        raise ValueError(f"{family} cells have at most {WIDE_LUTS.get(family, 4)} inputs; "
                         f"the cover has {wide}-input LUTs")
    latency, per = sidecar.latency, levels_per_stage
    level = cover.levels()
    if core is not None:
        level, per = core.levels, per * LEVEL_SCALE
    stages = _Stages(cover, level, per, latency)
    flip = _inverted_only(cover)
    if core is not None:
        flip &= ~core.chain_nodes
    lines = _ports(cover, module, sidecar, family, per, latency)
    for b, r in enumerate(stages.ranks, 1):
        if len(r):
            lines.append(f"  reg [{len(r) - 1}:0] r{b};")
    lines += _lut_cell_lines(cover, family, stages, flip, core)
    if core is not None:
        lines += _ccu2c_cells(core, stages.avail, stages.read)
    for b, r in enumerate(stages.ranks, 1):
        if len(r):
            src = ", ".join(stages.read(int(x), b) for x in r[::-1])
            lines.append(f"  always @(posedge clk) if (out_ready) r{b} <= {{{src}}};")
    lines += _output_lines(cover, sidecar.outputs, stages, flip, latency)
    lines += _valid_lines(latency)
    lines += ["endmodule", ""]
    return "\n".join(lines)


class _Stages:
    """Where each signal of ``cover`` is made and which register ranks carry it.

    ``avail[x]`` is the stage signal ``x`` is made in (inputs: 1, the constant: never
    registered); ``ranks[b - 1]`` the ids rank ``b`` carries, ascending.
    """

    def __init__(self, cover: LutNetwork, level: np.ndarray, per: int, latency: int):
        first = cover.first_lut
        self.num_inputs = cover.num_inputs
        avail = np.ones(first + cover.num_luts, dtype=np.int64)  # stage a signal is made in
        avail[first:] = np.maximum(1, -(-level[first:] // per))
        avail[0] = latency + 1  # the constant is never registered
        if cover.num_luts and int(avail[first:].max()) > max(latency, 1):
            raise ValueError(f"the cover needs {int(avail[first:].max())} stages, the RTL has "
                             f"{latency}")
        last = np.zeros_like(avail)  # latest stage a signal is read in
        used = cover.fanins >= 0
        readers = np.broadcast_to(avail[first:, None], cover.fanins.shape)
        np.maximum.at(last, cover.fanins[used], readers[used])
        np.maximum.at(last, cover.output_ids, latency + 1)
        last[0] = 0
        self.avail = avail
        self.ranks = [np.flatnonzero((avail <= b) & (last > b)) for b in range(1, latency + 1)]
        self.position = [{int(x): i for i, x in enumerate(r)} for r in self.ranks]

    def name(self, x: int) -> str:
        return f"in_data[{x - 1}]" if x <= self.num_inputs else f"n{x}"

    def read(self, x: int, stage: int) -> str:
        """Signal ``x`` as seen in ``stage``."""
        if x == 0:
            return "1'b0"
        if stage == self.avail[x]:
            return self.name(x)
        return f"r{stage - 1}[{self.position[stage - 2][x]}]"


def _ports(cover: LutNetwork, module: str, sidecar: Sidecar, family: str, per: int,
           latency: int) -> list[str]:
    """The header comment, module line, port declarations and ``in_ready``."""
    cell = LUT_CELLS[family][0]
    n_in, outs = cover.num_inputs, sidecar.outputs
    ports = ["clk", "rst", "in_valid", "in_ready"] + (["in_data"] if n_in else [])
    ports += ["out_valid", "out_ready"] + [o.port for o in outs]
    lines = [f"// {module}: {cover.num_luts} {cell} cells, {per} LUT levels per stage, "
             f"latency {latency}; generated by gatecomp for synthesis (see rtl/{module}.v)",
             f"module {module}({', '.join(ports)});",
             "  input clk, rst, in_valid, out_ready;", "  output in_ready, out_valid;"]
    if n_in:
        lines.append(f"  input [{n_in - 1}:0] in_data;")
    lines += [f"  output [{o.width - 1}:0] {o.port};" for o in outs]
    lines.append("  assign in_ready = out_ready;")
    return lines


def _lut_cell_lines(cover: LutNetwork, family: str, stages: _Stages, flip: np.ndarray,
                    core: ChainedCore | None) -> list[str]:
    """A wire and a ``family`` LUT cell per LUT of ``cover`` (chain positions excepted)."""
    cell, init, pins, out_pin = LUT_CELLS[family]
    lines = []
    for j in range(cover.num_luts):
        x = cover.first_lut + j
        if core is not None and core.chain_nodes[x]:
            continue
        size = int(cover.sizes[j])
        fan = [stages.read(int(f), int(stages.avail[x])) for f in cover.fanins[j, :size]]
        lines.append(f"  wire n{x};")
        if size > 4:
            lines += _wide_lut_lines(x, int(cover.truth[j]), size, fan, bool(flip[x]))
            continue
        fan = ["1'b0"] * (4 - size) + fan  # unused inputs low, as Yosys ties them
        conn = ", ".join(f".{p}({s})" for p, s in zip(pins, fan, strict=True))
        truth = _init(int(cover.truth[j]), size) ^ (0xFFFF if flip[x] else 0)
        lines.append(f"  {cell} #(.{init}(16'h{truth:04x})) lut_{x} ({conn}, .{out_pin}(n{x}));")
    return lines


def _wide_lut_lines(x: int, truth: int, size: int, fan: list[str], flip: bool) -> list[str]:
    """An ECP5 LUT5/LUT6 (``--lut-native``): one ``LUT4`` per cofactor over the top fanins,
    ``PFUMX`` on fanin 4 (``Z = C0 ? ALUT : BLUT``), ``L6MUX21`` on fanin 5 (``Z = SD ? D1 :
    D0``), the slice's own muxes; LUT4 ``c`` holds table bits ``16c .. 16c + 15``."""
    lines = []
    for c in range(1 << (size - 4)):
        init = ((truth >> (16 * c)) & 0xFFFF) ^ (0xFFFF if flip else 0)
        conn = ", ".join(f".{p}({s})" for p, s in zip("ABCD", fan[:4], strict=True))
        lines += [f"  wire n{x}_l{c};",
                  f"  LUT4 #(.INIT(16'h{init:04x})) lut_{x}_{c} ({conn}, .Z(n{x}_l{c}));"]
    mux = [f"n{x}_l{c}" for c in range(1 << (size - 4))]
    if size == 5:
        return lines + [f"  PFUMX mux_{x} (.ALUT({mux[1]}), .BLUT({mux[0]}), .C0({fan[4]}), "
                        f".Z(n{x}));"]
    for q in range(2):
        lines += [f"  wire n{x}_m{q};",
                  f"  PFUMX mux_{x}_{q} (.ALUT({mux[2 * q + 1]}), .BLUT({mux[2 * q]}), "
                  f".C0({fan[4]}), .Z(n{x}_m{q}));"]
    return lines + [f"  L6MUX21 mux_{x} (.D0(n{x}_m0), .D1(n{x}_m1), .SD({fan[5]}), .Z(n{x}));"]


def _output_lines(cover: LutNetwork, outs: tuple[OutputPort, ...], stages: _Stages,
                  flip: np.ndarray, latency: int) -> list[str]:
    """One ``assign`` per output port, its bits read after the last rank."""
    lines, bit = [], 0
    for o in outs:
        srcs = []
        for _ in range(o.width):
            x, inv = int(cover.output_ids[bit]), bool(cover.output_compl[bit])
            src = stages.read(x, latency + 1)
            srcs.append(f"~{src}" if inv and not flip[x] else src)
            bit += 1
        lines.append(f"  assign {o.port} = {{{', '.join(reversed(srcs))}}};")
    if bit != cover.num_outputs:
        raise ValueError(f"the RTL has {bit} output bits, the cover {cover.num_outputs}")
    return lines


def _valid_lines(latency: int) -> list[str]:
    """``out_valid``: ``in_valid`` itself, or a ``valid`` shift register cleared by ``rst``."""
    if latency == 0:
        return ["  assign out_valid = in_valid;"]
    shifted = "in_valid" if latency == 1 else f"{{valid[{latency - 2}:0], in_valid}}"
    return [f"  reg [{latency - 1}:0] valid;",
            f"  always @(posedge clk) if (rst) valid <= 0; else if (out_ready) valid <= "
            f"{shifted};",
            f"  assign out_valid = valid[{latency - 1}];"]


def _ccu2c_cells(core: ChainedCore, avail: np.ndarray, read) -> list[str]:
    """One ``CCU2C`` per two chain positions (``D`` tied high, see :mod:`.carry_popcount`);
    an odd chain's last half holds its spare LUT (all four pins, carry-in 0 after the closing
    bridge, inputs as seen in the LUT's own stage) or computes nothing.

    A chain's first carry-in and last carry-out are left unconnected: nextpnr-ecp5 puts a
    feed-in ``CCU2C`` before a chain whose ``CIN`` has a net (a constant too) and a feed-out
    after one whose last ``COUT`` has a net, two slices per chain that Yosys' figures do not
    show. Neither is needed: the first position is a bridge (``P = 0``, so ``COUT = G``
    whatever comes in, and its sum is never read), and the last carry-out is never read. Spare
    LUT pins are tied high, which nextpnr folds into the table (a low ``C`` or ``D`` would be
    routed from a constant driver unless its partner is high)."""
    lines = []
    live, value = _live_and_constant(core.net)
    for c, (chain, cells) in enumerate(zip(core.chains, live_cells(core, live), strict=True)):
        stage = int(avail[chain.positions[0].s_id])
        cin = ""
        for k in range(0, 2 * cells, 2):
            halves = chain.positions[k:k + 2]
            conn, inits = [f".CIN({cin})"], []
            for h in range(2):
                if h < len(halves):
                    p = halves[h]
                    a, b, cc = (read(x, stage) for x in p.pins)
                    lines.append(f"  wire n{p.s_id};")
                    out, value = f"n{p.s_id}", p.init
                    d = "1'b1"
                elif chain.spare is not None:  # after the closing bridge: CIN is 0
                    x, net = chain.spare, core.net
                    j = x - net.first_lut
                    size = int(net.sizes[j])
                    a, b, cc, d = ["1'b1"] * (4 - size) + [read(int(f), int(avail[x]))
                                                           for f in net.fanins[j, :size]]
                    lines.append(f"  wire n{x};")
                    out, value = f"n{x}", _init(int(net.truth[j]), size)
                else:
                    a = b = cc = "1'b0"
                    out, value, d = "", 0, "1'b1"
                conn += [f".A{h}({a})", f".B{h}({b})", f".C{h}({cc})", f".D{h}({d})",
                         f".S{h}({out})"]
                inits.append(f".INIT{h}(16'h{value:04x})")
            last = k // 2 == cells - 1
            cout = "" if last else f"cc{c}_{k // 2}"
            if not last:
                lines.append(f"  wire {cout};")
            lines.append(f"  CCU2C #({', '.join(inits)}, .INJECT1_0(\"NO\"), "
                         f".INJECT1_1(\"NO\")) ccu_{c}_{k // 2} ({', '.join(conn)}, "
                         f".COUT({cout}));")
            cin = cout
        # a dropped cell's sums are constants (driven here) or read only by dead logic
        for x in [p.s_id for p in chain.positions[2 * cells:]] + (
                [chain.spare] if chain.spare is not None and 2 * cells < len(chain.positions)
                else []):
            lines.append(f"  wire n{x}" + (f" = 1'b{value[x]};" if value[x] >= 0 else ";"))
    return lines


def _live_and_constant(net: LutNetwork) -> tuple[np.ndarray, np.ndarray]:
    """Per id: whether it is a non-constant that reaches an output through inputs the tables
    really read (Yosys drops an input a table ignores), and its value where it is a constant
    (folded from constant inputs), else -1."""
    n = net.first_lut + net.num_luts
    const = np.zeros(n, dtype=bool)
    value = np.zeros(n, dtype=bool)
    const[0] = True
    for j in range(net.num_luts):
        size, truth = int(net.sizes[j]), int(net.truth[j])
        fan = [int(f) for f in net.fanins[j, :size]]
        rows = [m for m in range(1 << size)
                if all(not const[f] or ((m >> i) & 1) == value[f] for i, f in enumerate(fan))]
        outs = {(truth >> m) & 1 for m in rows}
        if len(outs) == 1:
            const[net.first_lut + j], value[net.first_lut + j] = True, bool(outs.pop())
    live = np.zeros(n, dtype=bool)
    live[net.output_ids] = True
    for j in range(net.num_luts - 1, -1, -1):  # fanins come before their readers
        if live[net.first_lut + j] and not const[net.first_lut + j]:
            size, truth = int(net.sizes[j]), net.truth[j]
            for i in range(size):
                if tt_depends(truth, i, VAR_TT):
                    live[int(net.fanins[j, i])] = True
    return live & ~const, np.where(const, value.astype(np.int8), np.int8(-1))


def live_cells(core: ChainedCore, live: np.ndarray) -> list[int]:
    """Per chain, how many of its ``CCU2C`` to write: up to the last one with an output that
    is ``live`` (:func:`_live_and_constant`). A trailing cell whose sums nothing needs (say a
    count's top bit that the argmax's tables ignore) would be removed by Yosys anyway."""
    counts = []
    for chain in core.chains:
        used = [k // 2 for k, p in enumerate(chain.positions) if live[p.s_id]]
        if chain.spare is not None and live[chain.spare]:
            used.append((len(chain.positions) - 1) // 2)
        counts.append(max(used) + 1 if used else 0)
    return counts


def chain_ends_script(core: ChainedCore, module: str) -> str:
    """Yosys commands (``NAME_chains.ys``, run by ``synth.ys``) that leave every chain's first
    carry-in and last carry-out without a net, as :func:`_ccu2c_cells` writes them: Yosys ties
    an open input to 0, and nextpnr-ecp5 would then add a feed-in ``CCU2C`` before the chain
    (and a feed-out after a last carry-out that has a net), two slices per chain that no
    Yosys figure shows. Section ``starts`` runs before the netlist is written; ``ends`` after,
    since a simulator cannot drive an output port from a constant."""
    live, _ = _live_and_constant(core.net)
    starts, ends = [], []
    for c, (chain, n) in enumerate(zip(core.chains, live_cells(core, live), strict=True)):
        sums = [k // 2 for k, p in enumerate(chain.positions[:2 * n]) if live[p.s_id]]
        if sums:  # a cell whose chain sums are all constant or unread, ABC9 may dissolve
            starts.append(f"ccu_{c}_0")
            if sums[-1] == n - 1:
                ends.append(f"ccu_{c}_{n - 1}")
    return "\n".join([
        "# generated by gatecomp: the carry chains' open ends (see board/synth.ys)",
        "starts:", f"cd {module}", *(f"connect -port {cell} CIN 1'bx" for cell in starts),
        "cd ..",
        "ends:", f"cd {module}", *(f"connect -port {cell} COUT 1'bx" for cell in ends),
        "cd ..", ""])


def _inverted_only(cover: LutNetwork) -> np.ndarray:
    """Per id: a LUT read only by inverted outputs. Its cell computes the complement (INIT
    inverted), which saves the LUT an output inverter takes (on the digits DLGN 1 of the 12
    inverted output bits; the other 11 LUTs also feed the argmax and keep their inverter)."""
    first = cover.first_lut
    flip = np.zeros(first + cover.num_luts, dtype=bool)
    flip[cover.output_ids[cover.output_compl]] = True
    flip[cover.output_ids[~cover.output_compl]] = False
    flip[cover.fanins[cover.fanins >= 0]] = False
    flip[:first] = False
    return flip


def _init(truth: int, size: int) -> int:
    """The 16-bit INIT of a ``size``-input truth table on the top ``size`` pins (the low pins
    tied to 0): bit ``i`` is the table's bit ``i >> (4 - size)``, whatever the unused pins."""
    shift = 4 - size
    return sum(((truth >> (i >> shift)) & 1) << i for i in range(16))
