"""The board project's core as device cells: the LUT4 cover, with the GroupSum popcounts on
ECP5 carry chains where that is smaller and fits the pipeline (``--lut-cells``).

Everything written here is checked before it is returned: the cover and the chained core by
simulation against what the hardware must compute, the chained popcount tail on its own
inputs across every count (:mod:`.carry_check`).
"""

from __future__ import annotations

import numpy as np

from ..aig import AIG, LogicNet
from ..errors import GatecompError, InternalError
from ..sidecar import Sidecar
from ..verify.ir_check import simulate_equivalence

#: LUT size of the FPGA families gatecomp targets (iCE40, ECP5): --luts-per-stage counts these
FPGA_LUT_SIZE = 4


def lut_cells(alignment, name: str, sidecar: Sidecar, family: str, net: LogicNet,
              bits: np.ndarray, expected: dict[str, np.ndarray], core=None,
              cover=None) -> str:
    """The core as device LUT cells, after checking that the cover they are written from
    gives, on the test vectors, the outputs the hardware must match. ``cover`` replaces the
    alignment's (``--lut-native``)."""
    from .lut_cells import lut_cells_verilog

    plain = alignment.cover if cover is None else cover
    checked = plain if core is None else core.net
    got = net.output_words(checked.simulate(bits))
    if any(not np.array_equal(words, expected[port]) for port, words in got.items()):
        raise InternalError("the LUT cover differs from the reference outputs")
    return lut_cells_verilog(plain, alignment.stats["levels_per_stage"], name, sidecar,
                             family, core)


