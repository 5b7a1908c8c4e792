"""``gatecomp.compile``: checkpoint -> LogicNet -> optimized AIG -> Verilog + testbench + report.

The orchestration only: each step lives in its own package. Every compile checks the IR against
the PyTorch reference on the model's held-out vectors and the optimized AIG against the
unoptimized one before anything is written, and writes the build directory atomically.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from .aig import LogicNet, depth, simulate, write_aiger
from .errors import GatecompError, InternalError
from .outdir import atomic_directory, check_writable
from .passes.script import DEFAULT_SCRIPT, run_script
from .toolchain import find_abc
from .verify.abc_cec import abc_cec
from .verify.equivalence import prove_equivalent
from .verify.ir_check import compare_with_reference, simulate_equivalence

Progress = Callable[[str], None]

#: above this many ANDs the proof is skipped by default (simulation still runs)
PROVE_LIMIT = 100_000
#: the proof gives up (reports "undecided") after this long; simulation has already passed
PROVE_SECONDS = 120.0
#: above this many ANDs the LUT-count estimate in the report is skipped (it is a figure only)
LUT_ESTIMATE_LIMIT = 500_000
#: LUT size of the FPGA families gatecomp targets (iCE40, ECP5): --luts-per-stage counts these
FPGA_LUT_SIZE = 4
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
    parametrization: str | None = None  # DLGN state_dicts with (out, 4) weights: light | warp


@dataclass
class CompileResult:
    out_dir: Path
    report: dict = field(default_factory=dict)


def _timed(progress: Progress, label: str):
    start = time.perf_counter()

    def done(detail: str = "") -> float:
        sec = time.perf_counter() - start
        progress(f"{label}{': ' + detail if detail else ''} ({sec:.2f} s)")
        return sec

    return done


def compile_model(model_path: str | Path, out_dir: str | Path,
                  options: CompileOptions | None = None,
                  progress: Progress | None = None) -> CompileResult:
    """Compile a trained network into ``out_dir`` (see the README for the layout)."""
    from .backends.verilog import emit_verilog
    from .frontends.registry import load_model
    from .mapping.stages import PipelineParams
    from .vectors import model_vectors
    from .verify.rtl_sim import write_sim_dir

    opts = options or CompileOptions()
    say = progress or (lambda _msg: None)
    out_dir = Path(out_dir)
    check_writable(out_dir, opts.force)
    name = opts.name or _default_name(out_dir)
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
    target = None
    if opts.board or opts.device:
        from .fpga.boards import resolve_target
        target = resolve_target(opts.board, opts.device)
        if not given:  # an FPGA build is pipelined on its LUTs unless told otherwise
            opts = replace(opts, luts_per_stage=FPGA_LUTS_PER_STAGE)
            say(f"FPGA target: --luts-per-stage {FPGA_LUTS_PER_STAGE} (the default for "
                f"--board/--device; --pipeline-stages 0 for a combinational core)")
    timings: dict[str, float] = {}

    done = _timed(say, "load")
    frontend, model = load_model(model_path, parametrization=opts.parametrization)
    timings["load"] = done(f"{model.format} model from {model_path}")

    done = _timed(say, "lower")
    raw = frontend.lower(model)
    timings["lower"] = done(f"{raw.aig.num_ands} ANDs, {depth(raw.aig)} levels")

    # the function the hardware must compute: the lowered net, or with --care-set the lowered
    # net simplified on data don't-cares (equal to it on every training input, reported below)
    spec, care_stats = raw, None
    if opts.care_set is not None:
        done = _timed(say, "care-set sweep")
        spec, care_stats = _care_sweep(frontend, model, raw, opts.care_set)
        timings["care_sweep"] = done(f"{raw.aig.num_ands} -> {spec.aig.num_ands} ANDs, "
                                     f"{care_stats['samples']} {opts.care_set} inputs")

    done = _timed(say, "optimize")
    aig, pass_stats = run_script(spec.aig, opts.script, progress=lambda m: say("  " + m))
    net = raw.with_aig(aig)
    timings["optimize"] = done(f"{spec.aig.num_ands} -> {aig.num_ands} ANDs")
    optimized, alignment = aig, None
    if opts.luts_per_stage is not None:
        from .mapping.lut_align import align_to_luts
        done = _timed(say, "align stages to the LUT4 cover")
        alignment = align_to_luts(aig, PipelineParams(levels_per_stage=opts.luts_per_stage),
                                  k=FPGA_LUT_SIZE)
        aig = alignment.aig
        net = raw.with_aig(aig)
        st = alignment.stats
        timings["lut_align"] = done(
            f"{st['luts']} LUT4, {st['depth']} LUT levels; {st['ands_before']} -> "
            f"{st['ands_after']} ANDs (logic shared across stages duplicated)")

    done = _timed(say, "check IR vs PyTorch")
    vec = model_vectors(frontend, model, opts.inputs, opts.max_vectors)
    reference = expected = frontend.reference(model, vec.bits)
    cmp = compare_with_reference(raw, vec.bits, reference)
    if not cmp.ok:
        raise InternalError(f"the lowered IR differs from the PyTorch reference on "
            f"{cmp.mismatching_vectors} of {cmp.vectors} vectors (first: {cmp.first[0]})")
    own = _check_own_forward(frontend, model, raw, vec.bits, str(model_path))
    say(f"  reference: {own.name}")
    if care_stats is not None:
        # outside the care set the hardware computes the swept net: it is what RTL must match
        expected = net.output_words(simulate(spec.aig, vec.bits))
        changed = compare_with_reference(spec, vec.bits, reference)
        care_stats.update(vectors=len(vec.bits), vectors_changed=changed.mismatching_vectors,
                          reference_accuracy=_accuracy(reference["pred"], vec.labels),
                          accuracy=_accuracy(expected["pred"], vec.labels))
        say(f"  care set: {changed.mismatching_vectors} of {len(vec.bits)} {vec.description} "
            f"vectors changed, accuracy {_pct(care_stats['reference_accuracy'])} -> "
            f"{_pct(care_stats['accuracy'])}")
    cmp = compare_with_reference(net, vec.bits, expected)
    if not cmp.ok:
        raise InternalError(f"the optimized IR differs from the "
            f"{'swept net' if care_stats else 'PyTorch reference'} on "
            f"{cmp.mismatching_vectors} of {cmp.vectors} vectors (first: {cmp.first[0]})")
    equiv = simulate_equivalence(spec.aig, aig, extra=vec.bits)
    if not equiv.equal:
        raise InternalError(f"optimization changed output "
                            f"{aig.output_names[equiv.first_output]} (simulation)")
    timings["check"] = done(f"{len(vec.bits)} {vec.description} vectors, 0 mismatches"
                            + (" against the swept net" if care_stats else ""))

    luts = {}
    if aig.num_ands <= LUT_ESTIMATE_LIMIT:
        done = _timed(say, "LUT mapping estimate")
        luts = _lut_estimates(optimized)
        timings["lutmap"] = done(", ".join(f"{v['luts']} {k} (depth {v['depth']})"
                                           for k, v in luts.items()))

    proof = own_proof = None
    if opts.prove or (opts.prove is None and spec.aig.num_ands <= PROVE_LIMIT):
        done = _timed(say, "prove optimized == " + ("swept" if care_stats else "lowered"))
        own_proof = prove_equivalent(spec.aig, aig, time_limit=PROVE_SECONDS)
        if own_proof.equivalent is False:
            raise InternalError(f"optimization changed the function: "
                                f"{own_proof.message}")
        timings["prove"] = done(own_proof.message)
    if own_proof is not None and find_abc() is not None:
        done = _timed(say, "ABC cec (extra oracle)")
        proof = abc_cec(spec.aig, aig)
        if proof.equivalent is False:
            raise InternalError("ABC cec says optimization changed the function")
        timings["prove_abc"] = done(proof.message)

    done = _timed(say, "emit Verilog")
    pipeline = PipelineParams(stages=opts.pipeline_stages,
                              levels_per_stage=opts.levels_per_stage or opts.luts_per_stage)
    options_record = {"script": opts.script, "pipeline_stages": opts.pipeline_stages,
                      "levels_per_stage": opts.levels_per_stage}
    if opts.luts_per_stage is not None:
        options_record["luts_per_stage"] = opts.luts_per_stage
    if opts.care_set is not None:
        options_record["care_set"] = opts.care_set
    verilog, sidecar = emit_verilog(net, name, pipeline, source=str(model_path),
                                    options=options_record,
                                    node_levels=None if alignment is None else alignment.levels)
    timings["emit"] = done(f"{len(verilog) / 1e6:.1f} MB, latency {sidecar['latency']}")
    lut_cells = chains = chains_script = None
    if alignment is not None and target is not None and opts.lut_cells:
        core = None
        if opts.carry_chains and target.family == "ecp5" and care_stats is None \
                and "_group_sum" in raw.meta:
            done = _timed(say, "popcounts on carry chains")
            core, chains = _chained_core(raw, opts.script, aig, sidecar, vec.bits,
                                         opts.luts_per_stage, alignment.cover.num_luts,
                                         opts.chain_length)
            timings["carry_chains"] = done(chains["summary"])
        lut_cells = _lut_cells(alignment, name, sidecar, target.family, net, vec.bits, expected,
                               core)
        if core is not None:
            from .fpga.lut_cells import chain_ends_script
            chains_script = chain_ends_script(core, name)

    report = _report(model, raw, raw.with_aig(optimized), pass_stats, vec, reference,
                     cmp.outputs["pred"], sidecar, proof, equiv, timings, options_record,
                     str(model_path))
    report["checks"]["equivalence"] = None if own_proof is None else own_proof.as_dict()
    report["checks"]["reference"] = {"name": own.name, "independent": own.independent}
    report["luts"] = luts
    report["care_set"] = care_stats
    if alignment is not None:
        report["lut_alignment"] = alignment.stats
    if chains is not None:
        report["carry_chains"] = chains
    with atomic_directory(out_dir, opts.force) as tmp:
        (tmp / "rtl").mkdir()
        (tmp / "rtl" / f"{name}.v").write_text(verilog)
        (tmp / "rtl" / f"{name}.json").write_text(json.dumps(sidecar, indent=2) + "\n")
        write_aiger(net.aig, tmp / f"{name}.aig", comment=f"gatecomp: {model_path}")
        write_sim_dir(tmp / "sim", name, sidecar, vec.bits, expected)
        np.save(tmp / "sim" / "labels.npy", vec.labels if vec.labels is not None
                else np.full(len(vec.bits), -1))
        (tmp / "report.json").write_text(json.dumps(report, indent=2) + "\n")
        if target is not None:
            from .fpga.project import write_board_project
            write_board_project(tmp, name, sidecar, target, lut_cells, chains_script)
            say(f"board/ for {target.description}: run `gatecomp build {out_dir}`")
    say(f"wrote {out_dir}")
    return CompileResult(out_dir, report)


def _lut_cells(alignment, name: str, sidecar: dict, family: str, net: LogicNet,
               bits: np.ndarray, expected: dict[str, np.ndarray], core=None) -> str:
    """The board project's core as device LUT cells, after checking that the cover they are
    written from gives, on the test vectors, the outputs the hardware must match."""
    from .fpga.lut_cells import lut_cells_verilog

    cover = alignment.cover if core is None else core.net
    got = net.output_words(cover.simulate(bits))
    if any(not np.array_equal(words, expected[port]) for port, words in got.items()):
        raise InternalError("the LUT cover differs from the reference outputs")
    return lut_cells_verilog(alignment.cover, alignment.stats["levels_per_stage"], name,
                             sidecar, family, core)


def _chained_core(raw: LogicNet, script: str, aig, sidecar: dict, bits: np.ndarray, per: int,
                  plain_luts: int, chain_length: int | None = None):
    """The ECP5 core with its GroupSum popcounts on carry chains, checked by simulation
    against the optimized AIG (random and test vectors) and its tail on its own inputs across
    every count (:mod:`.fpga.carry_check`), fitted to the RTL's latency;
    ``(None, figures)`` when it does not fit or is not smaller (the plain cover is written)."""
    from .fpga.carry_check import check_tail
    from .fpga.carry_popcount import (
        CHAIN_STEP,
        LEVEL_SCALE,
        LUT_STEP,
        MAX_CHAIN_POSITIONS,
        chained_core,
        fill_spare_halves,
        plan_group_bits,
    )
    from .mapping.lutmap import LutMapParams, lutmap

    outs, groups = plan_group_bits(raw.aig, raw.meta["_group_sum"])
    logic_aig, _ = run_script(raw.aig.with_outputs(outs, tuple(f"g{i}" for i in
                                                                range(len(outs)))), script)
    logic, _ = lutmap(logic_aig, LutMapParams(k=FPGA_LUT_SIZE))
    budget = max(1, int(sidecar["latency"])) * per * LEVEL_SCALE
    length = chain_length or MAX_CHAIN_POSITIONS
    # a chain counts 1.5 LUT levels (CHAIN_STEP) and the argmax is mapped for area when the
    # stages have room; otherwise a chain counts 1 (slower clock) and the argmax is mapped
    # for depth
    for step, slack in ((CHAIN_STEP, 2), (CHAIN_STEP, 0), (LUT_STEP, 2), (LUT_STEP, 0)):
        core = chained_core(logic, groups, aig.output_names, length, argmax_slack=slack,
                            chain_step=step)
        needed = int(core.levels[core.net.output_ids].max())
        if needed <= budget:
            break
    spares = fill_spare_halves(core, per * LEVEL_SCALE)
    figures = {"positions": sum(len(c.positions) for c in core.chains),
               "ccu2c": core.ccu2c,
               "chains": len(core.chains), "chain_length": length,
               "spare_halves_used": spares,
               "logic_luts": logic.num_luts,
               "lut_area": core.lut_area, "levels": needed / LEVEL_SCALE,
               "chain_levels": step / LEVEL_SCALE, "used": False}
    if needed > budget:
        figures["summary"] = (f"not used: {needed / LEVEL_SCALE} levels do not fit the RTL's "
                              f"{sidecar['latency']} stages")
        return None, figures
    if core.lut_area >= plain_luts:
        figures["summary"] = (f"not used: {core.lut_area} LUT area, the LUT4 cover has "
                              f"{plain_luts}")
        return None, figures
    equiv = simulate_equivalence(aig, core.net.to_aig(), extra=bits)
    if not equiv.equal:
        raise InternalError("the carry-chain core differs from the optimized "
                            f"IR on output {aig.output_names[equiv.first_output]}")
    bad = check_tail(groups, len(outs), aig.output_names, max_positions=length,
                     argmax_slack=slack, chain_step=step)
    if bad is not None:
        raise InternalError("the carry-chain popcounts differ from the "
                            f"reference popcounts on output {aig.output_names[bad]}")
    figures["used"] = True
    figures["summary"] = (f"{figures['ccu2c']} CCU2C in {len(core.chains)} chains (LUTs in "
                          f"{spares} spare halves) + {core.lut_area - 2 * figures['ccu2c']} "
                          f"LUT4 = {core.lut_area} LUT area, {needed / LEVEL_SCALE} levels")
    return core, figures


def _care_sweep(frontend, model, raw: LogicNet, care_set: str) -> tuple[LogicNet, dict]:
    """``raw`` with nodes constant/equal on the ``care_set`` split merged, and its figures."""
    from .passes.care_sweep import care_sweep

    if care_set != "train":
        raise GatecompError(f"unknown care set {care_set!r} (supported: 'train')")
    data = frontend.dataset_vectors(model, "train")
    if data is None:
        raise GatecompError("--care-set train needs a model that records its dataset and "
                            "input encoding (none found in the checkpoint)")
    care = data[0]
    swept, stats = care_sweep(raw.aig, care)
    if not np.array_equal(simulate(swept, care), simulate(raw.aig, care)):
        raise InternalError("the care-set sweep changed outputs on the care set")
    return raw.with_aig(swept), {"split": care_set, "samples": int(len(care)),
                                 "ands_before": raw.aig.num_ands,
                                 "ands_after": swept.num_ands,
                                 "constant_on_care": stats.extra["constant_on_care"],
                                 "merged_on_care": stats.extra["merged_on_care"]}


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}%"


def _lut_estimates(aig) -> dict[str, dict]:
    """4- and 6-input LUT counts and depths of the optimized AIG (our priority-cut mapper)."""
    from .mapping.lutmap import LutMapParams, lutmap

    out = {}
    for k in (4, 6):
        lut_net, _ = lutmap(aig, LutMapParams(k=k))
        out[f"lut{k}"] = {"luts": lut_net.num_luts, "depth": lut_net.depth()}
    return out


def _default_name(out_dir: Path) -> str:
    stem = "".join(c if c.isalnum() or c == "_" else "_" for c in out_dir.name) or "net"
    return stem if not stem[0].isdigit() else f"net_{stem}"


def _check_own_forward(frontend, model, raw: LogicNet, bits: np.ndarray, source: str):
    """Run the model's own forward where its library can run, and hold the IR to it.

    gatecomp's reference is its own reading of the weights; a misread checkpoint would pass
    that check. The model's own forward cannot be fooled that way.
    """
    own = frontend.own_forward(model, bits)
    if own.outputs is None:
        return own
    cmp = compare_with_reference(raw, bits, own.outputs, partial=True)
    if not cmp.ok:
        first = cmp.first[0]
        raise GatecompError(
            f"{source}: the circuit differs from {own.name} on {cmp.mismatching_vectors} of "
            f"{cmp.vectors} vectors (vector {first['vector']}, {first['port']}: model "
            f"{first['expected']}, circuit {first['got']}): gatecomp cannot read this model "
            "exactly; nothing was written")
    return own


def _accuracy(pred: np.ndarray, labels: np.ndarray | None) -> float | None:
    if labels is None or not len(labels):
        return None
    return float(np.mean(np.asarray(pred) == labels))


def _report(model, raw: LogicNet, net: LogicNet, pass_stats, vec, expected, ir_pred, sidecar,
            proof, equiv, timings, options_record, source) -> dict:
    return {
        "source": source,
        "format": model.format,
        "options": options_record,
        "network": {k: v for k, v in raw.meta.items() if not k.startswith("_")},
        "gates": {
            "trained_logic_gates": raw.meta.get("logic_gates"),
            "trained_neurons": raw.meta.get("neurons"),
            "ands_lowered": raw.aig.num_ands,
            "ands_optimized": net.aig.num_ands,
            "levels_lowered": depth(raw.aig),
            "levels_optimized": depth(net.aig),
        },
        "passes": [s.as_dict() for s in pass_stats],
        "pipeline": {"latency": sidecar["latency"], "registers": sidecar["stats"].get("registers")},
        "vectors": {"count": len(vec.bits), "kind": vec.description},
        "accuracy": {"reference": _accuracy(expected["pred"], vec.labels),
                     "ir": _accuracy(ir_pred, vec.labels)},
        "checks": {"ir_vs_reference_mismatches": 0,
                   "simulation_equivalence_patterns": equiv.patterns,
                   "abc_cec": None if proof is None else asdict(proof)},
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }

