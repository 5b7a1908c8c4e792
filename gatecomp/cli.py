"""The ``gatecomp`` command line: parses options and delegates; all work lives in the library."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click

from .errors import GatecompError, InternalError
from .verify.accuracy import percent

BUNDLED_EXAMPLE = Path(__file__).parent / "examples" / "digits_dlgn.pt"


class _Group(click.Group):
    """A GatecompError becomes a one-line ``Error:`` and exit status 1; a bug (InternalError or
    any other exception) one line naming it a bug and exit status 2, with the traceback under
    ``--debug``."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GatecompError as exc:
            if _LOG.as_json:  # the log stays one JSON object a line
                _LOG.event("error", str(exc))
                ctx.exit(1)
            raise click.ClickException(str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: the writers removed their temp files
            msg = f"Error: {str(exc) or 'interrupted (Ctrl-C)'}; no half-written output was left"
            if _LOG.as_json:
                _LOG.event("error", msg)
            else:
                click.echo(msg, err=True)
            ctx.exit(130)
        except BrokenPipeError:  # the reader of our output went away (`| head`): not a bug
            sys.stderr.close()
            ctx.exit(0)
        except Exception as exc:  # noqa: BLE001 - a bug: say so in one line, keep the traceback
            if ctx.obj and ctx.obj.get("debug"):
                raise
            kind = "" if isinstance(exc, InternalError) else f"{type(exc).__name__}: "
            msg = (f"Internal error (a gatecomp bug, please report it): {kind}{exc}; "
                   "rerun with --debug for the traceback")
            if _LOG.as_json:
                _LOG.event("error", msg)
            else:
                click.echo(msg, err=True)
            ctx.exit(2)


#: a progress line's stage (``load: ...``, ``[ 3/12] rewrite: ...``) and its seconds (``(1.23 s)``
#: or ``(0.50 s, 2.1 s so far)``), for --log-json
_STAGE = re.compile(r"^(?:\[\s*\d+/\d+\]\s*)?'?([A-Za-z][\w .+-]*?)'?:\s")
_SECONDS = re.compile(r"\((\d+(?:\.\d+)?) s[,)]")


@dataclass
class _Log:
    """Where progress goes: ``[gatecomp]`` lines on stderr, none under -q, or under
    --log-json one JSON object an event (a program reading the log needs no parsing of
    prose). Progress bars only for a person at a terminal: never with -q, --log-json or CI."""

    quiet: bool = False
    as_json: bool = False

    def progress(self, msg: str) -> None:
        if self.as_json:
            self.event("progress", msg)
        elif not self.quiet:
            click.echo(f"[gatecomp] {msg}", err=True)

    def event(self, event: str, msg: str) -> None:
        """``{"event", "stage", "message", "seconds", "time"}`` on stderr, one line."""
        text = msg.strip()
        stage, secs = _STAGE.match(text), _SECONDS.findall(text)
        click.echo(json.dumps({"event": event, "stage": stage.group(1) if stage else None,
                               "message": text, "seconds": float(secs[-1]) if secs else None,
                               "time": round(time.time(), 3)}), err=True)

    def bars(self) -> bool:
        ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
        return not (self.quiet or self.as_json or ci) and sys.stderr.isatty()


_LOG = _Log()


def _progress(msg: str) -> None:
    _LOG.progress(msg)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gatecomp")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress lines or bars on stderr (results and errors are still "
                   "printed). Progress bars are shown only on a terminal, and not when the "
                   "CI environment variable is set; the [gatecomp] lines are.")
@click.option("--log-json", is_flag=True,
              help="Progress and errors as one JSON object a line on stderr: {\"event\": "
                   "\"progress\"|\"error\", \"stage\", \"message\", \"seconds\", \"time\"} "
                   "(stage and seconds null where the line names none).")
@click.pass_context
def main(ctx: click.Context, debug: bool, quiet: bool, log_json: bool) -> None:
    """Compile trained logic-gate networks to verified hardware.

    \b
    Typical flow:
      gatecomp info model.pt                        what the frontend sees
      gatecomp compile model.pt -o build/net        Verilog, AIGER, testbench, report
      gatecomp verify build/net                     cocotb regression vs. PyTorch
      gatecomp compile model.pt -o build/net --board icebreaker
      gatecomp build build/net                      bitstream + report (Yosys, nextpnr)
      gatecomp verify build/net --netlist           regression on the synthesized netlist
      gatecomp demo                                 all of it on the bundled digits model
      gatecomp sweep model.pt --grid g.toml -o build/sweep   options grid, Pareto fronts
    """
    ctx.obj = {"debug": debug}
    _LOG.quiet, _LOG.as_json = quiet, log_json


#: the logic layers' parametrization, for compile and info (a torchlogix state_dict's (out, 4)
#: weights may be light or warp)
_parametrization_option = click.option(
    "--parametrization", type=click.Choice(["raw", "light", "warp", "walsh"]), default=None,
    help="Parametrization of the logic layers of a torchlogix state_dict whose weights are "
         "(out, 4): light and warp (walsh) are stored alike and compute different gates, so "
         "gatecomp does not guess. A wrapper field 'parametrization' does the same.")


def _json_object(_ctx, _param, value: str | None) -> dict | None:
    if value is None:
        return None
    try:
        obj = json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise click.BadParameter("must be a JSON object, e.g. '{\"tau\": 6.5}'")
    return obj