def native_core(model, raw: LogicNet, script: str, aig: AIG, sidecar: Sidecar, family: str,
                bits: np.ndarray, per: int, chains: bool, chain_length: int | None = None):
    """``--lut-native``: ``(cover, chained core or None, figures)``, the neurons as native
    cells or logic (:mod:`.lut_native`) and the GroupSum on carry chains (ECP5, ``chains``)
    or as LUTs, checked by simulation against the optimized AIG (and the chained tail on its
    own inputs); a one-line refusal when the cover does not fit the RTL's stages."""
    from .carry_popcount import LEVEL_SCALE, MAX_CHAIN_POSITIONS
    from .lut_native import lut4_cells, native_logic, table_layers, with_tail

    logic = native_logic(table_layers(model), family, raw.aig.input_names, script)
    figures = dict(logic.figures)
    latency = max(1, sidecar.latency)
    if chains and family == "ecp5":
        length = chain_length or MAX_CHAIN_POSITIONS
        budget = latency * per * LEVEL_SCALE
        core, needed, step, slack = _fit_chains(logic.net, logic.groups, aig, length, budget)
        if needed > budget:
            raise GatecompError(f"--lut-native: the cover needs {needed / LEVEL_SCALE} LUT "
                                f"levels, the RTL's {sidecar.latency} stages of {per} hold "
                                f"fewer; give a larger --luts-per-stage")
        figures["chains"] = _chain_figures(core, logic.net, length, needed, step, per)
        _check_chained(core, aig, bits, logic.groups, logic.net.num_outputs, length, slack,
                       step)
        figures["lut_area"] = lut4_cells(core.net, core.chain_nodes) + 2 * core.ccu2c
        return core.net, core, figures
    cover = with_tail(logic, aig.output_names, script)
    if -(-cover.depth() // per) > latency:
        raise GatecompError(f"--lut-native: the cover needs {cover.depth()} LUT levels, the "
                            f"RTL's {sidecar.latency} stages of {per} hold fewer; give a "
                            "larger --luts-per-stage")
    equiv = simulate_equivalence(aig, cover.to_aig(), extra=bits)
    if not equiv.equal:
        raise InternalError("the --lut-native cover differs from the optimized IR on output "
                            f"{aig.output_names[equiv.first_output]}")
    figures["lut_area"] = lut4_cells(cover)
    return cover, None, figures


def chained_core(raw: LogicNet, script: str, aig: AIG, sidecar: Sidecar, bits: np.ndarray,
                 per: int, plain_luts: int, chain_length: int | None = None):
    """The ECP5 core with its GroupSum popcounts on carry chains, checked by simulation
    against the optimized AIG (random and test vectors) and its tail on its own inputs across
    every count, fitted to the RTL's latency; ``(None, figures)`` when it does not fit or is
    not smaller (the plain cover is written)."""
    from ..mapping.lutmap import LutMapParams, lutmap
    from ..passes.script import run_script
    from .carry_popcount import LEVEL_SCALE, MAX_CHAIN_POSITIONS, plan_group_bits

    outs, groups = plan_group_bits(raw.aig, raw.group_sum)
    logic_aig, _ = run_script(raw.aig.with_outputs(outs, tuple(f"g{i}" for i in
                                                                range(len(outs)))), script)
    logic, _ = lutmap(logic_aig, LutMapParams(k=FPGA_LUT_SIZE))
    budget = max(1, sidecar.latency) * per * LEVEL_SCALE
    length = chain_length or MAX_CHAIN_POSITIONS
    core, needed, step, slack = _fit_chains(logic, groups, aig, length, budget)
    figures = _chain_figures(core, logic, length, needed, step, per)
    if needed > budget:
        figures["summary"] = (f"not used: {needed / LEVEL_SCALE} levels do not fit the RTL's "
                              f"{sidecar.latency} stages")
        return None, figures
    if core.lut_area >= plain_luts:
        figures["summary"] = (f"not used: {core.lut_area} LUT area, the LUT4 cover has "
                              f"{plain_luts}")
        return None, figures
    _check_chained(core, aig, bits, groups, len(outs), length, slack, step)
    figures["used"] = True
    figures["summary"] = (f"{figures['ccu2c']} CCU2C in {len(core.chains)} chains (LUTs in "
                          f"{figures['spare_halves_used']} spare halves) + "
                          f"{core.lut_area - 2 * figures['ccu2c']} LUT4 = {core.lut_area} LUT "
                          f"area, {needed / LEVEL_SCALE} levels")
    return core, figures


def _fit_chains(logic, groups, aig: AIG, length: int, budget: int):
    """The first chained core that fits ``budget``: a chain counts 1.5 LUT levels
    (CHAIN_STEP) and the argmax is mapped for area when the stages have room; otherwise a
    chain counts 1 (slower clock) and the argmax is mapped for depth."""
    from .carry_popcount import CHAIN_STEP, LUT_STEP
    from .carry_popcount import chained_core as build

    for step, slack in ((CHAIN_STEP, 2), (CHAIN_STEP, 0), (LUT_STEP, 2), (LUT_STEP, 0)):
        core = build(logic, groups, aig.output_names, length, argmax_slack=slack,
                     chain_step=step)
        needed = int(core.levels[core.net.output_ids].max())
        if needed <= budget:
            break
    return core, needed, step, slack


def _chain_figures(core, logic, length: int, needed: int, step: int, per: int) -> dict:
    from .carry_popcount import LEVEL_SCALE, fill_spare_halves

    spares = fill_spare_halves(core, per * LEVEL_SCALE)
    return {"positions": sum(len(c.positions) for c in core.chains), "ccu2c": core.ccu2c,
            "chains": len(core.chains), "chain_length": length, "spare_halves_used": spares,
            "logic_luts": logic.num_luts, "lut_area": core.lut_area,
            "levels": needed / LEVEL_SCALE, "chain_levels": step / LEVEL_SCALE, "used": False}


def _check_chained(core, aig: AIG, bits: np.ndarray, groups, n_outs: int, length: int,
                   slack: int, step: int) -> None:
    from .carry_check import check_tail

    equiv = simulate_equivalence(aig, core.net.to_aig(), extra=bits)
    if not equiv.equal:
        raise InternalError("the carry-chain core differs from the optimized "
                            f"IR on output {aig.output_names[equiv.first_output]}")
    bad = check_tail(groups, n_outs, aig.output_names, max_positions=length,
                     argmax_slack=slack, chain_step=step)
    if bad is not None:
        raise InternalError("the carry-chain popcounts differ from the "
                            f"reference popcounts on output {aig.output_names[bad]}")
