"""``compile_model``: a checkpoint to a verified build directory, one named stage at a time.

load -> lower -> (care-set sweep) -> optimize (-> align to LUTs) -> check -> estimate ->
prove -> emit Verilog -> (cells) -> (ASIC map + timing) -> report -> write. Each stage is a
function of the results before it and lives in its own module; nothing is written until every
check has passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..aig import depth
from ..aig.seq import SeqNet
from ..asic.stage import asic_stage
from ..outdir import check_writable, output_lock
from .cells import cell_stage
from .check import check_stage
from .clock import Progress, StageClock
from .emit import lut_estimate_stage, verilog_stage, write_build
from .memory import check_flat_memory
from .optimize import care_stage, optimize_stage
from .options import CompileOptions, default_name, options_record, resolve
from .prove import prove_stage
from .report import build_report
from .sequential import compile_sequential
from .streaming import compile_streaming, has_conv, wants_streaming


@dataclass
class CompileResult:
    out_dir: Path
    report: dict = field(default_factory=dict)


def compile_model(model_path: str | Path, out_dir: str | Path,
                  options: CompileOptions | None = None,
                  progress: Progress | None = None) -> CompileResult:
    """Compile a trained network into ``out_dir`` (see the README for the layout), holding
    its writer lock throughout, so a second compile into it is refused at once."""
    with output_lock(Path(out_dir)):
        return _compile(model_path, out_dir, options, progress)


def _compile(model_path: str | Path, out_dir: str | Path, options: CompileOptions | None,
             progress: Progress | None) -> CompileResult:
    from ..frontends.registry import load_model

    clock, out_dir, source = StageClock(progress), Path(out_dir), str(model_path)
    opts = options or CompileOptions()
    check_writable(out_dir, opts.force)
    name = opts.name or default_name(out_dir)
    opts, target = resolve(opts, clock.say)
    with clock.stage("load") as st:
        frontend, model = load_model(model_path, **opts.reading())
        st.detail = f"{model.format} model from {model_path}"
    if wants_streaming(opts.conv, frontend.name, model, target, clock.say):
        report = compile_streaming(clock, frontend, model, out_dir, name, opts,
                                   options_record(opts), source, target)
        return CompileResult(out_dir, report)
    check_flat_memory(model, conv_hint=has_conv(model))
    with clock.stage("lower") as st:
        raw = frontend.lower(model)
        st.detail = f"{raw.aig.num_ands} ANDs, {depth(raw.aig)} levels"
    if isinstance(raw, SeqNet):  # a recurrent net: its step AIG plus state registers
        report = compile_sequential(clock, frontend, model, raw, out_dir, name, opts, source)
        return CompileResult(out_dir, report)
    spec, care = care_stage(clock, frontend, model, raw, opts.care_set)
    opt = optimize_stage(clock, spec, opts.script, opts.luts_per_stage)
    checked = check_stage(clock, frontend, model, raw, spec, opt.net, opts, care, source)
    luts = lut_estimate_stage(clock, opt)
    proofs = prove_stage(clock, spec.aig, opt.net.aig, opts.prove, care is not None)
    record = options_record(opts)
    verilog, sidecar = verilog_stage(clock, opt, name, opts, record, source)
    cells = cell_stage(clock, opts, target, raw, opt, checked, sidecar, name, care is not None,
                       model)
    asic = asic_stage(clock, opts.asic, verilog, sidecar)  # None without --asic
    report = build_report(model, raw, opt, checked, proofs, sidecar, record, source,
                          clock.timings)
    report.update(luts=luts, care_set=care)
    if opt.alignment is not None:
        report["lut_alignment"] = opt.alignment.stats
    if cells is not None and cells.chains is not None:
        report["carry_chains"] = cells.chains
    if cells is not None and cells.native is not None:
        report["lut_native"] = cells.native
    if asic is not None:
        report["asic"] = asic.report
    write_build(clock, out_dir, opts.force, name, source, opt, checked, verilog, sidecar,
                report, target, cells)
    if asic is not None:
        asic.write(out_dir)
    return CompileResult(out_dir, report)