def _arch_options(f):
    """``--arch``/``--arch-kwargs``: the torchlogix zoo class a bare state_dict belongs to;
    ``--input-bits``: integer features compared in hardware."""
    f = click.option("--input-bits", type=click.IntRange(1, 24), metavar="N",
                     help="For a torchlogix model that starts with a binarization layer: the "
                          "circuit takes N-bit unsigned features (e.g. 8 for pixels) and "
                          "compares them with the learned thresholds in hardware. Default: "
                          "it takes the binarization's output bits. With --encoder (torch_dwn): "
                          "the width of the features.")(f)
    f = click.option("--arch-kwargs", callback=_json_object, metavar="JSON",
                     help="Constructor arguments of --arch as a JSON object, e.g. "
                          "'{\"thresholds\": [0.5], \"binarization\": \"dummy\", "
                          "\"binarization_kwargs\": {}}'.")(f)
    return click.option("--arch", metavar="NAME",
                        help="torchlogix zoo class (torchlogix.models, e.g. ClgnMnistSmall) "
                             "that takes a bare state_dict; a wrapper {'state_dict', 'model', "
                             "'model_kwargs'} names it in the file. Needs torchlogix installed; "
                             "a whole pickled model (torch.save(model)) needs neither.")(f)


#: a DWN model's thermometer encoder, for compile and info
_encoder_option = click.option(
    "--encoder", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="ENC",
    help="For a torch_dwn model: its input encoder (a torch.save of the fitted Thermometer / "
         "DistributiveThermometer / GaussianThermometer, or its thresholds as .npy or a saved "
         "tensor). The circuit then takes unsigned integer features (--input-bits N, default: "
         "the smallest width holding every threshold) and compares them in hardware. "
         "Default: it takes the encoded bits.")


_EFFORT_HELP = ("Optimization effort: 'fast' (cleanup,balance: depth only), 'default' (the strong "
                "script: resyn rounds, dc2-style MFFC refactoring and deep resubstitution, about "
                "20 s per 100k ANDs; above 300k ANDs resyn2, above 2M ANDs fast), 'high' (ABC's "
                "resyn2; dc2; dc2; compress2rs; resyn2; compress2rs with our passes, about 2x "
                "default; above 1M ANDs the strong script). -p overrides it.")

