"""Compiling a sequential net (a recurrent model's SeqNet): the combinational stages on its step.

``compile_model`` hands a frontend's :class:`~gatecomp.aig.seq.SeqNet` here. The step AIG goes
through the same optimize, LUT-estimate and prove stages as any net (the state encoding is
kept, so the combinational proof of the step proves the sequential circuits equal); what
differs is the data: the checks run whole sequences from the reset state (lowered and optimized
step against gatecomp's reading and the model's own forward, on every emitted output), and the
build holds the sequential Verilog, an AIGER file with latches and the sequence regression.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..aig import write_aiger
from ..aig.seq import SeqNet, SeqRun, run_sequences
from ..errors import GatecompError, InternalError
from ..frontends.reference import OwnForward
from ..outdir import atomic_directory
from ..toolchain import find_abc
from ..vectors import RANDOM_VECTORS, Vectors
from ..verify.abc_cec import CecResult
from ..verify.abc_dsec import abc_dsec
from ..verify.ir_check import SimEquivalence, simulate_equivalence
from .check import Checked
from .clock import StageClock
from .emit import lut_estimate_stage
from .optimize import optimize_stage
from .options import CompileOptions, options_record
from .prove import prove_stage
from .report import build_report

#: sequence length of random check sequences when the model records none
RANDOM_STEPS = 8


@dataclass
class SeqChecked:
    """What the sequence checks established (words as the circuit emits them)."""

    vectors: Vectors  # bits: (sequences, steps, width)
    reference: dict[str, np.ndarray]
    own: OwnForward
    run: SeqRun  # the optimized circuit over the sequences
    equivalence: SimEquivalence


def compile_sequential(clock: StageClock, frontend, model, seq: SeqNet, out_dir: Path,
                       name: str, opts: CompileOptions, source: str) -> dict:
    """Optimize, check, prove and emit ``seq`` into ``out_dir``; returns the report."""
    _refuse_options(opts)
    opt = optimize_stage(clock, seq.step, opts.script, None)
    opt_seq = seq.with_step(opt.net)
    checked = _check_stage(clock, frontend, model, seq, opt_seq, opts, source)
    luts = lut_estimate_stage(clock, opt)
    proofs = prove_stage(clock, seq.aig, opt.net.aig, opts.prove, False)
    dsec = _dsec_stage(clock, seq, opt_seq, proofs)
    record = options_record(opts)
    with clock.stage("emit", "emit sequential Verilog") as st:
        from ..backends.sequential import emit_sequential

        verilog, sidecar = emit_sequential(opt_seq, name, source=source, options=record)
        st.detail = f"{len(verilog) / 1e6:.1f} MB, {seq.state_width} state registers"
    last = _per_sequence(checked.reference, seq.emit)
    summary = Checked(checked.vectors, last, last, checked.own,
                      _per_sequence(checked.run.emitted(seq.emit), seq.emit)["pred"],
                      checked.equivalence)
    report = build_report(model, seq.step, opt, summary, proofs, sidecar, record, source,
                          clock.timings)
    report.update(luts=luts, care_set=None, sequential=_sequential_record(seq, opt_seq, checked))
    report["checks"]["abc_dsec"] = None if dsec is None else asdict(dsec)
    _write(clock, out_dir, opts.force, name, source, opt_seq, checked, verilog, sidecar, report)
    return report


def _dsec_stage(clock: StageClock, seq: SeqNet, opt_seq: SeqNet, proofs) -> CecResult | None:
    """ABC ``dsec`` on the circuits with their latches, where the step was proved and ABC
    is installed (an independent check of the same-state-encoding argument)."""
    if proofs.own is None or find_abc() is None:
        return None
    with clock.stage("prove_abc_dsec", "ABC dsec (sequential, with latches)") as st:
        result = abc_dsec(seq.aig, opt_seq.aig, seq.init)
        if result.equivalent is False:
            raise InternalError("ABC dsec says optimization changed the sequential circuit")
        st.detail = result.message
    return result


def _refuse_options(opts: CompileOptions) -> None:
    """One line for each option a sequential circuit cannot honour."""
    given = [flag for flag, value in (
        ("--board", opts.board), ("--device", opts.device), ("--lut-cells", opts.lut_cells),
        ("--care-set", opts.care_set), ("--levels-per-stage", opts.levels_per_stage),
        ("--luts-per-stage", opts.luts_per_stage),
        ("--pipeline-stages", opts.pipeline_stages or None),
        ("--asic", getattr(opts, "asic", None))) if value]
    if given:
        raise GatecompError(f"{given[0]} does not apply to a sequential (recurrent) network: "
                            "its state feeds back every clock, so the step is built without "
                            "pipeline registers, FPGA projects or care sets (drop the option)")


def _vectors(frontend, model, opts: CompileOptions) -> Vectors:
    """The check sequences: a user .npy (sequences, steps, width), the held-out set, or
    random sequences of the trained length."""
    width = model.input_width
    if opts.inputs is not None:
        try:
            bits = np.load(opts.inputs, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise GatecompError(f"cannot read input sequences {opts.inputs}: {exc}") from None
        if bits.ndim != 3 or bits.shape[2] != width or not len(bits) or not bits.shape[1]:
            raise GatecompError(f"input sequences {opts.inputs} have shape {bits.shape}; "
                                f"expected (sequences, steps, {width})")
        vec = Vectors(bits.astype(bool), None, f"user ({Path(opts.inputs).name})")
    elif (held := frontend.dataset_vectors(model, "test")) is not None:
        vec = Vectors(held[0], held[1], "held-out test")
    else:
        rng = np.random.default_rng(0)
        shape = (RANDOM_VECTORS, model.steps or RANDOM_STEPS, width)
        vec = Vectors(rng.integers(0, 2, size=shape).astype(bool), None, "random")
    if opts.max_vectors is not None:
        labels = None if vec.labels is None else vec.labels[:opts.max_vectors]
        vec = Vectors(vec.bits[:opts.max_vectors], labels, vec.description)
    return vec


def _check_stage(clock: StageClock, frontend, model, seq: SeqNet, opt_seq: SeqNet,
                 opts: CompileOptions, source: str) -> SeqChecked:
    """Lowered and optimized circuits over whole sequences == both references; the optimized
    step == the lowered step on random patterns and on every step input the sequences saw."""
    with clock.stage("check", "check IR vs PyTorch over whole sequences") as st:
        vec = _vectors(frontend, model, opts)
        reference = frontend.reference(model, vec.bits)
        raw = run_sequences(seq, vec.bits)
        _hold(raw.emitted(seq.emit), reference, "the lowered step differs from the reference",
              InternalError)
        own = frontend.own_forward(model, vec.bits)
        clock.say(f"  reference: {own.name}")
        if own.outputs is not None:
            _hold(raw.emitted(seq.emit), own.outputs,
                  f"{source}: the circuit differs from {own.name}; nothing was written",
                  GatecompError)
        run = run_sequences(opt_seq, vec.bits)
        _hold(run.emitted(seq.emit), reference, "the optimized step differs from the "
              "reference", InternalError)
        equiv = simulate_equivalence(seq.aig, opt_seq.aig, extra=raw.step_inputs)
        if not equiv.equal:
            raise InternalError(f"optimization changed output "
                                f"{opt_seq.aig.output_names[equiv.first_output]} (simulation)")
        steps = vec.bits.shape[1]
        st.detail = (f"{len(vec.bits)} {vec.description} sequences of {steps} steps, "
                     "0 mismatches")
    return SeqChecked(vec, reference, own, run, equiv)


def _hold(got: dict[str, np.ndarray], expected: dict[str, np.ndarray], what: str,
          error: type[Exception]) -> None:
    """Raise ``error`` naming the first sequence where a port of ``expected`` differs."""
    for port, want in expected.items():
        diff = np.asarray(got[port]) != np.asarray(want)
        if diff.any():
            bad = np.argwhere(diff)
            first = tuple(int(i) for i in bad[0])
            seqs = len(np.unique(bad[:, 0]))
            raise error(f"{what} on {seqs} sequences (first: sequence {first[0]}"
                        f"{f' step {first[1]}' if len(first) > 1 else ''}, {port}: expected "
                        f"{int(np.asarray(want)[first])}, got {int(np.asarray(got[port])[first])})")


def _per_sequence(words: dict[str, np.ndarray], emit: str) -> dict[str, np.ndarray]:
    """One word per sequence: the words themselves, or the last step's when each step emits."""
    return words if emit == "last" else {k: v[:, -1] for k, v in words.items()}


