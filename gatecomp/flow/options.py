"""What ``gatecomp compile`` accepts, and the checks and defaults that options imply.

:class:`CompileOptions` mirrors the command line (every field has a flag of the same name);
:func:`resolve` checks the combinations once, picks the FPGA target and its pipelining default,
so the stages below never see an inconsistent set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import GatecompError
from ..passes.script import DEFAULT_SCRIPT

#: register rank every this many LUT levels when an FPGA target gives no pipeline option (the
#: digits DLGN on ECP5: about 160 MHz at latency 9, see bench/fpga.py)
FPGA_LUTS_PER_STAGE = 3


@dataclass
class CompileOptions:
    """What ``gatecomp compile`` accepts; every field has a CLI flag of the same name."""

    name: str | None = None
    pipeline_stages: int | None = None
    levels_per_stage: int | None = None
    luts_per_stage: int | None = None  # registers on LUT4-cover boundaries (FPGA targets)
    script: str = DEFAULT_SCRIPT
    inputs: Path | None = None
    max_vectors: int | None = None
    prove: bool | None = None  # None: prove (our SAT/BDD checker; ABC too if installed) if small
    force: bool = False
    board: str | None = None  # FPGA board name or board file: adds board/ (gatecomp.fpga)
    device: str | None = None  # device-only FPGA target, e.g. "ice40-up5k-sg48", "ecp5-25k"
    care_set: str | None = None  # "train": inputs absent from the training split are don't-cares
    lut_cells: bool = False  # board/ synthesizes the LUT cover as device cells (--luts-per-stage)
    carry_chains: bool = True  # with lut_cells on ECP5: GroupSum popcounts on CCU2C chains
    chain_length: int | None = None  # positions per carry chain (None: MAX_CHAIN_POSITIONS)
    lut_native: bool = False  # with lut_cells: LUT-network neurons as native cells if smaller
    parametrization: str | None = None  # DLGN state_dicts with (out, 4) weights: light | warp
    arch: str | None = None  # torchlogix state_dicts: the zoo class that takes them
    arch_kwargs: dict | None = None  # ... and its constructor arguments
    input_bits: int | None = None  # torchlogix binarization: the circuit takes N-bit features
    asic: str | None = None  # Liberty file or osu018/osu035/osu050: map + time the RTL (asic/)
    encoder: Path | None = None  # DWN: the thermometer encoder folded in as comparators
    conv: str | None = None  # torchlogix convs: flat | streaming; None: streaming if flat won't fit

    def reading(self) -> dict:
        """The options the model's reader takes (see ``frontends.registry.load_model``)."""
        return {"parametrization": self.parametrization, "arch": self.arch,
                "arch_kwargs": self.arch_kwargs, "input_bits": self.input_bits,
                "encoder": self.encoder}


def resolve(opts: CompileOptions, say: Callable[[str], None]):
    """``(options, target)``: combinations checked, FPGA target resolved (None: no board)."""
    given = [flag for flag, value in (("--pipeline-stages", opts.pipeline_stages),
                                      ("--levels-per-stage", opts.levels_per_stage),
                                      ("--luts-per-stage", opts.luts_per_stage))
             if value is not None]
    if len(given) > 1:
        raise GatecompError(f"{' and '.join(given)} cannot be combined: give one of them")
    if opts.lut_cells and not (opts.board or opts.device):
        raise GatecompError("--lut-cells needs an FPGA target: give --board or --device")
    if opts.lut_cells and given and opts.luts_per_stage is None:
        raise GatecompError(f"--lut-cells needs --luts-per-stage (the cover it writes), "
                            f"not {given[0]}")
    if opts.chain_length is not None and not (opts.lut_cells and opts.carry_chains):
        raise GatecompError("--chain-length sets the carry chains of --lut-cells: give "
                            "--lut-cells (and not --no-carry-chains)")
    if opts.lut_native and not opts.lut_cells:
        raise GatecompError("--lut-native writes device LUT cells: give --lut-cells too")
    if opts.conv not in (None, "auto", "flat", "streaming"):
        raise GatecompError(f"--conv {opts.conv!r}: give flat, streaming or auto")
    if not (opts.board or opts.device):
        return opts, None
    from ..fpga.boards import resolve_target

    target = resolve_target(opts.board, opts.device)
    if not given:  # an FPGA build is pipelined on its LUTs unless told otherwise
        opts = replace(opts, luts_per_stage=FPGA_LUTS_PER_STAGE)
        say(f"FPGA target: --luts-per-stage {FPGA_LUTS_PER_STAGE} (the default for "
            f"--board/--device; --pipeline-stages 0 for a combinational core)")
    return opts, target


def options_record(opts: CompileOptions) -> dict:
    """The options that shape the hardware, as the Verilog header and report record them."""
    record = {"script": opts.script, "pipeline_stages": opts.pipeline_stages,
              "levels_per_stage": opts.levels_per_stage}
    if opts.luts_per_stage is not None:
        record["luts_per_stage"] = opts.luts_per_stage
    if opts.care_set is not None:
        record["care_set"] = opts.care_set
    if opts.lut_native:
        record["lut_native"] = True
    return record


def default_name(out_dir: Path) -> str:
    """A Verilog identifier from the build directory's name."""
    stem = "".join(c if c.isalnum() or c == "_" else "_" for c in out_dir.name) or "net"
    return stem if not stem[0].isdigit() else f"net_{stem}"