@main.command("compile")
@click.argument("model", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Build directory to create (e.g. build/net).")
@click.option("--name", help="Verilog module name (default: the output directory's name).")
@click.option("--pipeline-stages", type=click.IntRange(min=0), metavar="N",
              help="Register stages, balanced by logic level (0 = combinational).")
@click.option("--levels-per-stage", type=click.IntRange(min=1), metavar="L",
              help="Insert a register stage every L logic levels.")
@click.option("--luts-per-stage", type=click.IntRange(min=1), metavar="N",
              help="Insert a register stage every N levels of the design's 4-LUT mapping, so "
                   "registers hold LUT outputs only (fewer LUTs on iCE40/ECP5 than "
                   "--levels-per-stage). Default with --board/--device and no other pipeline "
                   "option: 3.")
@click.option("-p", "--passes", "script", default=None, metavar="SCRIPT",
              help="Optimization script, e.g. 'cleanup,balance,rewrite' or a named one "
                   "(resyn, resyn2, dc2, compress2rs, strong, heavy); default: --effort.")
@click.option("--effort", type=click.Choice(["fast", "default", "high"]), default="default",
              show_default=True, help=_EFFORT_HELP)
@click.option("--inputs", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Test vectors as a .npy bool/0-1 matrix (samples x input bits); default: "
                   "the model's held-out set, or random vectors if it has none.")
@click.option("--vectors", "max_vectors", type=click.IntRange(min=1), metavar="N",
              help="Use at most N test vectors.")
@click.option("--prove/--no-prove", default=None,
              help="Prove optimized == lowered (gatecomp's SAT/BDD checker, plus ABC cec when "
                   "installed; default: when the net has <= 100k ANDs).")
@click.option("--board", metavar="BOARD",
              help="Add board/ (UART shell, constraints, Makefile) for an FPGA board: "
                   "icebreaker, ulx3s[-85f|-45f|-25f], orangecrab, or a board .toml file.")
@click.option("--device", metavar="DEVICE",
              help="Add board/ for a device-only (out-of-context) FPGA build, e.g. "
                   "ice40-up5k-sg48, ecp5-25k.")
@click.option("--lut-cells", is_flag=True,
              help="With --luts-per-stage and --board/--device: board/ synthesizes gatecomp's "
                   "4-LUT cover as device cells (board/NAME_luts.v: LUT4 / SB_LUT4), which "
                   "Yosys keeps, instead of re-mapping rtl/NAME.v; on ECP5 with the popcounts "
                   "on carry chains. Fewer LUTs on the digits DLGN (ECP5, as placed: 2667 LUT "
                   "area vs 3173, at 127 vs 161 MHz). Off by default: nextpnr routed every "
                   "RTL core tried, but not every big LUT-cell core (see README).")
@click.option("--carry-chains/--no-carry-chains", default=True, show_default=True,
              help="With --lut-cells on ECP5: build the GroupSum popcounts as adder trees on "
                   "CCU2C carry chains (one chain position per LUT4 of area; about 150 instead "
                   "of 190 LUT4 per 100-bit count), checked against the IR before writing.")
@click.option("--lut-native", is_flag=True,
              help="With --lut-cells, LUT networks (DWN, torchlogix lut_rank): per neuron, "
                   "keep its table as one device LUT (ECP5: LUT4, LUT5/6 with PFUMX/L6MUX21; "
                   "iCE40: LUT4) or its synthesized logic, whichever has fewer LUT4.")
@click.option("--chain-length", type=click.IntRange(min=4), default=None, metavar="N",
              help="With --lut-cells on ECP5: at most N positions (half CCU2C) per carry "
                   "chain (default 28; an adder longer than N gets a chain of its own). "
                   "A chain is a rigid row of slices that all its inputs must reach: when "
                   "nextpnr does not route a big chained core, 14 routes more easily for "
                   "about 3 % more LUT area.")
@click.option("--care-set", type=click.Choice(["train"]), default=None,
              help="Treat input patterns that never occur in the model's training split as "
                   "don't-cares: smaller hardware that equals the network on every training "
                   "input but may differ elsewhere (the report gives the test vectors changed "
                   "and the accuracy effect; verify then checks the RTL against that function). "
                   "Off by default.")
@_parametrization_option
@_arch_options
@_encoder_option
@click.option("--asic", is_flag=False, flag_value="osu018", default=None, metavar="[LIB]",
              help="Also map the RTL onto a standard-cell library and time it (asic/: mapped "
                   "netlist, scripts, logs; report.json 'asic': area, cells, flops, critical "
                   "path, fmax). LIB: osu018 (the default), osu035, osu050 (Debian's "
                   "qflow-tech-* packages) or a Liberty file. Needs Debian's yosys and "
                   "opensta.")
@click.option("--conv", type=click.Choice(["auto", "flat", "streaming"]), default="auto",
              show_default=True,
              help="torchlogix conv layers: 'flat' (every position in one circuit), "
                   "'streaming' (one kernel instance per layer, line buffers, one pixel per "
                   "clock, dense tail flat), 'auto' (streaming where a --board/--device "
                   "target is too small for the flat design).")
@click.option("-f", "--force", is_flag=True, help="Replace an existing output directory.")
def compile_cmd(model: Path, out_dir: Path, name, pipeline_stages, levels_per_stage,
                luts_per_stage, script, effort,
                inputs, max_vectors, prove, board, device, lut_cells, carry_chains,
                lut_native, chain_length, care_set, parametrization, arch, arch_kwargs, input_bits,
                encoder, asic, conv, force) -> None:
    """Compile MODEL (a checkpoint) into a build directory.

    \b
    Writes  rtl/NAME.v     Verilog (Amaranth), valid/ready stream ports
            rtl/NAME.json  port map, widths, latency, source, options
            NAME.aig       optimized IR as binary AIGER (ABC, Yosys)
            sim/           cocotb test + vectors (run with `gatecomp verify`)
            report.json    gates, levels, latency, accuracy, checks, timings
            board/         with --board/--device: shell top, constraints, Makefile
            asic/          with --asic: mapped netlist, constraints, Yosys/OpenSTA scripts
    """
    from .flow import CompileOptions, compile_model

    if asic is not None:  # the tools and the library first, not after the compile's work
        from .asic.stage import prepare
        prepare(asic)

    opts = CompileOptions(name=name, pipeline_stages=pipeline_stages,
                          levels_per_stage=levels_per_stage, luts_per_stage=luts_per_stage,
                          script=script or effort,
                          inputs=inputs, max_vectors=max_vectors, prove=prove, force=force,
                          board=board, device=device, care_set=care_set, lut_cells=lut_cells,
                          carry_chains=carry_chains, chain_length=chain_length,
                          lut_native=lut_native,
                          parametrization=parametrization, arch=arch, arch_kwargs=arch_kwargs,
                          input_bits=input_bits, encoder=encoder, asic=asic,
                          conv=None if conv == "auto" else conv)
    result = compile_model(model, out_dir, opts, progress=_progress)
    _print_compile_summary(result.report)
    if "streaming" in result.report:
        _print_streaming_summary(result.report["streaming"])
    if "asic" in result.report:
        _print_asic_summary(result.report["asic"])


@main.command()
@click.argument("build_dir", type=click.Path(path_type=Path))
@click.option("--sim", type=click.Choice(["icarus", "verilator"]), default="icarus",
              show_default=True, help="HDL simulator for the cocotb regression.")
@click.option("--vectors", type=click.IntRange(min=1), metavar="N",
              help="Check only the first N vectors.")
@click.option("--backpressure", is_flag=True,
              help="Randomly drop out_ready and in_valid to test the stream handshake.")
@click.option("--netlist", is_flag=False, flag_value="", default=None, metavar="[FILE]",
              help="Verify a Verilog netlist instead of rtl/NAME.v (same ports); alone: the "
                   "one `gatecomp build` synthesized (board/NAME_netlist.v), with the FPGA "
                   "cell models.")
@click.option("--formal", is_flag=True,
              help="With --netlist: prove the netlist (iCE40/ECP5 cells, read back by Yosys "
                   "with their models) equal to the compiled circuit over the pipeline "
                   "latency, by SAT and ABC cec, instead of simulating it; a counterexample "
                   "is written as BUILD_DIR/counterexample/ (a cocotb regression).")
@click.option("--uart", is_flag=True,
              help="Verify the board's UART shell with the core at protocol level: 8N1 "
                   "frames on uart_rx, answer bytes decoded from uart_tx, the frame timeout "
                   "(needs compile --board; 20 vectors unless --vectors).")
@click.option("--baud", type=click.IntRange(min=1), metavar="BAUD",
              help="With --uart: simulate the shell rebuilt for this baud rate (fewer cycles; "
                   "default: board/NAME_uart.v as synthesized).")
@click.option("--timeout-cycles", type=click.IntRange(min=1), metavar="N",
              help="With --uart: simulate the shell rebuilt with this frame timeout in clock "
                   "cycles (default: 50 ms).")
@click.option("--port", metavar="DEVICE",
              help="With --uart: send the vectors to a real board on this serial port "
                   "(e.g. /dev/ttyUSB1; needs pyserial).")
def verify(build_dir: Path, sim: str, vectors, backpressure: bool, netlist, formal: bool,
           uart: bool, baud, timeout_cycles, port) -> None:
    """Run the cocotb regression of BUILD_DIR's RTL against the PyTorch reference.

    One vector per clock is streamed through the pipeline; every output is compared bit for bit
    at exactly the latency in rtl/NAME.json. With --uart, the board's UART shell is driven
    through its serial pins instead, and each answer byte is compared with the reference class.
    Exit status 1 on any mismatch.
    """
    from .verify.rtl_sim import run_rtl_verify

    if not uart and (baud or timeout_cycles or port):
        raise GatecompError("--baud, --timeout-cycles and --port go with --uart")
    if formal:
        _verify_formal(build_dir, netlist, uart or backpressure or vectors)
        return
    from .verify.seq_rtl import is_sequential_build

    if is_sequential_build(build_dir):
        _verify_sequences(build_dir, sim, vectors, backpressure, netlist, uart)
        return
    from .verify.image_rtl import is_streaming_build

    if is_streaming_build(build_dir) and not uart:
        _verify_images(build_dir, sim, vectors, backpressure, netlist)
        return
    if uart:
        _verify_uart(build_dir, sim, vectors, backpressure, netlist, baud, timeout_cycles, port)
        return
    _verify_simulated(run_rtl_verify, "simulating {} with {}", build_dir, sim, vectors,
                      backpressure, netlist)


def _verify_formal(build_dir: Path, netlist, simulation_options) -> None:
    """--netlist --formal: the proof, its summary, and the counterexample if refuted."""
    from .verify.netlist_formal import prove_build_netlist, refusal

    if netlist is None or simulation_options:
        raise GatecompError("--formal goes with --netlist [FILE] (no --uart, --backpressure "
                            "or --vectors: it covers every input)")
    res = prove_build_netlist(build_dir, Path(netlist) if netlist else None, _progress)
    click.echo(res.summary())
    if res.equivalent is not True:
        raise GatecompError(refusal(res, build_dir))


def _verify_images(build_dir: Path, sim: str, vectors, backpressure: bool, netlist) -> None:
    """A streaming (--conv streaming) build: whole images, pixel by pixel, through its RTL."""
    from .verify.image_rtl import run_image_verify

    _verify_simulated(run_image_verify, "streaming the images of {} through {}", build_dir, sim,
                      vectors, backpressure, netlist)


def _verify_simulated(run, message: str, build_dir: Path, sim: str, vectors,
                      backpressure: bool, netlist) -> None:
    """One regression ``run`` on the RTL, or on a netlist (``--netlist [FILE]``, the board's
    cell models added), its summary printed; ``message`` names the design and simulator."""
    extra: list[Path] = []
    if netlist is not None:
        from .fpga.netlist import netlist_sources
        netlist, extra = netlist_sources(build_dir, Path(netlist) if netlist else None)
    _progress(message.format(netlist or build_dir, sim) + " ...")
    res = run(build_dir, sim=sim, vectors=vectors, netlist=netlist, backpressure=backpressure,
              extra_sources=extra)
    click.echo(res.summary())
    res.raise_on_failure()


def _verify_sequences(build_dir: Path, sim: str, vectors, backpressure: bool, netlist,
                      uart: bool) -> None:
    """A sequential build: whole sequences through its RTL (or a netlist file of it)."""
    from .verify.seq_rtl import run_sequence_verify

    if uart or netlist == "":
        raise GatecompError("a sequential build has no board project: drop --uart, or give "
                            "--netlist FILE")
    _progress(f"simulating the sequences of {netlist or build_dir} with {sim} ...")
    res = run_sequence_verify(build_dir, sim=sim, vectors=vectors, backpressure=backpressure,
                              netlist=Path(netlist) if netlist else None)
    click.echo(res.summary())
    res.raise_on_failure()


def _verify_uart(build_dir: Path, sim: str, vectors, backpressure: bool, netlist, baud,
                 timeout_cycles, port) -> None:
    from .fpga.uart_verify import UART_DEFAULT_VECTORS, run_board_verify, run_uart_verify

    if backpressure:
        raise GatecompError("--backpressure tests the stream ports; the UART shell sets its own "
                            "pace (drop --backpressure)")
    count = vectors or UART_DEFAULT_VECTORS
    if port:
        if netlist is not None or baud or timeout_cycles:
            raise GatecompError("--port talks to the board as built: no --netlist, --baud or "
                                "--timeout-cycles")
        _progress(f"sending {count} vectors to the board on {port} ...")
        res = run_board_verify(build_dir, port, count)
    else:
        extra: list[Path] = []
        if netlist is not None:
            from .fpga.netlist import netlist_sources
            netlist, extra = netlist_sources(build_dir, Path(netlist) if netlist else None)
        _progress(f"simulating the UART shell of {netlist or build_dir} with {sim} ...")
        res = run_uart_verify(build_dir, count, sim=sim, baud=baud,
                              timeout_cycles=timeout_cycles, netlist=netlist,
                              extra_sources=tuple(extra))
    click.echo(res.summary())
    res.raise_on_failure()


@main.command("build")
@click.argument("build_dir", type=click.Path(path_type=Path))
@click.option("--freq", type=click.FloatRange(min=0, min_open=True), metavar="MHZ",
              help="Required clock in MHz (default: the board clock; none for --device).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="MIN",
              help="Stop the flow after MIN minutes with a message (default: no limit; "
                   "nextpnr may try to route an unroutable design for hours).")
@click.option("--no-formal", is_flag=True,
              help="Skip the formal proof of the netlist (run by default on circuits of at "
                   "most 20,000 ANDs; see gatecomp verify --netlist --formal).")
def build_cmd(build_dir: Path, freq, time_limit, no_formal: bool) -> None:
    """Synthesize, place, route and pack BUILD_DIR/board (Yosys, nextpnr, icepack/ecppack).

    The core synthesized is rtl/NAME.v, or board/NAME_luts.v (gatecomp's LUT cover as device
    cells) when the build was compiled with --lut-cells.

    \b
    Writes  board/NAME.bin|.bit     the bitstream
            board/NAME_netlist.v    synthesized netlist (gatecomp verify --netlist)
            board/report.json       LUTs, FFs, carry, RAM, utilisation, Fmax, levels,
                                    latency, throughput, formal (the netlist proof)
    Needs a build compiled with --board or --device. Exit status 1 if the design does not
    fit, misses the required clock (with a message saying by how much) or runs past
    --time-limit.
    """
    from .fpga.flow import build

    result = build(build_dir, freq_mhz=freq, progress=_progress, time_limit_min=time_limit)
    if not no_formal:
        from .verify.build_formal import formal_after_build, formal_line

        click.echo(formal_line(formal_after_build(build_dir, _progress)))
    click.echo(f"bitstream {result.bitstream}; report {result.board_dir / 'report.json'}")


@main.command("sweep")
@click.argument("model", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--grid", "grid_file", required=True, metavar="GRID.toml",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The grid: one list of values per compile option (see above).")
@click.option("-o", "--output", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Sweep directory: sweep.csv, sweep.html and points/ (kept: a rerun "
                   "reuses every finished point).")
@click.option("--workers", type=click.IntRange(min=1), metavar="N",
              help="Worker processes of the local Dask cluster (one thread each); default: "
                   "one per CPU, as many as the memory holds at 2 GiB each.")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run the points on a running Dask cluster (`dask scheduler`, `dask worker "
                   "tcp://HOST:PORT`) instead of a local one. Its workers need gatecomp "
                   "installed and must see MODEL and -o at the same paths (a shared "
                   "filesystem).")
@click.option("--build/--no-build", default=True, show_default=True,
              help="Run gatecomp build for points with a board or device (LUT area, FFs, "
                   "Fmax: slow); --no-build keeps the compile's own figures.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="MIN",
              help="Stop a point's FPGA build after MIN minutes (the point fails).")
def sweep_cmd(model: Path, grid_file: Path, out_dir: Path, workers, scheduler, build: bool,
              time_limit) -> None:
    """Compile MODEL at every point of a grid of compile options, each point a Dask task;
    write DIR/sweep.csv (one row a point) and DIR/sweep.html (the Pareto fronts).

    \b
    GRID.toml has one list per compile option, spelled without its dashes:
      pipeline-stages = [0, 1, 2]
      passes = ["cleanup", "default"]
      board = ["default", "icebreaker"]     # "default": the option left out
      vectors = 200                         # one value: the same for every point
    A finished point is kept in DIR/points/KEY/ under a hash of the model's bytes, its
    options and the tool versions, so a rerun (after a crash, or with a bigger grid) runs
    only the rest; a point whose worker dies is run again elsewhere. Needs
    gatecomp[sweep] (dask[distributed]). Exit status 1 if a point failed (its row says why).
    """
    from .sweep import SweepConfig, load_grid, run_sweep

    grid = load_grid(grid_file, compile_cmd)
    config = SweepConfig(workers=workers, scheduler=scheduler, build=build,
                         time_limit_min=time_limit, bar=_LOG.bars(),
                         worker_log_level=logging.ERROR if _LOG.quiet or _LOG.as_json
                         else logging.WARNING)
    res = run_sweep(model, grid, out_dir, config, progress=_progress)
    s = res.summary
    click.echo(f"sweep: {len(res.rows)} points ({s.ran} run, {s.cached} reused, {s.failed} "
               f"failed) in {s.seconds:.1f} s, {s.cluster}")
    for name, members in res.fronts.items():
        if members:
            click.echo(f"  Pareto front {name}: points "
                       f"{', '.join(str(res.rows[i]['point']) for i in members)}")
    click.echo(f"wrote {res.csv} and {res.html}")
    if res.failed:
        raise GatecompError(f"{len(res.failed)} of {len(res.rows)} points failed (point "
                            f"{', '.join(map(str, res.failed))}); the message column of "
                            f"{res.csv} says why")


@main.command("report")
@click.argument("build_dir", type=click.Path(path_type=Path))
@click.option("--open", "open_it", is_flag=True, help="Show the page in the web browser.")
def report_cmd(build_dir: Path, open_it: bool) -> None:
    """Regenerate BUILD_DIR/report.html from the build's files (report.json, board/report.json,
    rtl/NAME.json, NAME.aig): one self-contained page, no network resources."""
    import webbrowser

    from .report import write_report_html

    out = write_report_html(build_dir)
    click.echo(f"wrote {out}")
    if open_it:
        webbrowser.open(out.resolve().as_uri())


@main.command("opt")
@click.argument("src", metavar="IN.aig|IN.aag|IN.v", type=click.Path(path_type=Path))
@click.option("-o", "--output", "dst", required=True, type=click.Path(path_type=Path),
              help="Optimized AIGER file to write.")
@click.option("-p", "--passes", "script", default=None, metavar="SCRIPT",
              help="Pass script, e.g. 'cleanup,balance,fraig' or a named one (resyn, resyn2, "
                   "dc2, compress2rs, strong, heavy); default: --effort.")
@click.option("--effort", type=click.Choice(["fast", "default", "high"]), default="default",
              show_default=True, help=_EFFORT_HELP)
@click.option("--verify/--no-verify", default=True, show_default=True,
              help="Prove OUT == IN with gatecomp's equivalence checker.")
def opt_cmd(src: Path, dst: Path, script, effort, verify: bool) -> None:
    """Optimize a circuit file with a pass script and write the result as binary AIGER.

    Reads AIGER (binary .aig or ASCII .aag; with latches, the step is optimized and the
    latches kept, proven also by ABC cec/dsec) and, by the suffix .v, structural gate-level
    Verilog netlists (assign with bit-level operators, gate primitives, modules of the same
    file; what Yosys' write_verilog writes; needs iverilog). Prints ANDs, levels and seconds
    per pass; the result is proven equivalent to the input (simulation, SAT sweeping, BDDs)
    before it is written. Exit status 1 on a bad file or a failed proof.
    """
    from .optimize import optimize_file, summary_lines

    res = optimize_file(src, dst, script or effort, verify=verify, progress=_progress)
    for line in summary_lines(res):
        click.echo(line)
    if res.proof is None:
        click.echo("equivalence: not checked (--no-verify)")
    elif res.proof.equivalent:
        click.echo(f"equivalence: proved ({res.proof.seconds:.2f} s)")
    else:
        click.echo(f"equivalence: UNDECIDED ({res.proof.message}); random simulation agreed")
    click.echo(f"wrote {dst}")


@main.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@_parametrization_option
@_arch_options
@_encoder_option
def info(model: Path, as_json: bool, parametrization, arch, arch_kwargs, input_bits,
         encoder) -> None:
    """Print what the frontend sees in MODEL: layers, gates, gate types, wiring."""
    from .frontends.registry import load_model

    frontend, loaded = load_model(model, parametrization=parametrization, arch=arch,
                                  arch_kwargs=arch_kwargs, input_bits=input_bits,
                                  encoder=encoder)
    desc = frontend.describe(loaded)
    if frontend.name == "recurrent" and not as_json:
        _print_recurrent_info(desc)
        return
    if as_json or frontend.name not in ("dlgn", "torchlogix"):
        click.echo(json.dumps(desc, indent=2, default=str))
        return
    if frontend.name == "torchlogix":
        _print_layer_table(desc)
        return
    _print_dlgn_info(desc)


@main.command()
@click.option("-o", "--output", "out_dir", default=Path("build/demo"), show_default=True,
              type=click.Path(path_type=Path), help="Build directory for the demo.")
@click.option("--sim", type=click.Choice(["icarus", "verilator"]), default="icarus",
              show_default=True)
@click.option("--levels-per-stage", type=click.IntRange(min=1), default=8, show_default=True,
              help="Register stage every L logic levels.")
@click.option("-f", "--force", is_flag=True, help="Replace an existing output directory.")
def demo(out_dir: Path, sim: str, levels_per_stage: int, force: bool) -> None:
    """Compile the bundled digits DLGN, simulate its RTL on the whole test set, summarise."""
    from .flow import CompileOptions, compile_model
    from .verify.rtl_sim import run_rtl_verify

    start = time.perf_counter()
    result = compile_model(BUNDLED_EXAMPLE, out_dir,
                           CompileOptions(name="digits", levels_per_stage=levels_per_stage,
                                          force=force), progress=_progress)
    _progress(f"simulating the RTL with {sim} on all {result.report['vectors']['count']} "
              f"test vectors ...")
    res = run_rtl_verify(out_dir, sim=sim)
    rep = result.report
    g = rep["gates"]
    acc = rep["accuracy"]
    rows = [
        ("model", f"{BUNDLED_EXAMPLE.name} ({rep['format']})"),
        ("trained logic gates", g["trained_logic_gates"]),
        ("  removed: constant/wire/unused/dup", _removed(rep["network"].get("gate_accounting"))),
        ("AND gates lowered -> optimized", f"{g['ands_lowered']} -> {g['ands_optimized']}"),
        ("logic depth (levels)", f"{g['levels_lowered']} -> {g['levels_optimized']}"),
        ("LUTs, 4-input / 6-input (depth)", _luts(rep.get("luts"))),
        ("pipeline latency (cycles)", rep["pipeline"]["latency"]),
        ("pipeline registers", rep["pipeline"]["registers"]),
        ("reference accuracy (PyTorch)", _pct(acc["reference"])),
        ("hardware accuracy (RTL, " + sim + ")", _pct(res.accuracy)),
        ("vectors simulated", res.vectors),
        ("mismatching outputs", res.mismatches),
        ("handshake/timing errors", res.timing_errors),
        ("total time", f"{time.perf_counter() - start:.1f} s"),
    ]
    width = max(len(k) for k, _ in rows)
    click.echo("\ngatecomp demo: digits DLGN -> verified Verilog")
    for key, val in rows:
        click.echo(f"  {key:<{width}}  {val}")
    click.echo(f"  outputs in {out_dir}/")
    res.raise_on_failure()


@main.command("prove")
@click.argument("build_dir", type=click.Path(path_type=Path))
@click.option("--vector", metavar="I|I,J|I-J|all",
              help="The build's test vector(s) to check (sim/vectors.npz, 0-based).")
@click.option("--input", "bits", metavar="BITS",
              help="An input to check: the circuit's input bits as 0/1, input 0 first.")
@click.option("--robust", "radius", type=click.IntRange(min=0), metavar="R",
              help="Local robustness: no input within distance R changes the class.")
@click.option("--metric", type=click.Choice(["hamming", "linf"]), default="hamming",
              show_default=True,
              help="hamming: R flipped input bits; linf: +-R on every integer feature word "
                   "(circuits that take integer features).")
@click.option("--property", "expr", metavar="EXPR",
              help="A claim over ports that must hold on every input, e.g. "
                   "'pred != 3 when x[0:8] == 0'.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=60.0,
              show_default=True, metavar="S", help="SAT time limit per query (then: unknown).")
@click.option("--engine", type=click.Choice(["auto", "sat"]), default="auto", show_default=True,
              help="auto: simulate the whole Hamming ball when small, sample it, then SAT; "
                   "sat: SAT only.")
@click.option("--json", "json_out", type=click.Path(path_type=Path), metavar="OUT",
              help="Write the result(s) as JSON.")
@click.option("--csv", "csv_out", type=click.Path(path_type=Path), metavar="OUT",
              help="Write one CSV row per robustness query.")
def prove_cmd(build_dir: Path, vector, bits, radius, metric, expr, timeout, engine, json_out,
              csv_out) -> None:
    """Prove properties of BUILD_DIR's compiled circuit by SAT: local robustness
    (--robust R with --vector or --input) or a property (--property EXPR). Every
    counterexample is re-simulated on the AIG and, when its file is found, on the model."""
    from .verify import prove_io
    from .verify.build_circuit import load_build, model_reference
    from .verify.properties import prove_property, prove_robustness
    from .verify.property_lang import parse_property

    if (radius is None) == (expr is None):
        raise GatecompError("give one of --robust R and --property EXPR")
    if expr is not None and (vector or bits or csv_out):
        raise GatecompError("--vector, --input and --csv go with --robust, not --property")
    prop = parse_property(expr) if expr is not None else None
    build = load_build(build_dir)
    reference = model_reference(build)
    if prop is not None:
        res = prove_property(build, prop, timeout=timeout, reference=reference)
        click.echo(f"property {prop.text!r}: {res.result} ({res.seconds:.3f} s)")
        if res.counterexample is not None:
            click.echo(f"  counterexample {res.counterexample}; model: "
                       f"{res.model.reference if res.model else 'not checked'}"
                       + ("" if not res.model or res.model.agrees is None else
                          f" ({'fails there too' if res.model.agrees else 'HOLDS there'})"))
        if json_out:
            prove_io.write_json(json_out, res)
        return
    queries = prove_io.robust_queries(build, vector, bits, radius, metric)
    if _LOG.bars():
        with click.progressbar(length=len(queries), label="proving", file=sys.stderr) as bar:
            results = prove_robustness(build, queries, timeout=timeout, engine=engine,
                                       reference=reference, progress=lambda _r: bar.update(1))
    else:  # -q, --log-json or CI: no bar
        results = prove_robustness(build, queries, timeout=timeout, engine=engine,
                                   reference=reference)
    for r in results if len(results) <= 20 else [r for r in results if r.counterexample]:
        click.echo(prove_io.describe(r))
    s = prove_io.summary(results)
    click.echo(f"{s['queries']} queries: {s['robust']} robust, {s['counterexample']} "
               f"counterexample, {s['unknown']} unknown; {s['seconds']:.2f} s, "
               f"{s['queries_per_second']} queries/s")
    if json_out:
        prove_io.write_json(json_out, results)
    if csv_out:
        prove_io.write_csv(csv_out, results)


def _luts(luts: dict | None) -> str:
    if not luts:
        return "n/a (not estimated for this size)"
    return " / ".join(f"{v['luts']} ({v['depth']})" for v in luts.values())


def _removed(acc: dict | None) -> str:
    if not acc:
        return "n/a"
    return (f"{acc['constant']}/{acc['wire']}/{acc['unused']}/{acc['merged']} "
            f"-> {acc['logic']} gates of real logic")


def _pct(x: float | None) -> str:
    return percent(x, "n/a (no labels)")


def _reference_name(rep: dict) -> str:
    ref = rep["checks"].get("reference")
    return ref["name"] if ref else "gatecomp's reading of the model"


def _print_compile_summary(rep: dict) -> None:
    g = rep["gates"]
    click.echo(f"ANDs {g['ands_lowered']} -> {g['ands_optimized']}, levels "
               f"{g['levels_lowered']} -> {g['levels_optimized']}, latency "
               f"{rep['pipeline']['latency']}, {rep['vectors']['count']} vectors checked in IR "
               f"against {_reference_name(rep)} (0 mismatches); reference accuracy "
               f"{_pct(rep['accuracy']['reference'])}")
    seq = rep.get("sequential")
    if seq:
        click.echo(f"sequential: {seq['state_width']} state registers, {seq['steps_checked']} "
                   f"steps in {seq['sequences_checked']} sequences checked, outputs after "
                   f"{'the last step' if seq['emit'] == 'last' else 'each step'}")
    care = rep.get("care_set")
    if care:
        click.echo(f"care set ({care['split']}, {care['samples']} inputs): "
                   f"{care['ands_before']} -> {care['ands_after']} ANDs before the script; "
                   f"{care['vectors_changed']} of {care['vectors']} vectors changed, accuracy "
                   f"{_pct(care['reference_accuracy'])} -> {_pct(care['accuracy'])} "
                   "(the RTL is checked against this function)")


def _print_streaming_summary(st: dict) -> None:
    """One line per window layer, then the stream's latency and rate (``report["streaming"]``)."""
    for r in st["layers"]:
        click.echo(f"  {r['type']} {r['name']}: {r['in_shape']} -> {r['out_shape']}, kernel "
                   f"{r['kernel_ands']} ANDs / {r['kernel_luts4']} LUT4, {r['flip_flops']} FFs, "
                   f"line buffer {r['ram_shape'][0]}x{r['ram_shape'][1]} bits")
    click.echo(f"streaming: latency {st['latency_clocks']} clocks, {st['clocks_per_image']} "
               f"clocks per image; tail {st['tail']['ands']} ANDs / {st['tail']['luts4']} LUT4, "
               f"pipeline latency {st['tail']['pipeline_latency']}")


def _print_asic_summary(asic: dict) -> None:
    """One line: the ASIC figures of ``report.json["asic"]``."""
    area = (f"{asic['area_um2']:.0f} um2" if "area_um2" in asic
            else f"area {asic['area_library_units']:.0f} (library units)")
    click.echo(f"ASIC ({asic['library']}): {asic['cells']} cells ({asic['flops']} flops), "
               f"{area}, critical path {asic['delay_ns']:.2f} ns, fmax {asic['fmax_mhz']:.0f} "
               f"MHz (OpenSTA); netlist {asic['netlist']}")


def _print_recurrent_info(d: dict) -> None:
    """Recurrent ``info``: the state width and steps, then the step and readout layers."""
    click.echo(f"{d['source']}  [{d['format']}]")
    click.echo(f"  recurrent: {d['input_width']} input bits + {d['state_width']} state bits a "
               f"step, {d['steps']} steps, outputs after "
               f"{'the last step' if d['output'] == 'last' else 'each step'}; initial state "
               f"{d['init_state']} (bit 0 first)")
    click.echo(f"  readout: GroupSum(k={d['num_classes']}, tau={d['tau']}), {d['block_size']} "
               f"gates per class; {d['logic_gates']} logic gates in all")
    for lay in d["layers"]:
        click.echo(f"  {lay['part']:<8} {lay['index']:>2}  {lay['in_dim']:>6} -> "
                   f"{lay['out_dim']:<6} {lay['parametrization']}")
    if d.get("metrics"):
        click.echo("  metrics: " + ", ".join(f"{k}={v}" for k, v in d["metrics"].items()))


def _print_layer_table(desc: dict) -> None:
    """torchlogix ``info``: one line per layer (shapes, gates per position and in all)."""
    click.echo(f"{desc['source']}: {desc['format']} ({desc['library']}), {desc['num_classes']} "
               f"classes, tau={desc['tau']:g}, beta={desc['beta']:g}")
    click.echo(f"input: {desc['input']}")
    head = f"{'layer':<16} {'type':<24} {'in':>12} {'out':>12} {'gates/pos':>9} {'gates':>10} " \
           f"{'params':>9}  detail"
    click.echo(head)
    for r in desc["layers"]:
        shape = lambda s: "x".join(map(str, s))  # noqa: E731
        click.echo(f"{r['name']:<16} {r['type']:<24} {shape(r['in_shape']):>12} "
                   f"{shape(r['out_shape']):>12} {r['gates_per_position']:>9} {r['gates']:>10} "
                   f"{r['parameters']:>9}  {r['detail']}")
    click.echo(f"logic gates: {desc['logic_gates']} (LUT neurons over all positions), class "
               f"sums of {desc['block_size']} outputs each")


def _print_dlgn_info(d: dict) -> None:
    click.echo(f"{d['source']}  [{d['format']}]")
    click.echo(f"  inputs {d['input_width']} bits -> {d['logic_layers']} logic layers, "
               f"{d['logic_gates']} gates -> GroupSum(k={d['num_classes']}, tau={d['tau']}), "
               f"{d['block_size']} gates per class")
    if d.get("encoding"):
        enc = d["encoding"]
        click.echo(f"  encoding: {enc['type']} {enc.get('thresholds')} on "
                   f"{enc.get('num_features')} features")
    if d.get("metrics"):
        click.echo("  metrics: " + ", ".join(f"{k}={v}" for k, v in d["metrics"].items()))
    click.echo("  layer   in_dim  out_dim  trivial  dead  unused-in  fanout(max/mean)")
    for lay in d["layers"]:
        click.echo(f"  {lay['index']:>5}  {lay['in_dim']:>7}  {lay['out_dim']:>7}  "
                   f"{lay['trivial_gates']:>7}  {lay['dead_gates']:>4}  "
                   f"{lay['inputs_unused']:>9}  {lay['fanout_max']}/{lay['fanout_mean']}")
    total = sum(d["gate_types"].values()) or 1
    click.echo("  gate types: " + ", ".join(
        f"{k} {v} ({100 * v / total:.0f}%)"
        for k, v in sorted(d["gate_types"].items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