def _sequential_record(seq: SeqNet, opt_seq: SeqNet, checked: SeqChecked) -> dict:
    """``report.json``'s ``sequential`` entry (``step_ands``: the optimized step's)."""
    bits = checked.vectors.bits
    return {"state_width": seq.state_width, "init_state": "".join(map(str, seq.init)),
            "steps": seq.steps, "emit": seq.emit, "input_width": seq.input_width,
            "step_ands": opt_seq.aig.num_ands, "step_ands_lowered": seq.aig.num_ands,
            "sequences_checked": int(len(bits)),
            "steps_checked": int(bits.shape[0] * bits.shape[1]),
            "equivalence": "combinational: optimized step == lowered step, same state "
                           "encoding (latches unchanged)",
            "protocol": "in_last ends a sequence; state reset by rst and after in_last; "
                        "outputs registered, latency 1"}


def _write(clock: StageClock, out_dir: Path, force: bool, name: str, source: str, seq: SeqNet,
           checked: SeqChecked, verilog: str, sidecar, report: dict) -> None:
    """The build directory in one step: rtl/, NAME.aig (with latches), sim/, report.json."""
    from ..report import write_report_html
    from ..verify.seq_rtl import write_sequence_sim_dir

    vec = checked.vectors
    with atomic_directory(out_dir, force) as tmp:
        (tmp / "rtl").mkdir()
        (tmp / "rtl" / f"{name}.v").write_text(verilog)
        sidecar.write(tmp / "rtl" / f"{name}.json")
        write_aiger(seq.aig, tmp / f"{name}.aig", comment=f"gatecomp: {source}",
                    latches=seq.init)
        write_sequence_sim_dir(tmp / "sim", name, sidecar, vec.bits, checked.reference)
        np.save(tmp / "sim" / "labels.npy", vec.labels if vec.labels is not None
                else np.full(len(vec.bits), -1))
        (tmp / "report.json").write_text(json.dumps(report, indent=2) + "\n")
        write_report_html(tmp)  # report.html: drawn from the files just written
    clock.say(f"wrote {out_dir}")


__all__ = ["compile_sequential"]
