"""The FPGA stage of a compile with ``--lut-cells``: the core as device cells.

The cells (and on ECP5 the carry-chain popcounts) come from :mod:`gatecomp.fpga.core`; this
stage only decides which to build and times them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..aig import LogicNet
from ..sidecar import Sidecar
from .check import Checked
from .clock import StageClock
from .optimize import Optimized


@dataclass
class CellCore:
    """The core as device cells (Verilog), the carry-chain figures and the chain-ends script
    (None where no chains are used)."""

    verilog: str
    chains: dict | None = None
    chains_script: str | None = None
    native: dict | None = None  # --lut-native's figures


def cell_stage(clock: StageClock, opts, target, raw: LogicNet, opt: Optimized,
               checked: Checked, sidecar: Sidecar, name: str, swept: bool,
               model=None) -> CellCore | None:
    """The cell core where ``--lut-cells`` asks for one (None otherwise)."""
    if opt.alignment is None or target is None or not opts.lut_cells:
        return None
    if opts.lut_native:
        return _native_stage(clock, opts, target, raw, opt, checked, sidecar, name, model)
    from ..fpga.core import chained_core, lut_cells
    from ..fpga.lut_cells import chain_ends_script

    core = chains = None
    bits = checked.vectors.bits
    if opts.carry_chains and target.family == "ecp5" and not swept \
            and raw.group_sum is not None:
        with clock.stage("carry_chains", "popcounts on carry chains") as st:
            core, chains = chained_core(raw, opts.script, opt.net.aig, sidecar, bits,
                                        opts.luts_per_stage, opt.alignment.cover.num_luts,
                                        opts.chain_length)
            st.detail = chains["summary"]
    verilog = lut_cells(opt.alignment, name, sidecar, target.family, opt.net, bits,
                        checked.expected, core)
    return CellCore(verilog, chains, None if core is None else chain_ends_script(core, name))


def _native_stage(clock: StageClock, opts, target, raw: LogicNet, opt: Optimized,
                  checked: Checked, sidecar: Sidecar, name: str, model) -> CellCore:
    """``--lut-native``: neurons as native LUT cells or logic, whichever is smaller."""
    from ..fpga.core import lut_cells, native_core
    from ..fpga.lut_cells import chain_ends_script

    bits = checked.vectors.bits
    with clock.stage("lut_native", "neurons as native LUT cells or logic") as st:
        cover, core, figures = native_core(
            model, raw, opts.script, opt.net.aig, sidecar, target.family, bits,
            opts.luts_per_stage, opts.carry_chains, opts.chain_length)
        st.detail = (f"{figures['native']} of {figures['neurons']} neurons kept as tables "
                     f"({figures['native_lut4']} LUT4), the rest {figures['logic_lut4']} LUT4 "
                     f"of logic; {figures['lut_area']} LUT area in all")
    verilog = lut_cells(opt.alignment, name, sidecar, target.family, opt.net, bits,
                        checked.expected, core, cover)
    chains = None if core is None else figures.get("chains")
    return CellCore(verilog, chains, None if core is None else chain_ends_script(core, name),
                    figures)
