"""RTL regression of a sequential build: whole sequences through the generated module.

:func:`write_sequence_sim_dir` puts ``gatecomp/sim/sequence_test.py`` (as ``test_NAME.py``),
the sequences (packed beats, ``last`` flags, the reference value of every output event) and
the sidecar into ``build/NAME/sim/``; :func:`run_sequence_verify` runs it through cocotb's
runner exactly as the combinational regression runs (:func:`gatecomp.verify.rtl_sim.run_cocotb`)
and returns the same :class:`~gatecomp.verify.rtl_sim.RtlVerifyResult`, whose ``vectors`` are
output events (one per sequence with ``emit="last"``) and whose accuracy scores the ``pred``
of each sequence's last step against ``sim/labels.npy``.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import numpy as np

from ..errors import GatecompError
from ..seq_sidecar import SeqSidecar, is_sequential_sidecar
from ..sim import SEQUENCE_TEST
from ..toolchain import simulator_env
from .accuracy import accuracy_from_file
from .rtl_sim import (
    LABELS_FILE,
    MAX_PORT_WIDTH,
    PRED_PORT,
    SIDECAR_FILE,
    RtlVerifyResult,
    _failed_tests,
    _observed_outputs,
    read_verdict,
    require_sources,
    run_cocotb,
)

SEQUENCES_FILE = "sequences.npz"
_RESERVED = ("in_data", "in_width", "last", "beat_sequence", "event_sequence")


def write_sequence_sim_dir(sim_dir: Path, name: str, sidecar: SeqSidecar, bits: np.ndarray,
                           expected: dict[str, np.ndarray]) -> None:
    """Write the self-contained sequence regression of module ``name`` into ``sim_dir``.

    ``bits`` are (sequences, steps, W) input bits; ``expected`` holds per output port the
    reference words as the circuit emits them: (sequences,) with ``emit="last"``, else
    (sequences, steps).
    """
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise GatecompError(f"module name {name!r} is not a valid identifier")
    bits = np.asarray(bits, dtype=bool)
    width = sidecar.in_data.width
    if bits.ndim != 3 or bits.shape[2] != width:
        raise GatecompError(f"input sequences have shape {bits.shape}, expected (N, T, {width})")
    n, steps = bits.shape[:2]
    each = sidecar.sequence.emit == "each"
    arrays = {}
    for out in sidecar.outputs:
        if out.width > MAX_PORT_WIDTH or out.name in _RESERVED or out.name not in expected:
            raise GatecompError(f"output port {out.port} cannot be checked (width {out.width}, "
                                f"reference given: {out.name in expected})")
        values = np.asarray(expected[out.name], dtype=np.int64)
        if values.shape != ((n, steps) if each else (n,)):
            raise GatecompError(f"expected values for {out.name!r} have shape {values.shape}")
        arrays[out.name] = values.reshape(-1)
    last = np.zeros((n, steps), dtype=np.uint8)
    last[:, -1] = 1
    beat_seq = np.repeat(np.arange(n, dtype=np.int64), steps)
    sim_dir = Path(sim_dir)
    sim_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SEQUENCE_TEST, sim_dir / f"test_{name}.py")
    packed = np.packbits(bits.reshape(n * steps, width), axis=1, bitorder="little")
    np.savez_compressed(sim_dir / SEQUENCES_FILE, in_data=packed, in_width=np.int64(width),
                        last=last.reshape(-1), beat_sequence=beat_seq,
                        event_sequence=beat_seq if each else np.arange(n, dtype=np.int64),
                        **arrays)
    sidecar.write(sim_dir / SIDECAR_FILE)


def is_sequential_build(build_dir: Path) -> bool:
    """Whether ``build_dir`` holds a sequential build (its sim/ has sequences, not vectors)."""
    return (Path(build_dir) / "sim" / SEQUENCES_FILE).is_file()


def _find_design(build_dir: Path) -> tuple[Path, SeqSidecar]:
    rtl = build_dir / "rtl"
    found = [p for p in sorted(rtl.glob("*.json")) if is_sequential_sidecar(p)]
    if len(found) != 1:
        raise GatecompError(f"{'no' if not found else 'more than one'} sequential rtl/*.json "
                            f"sidecar in {build_dir}")
    return found[0], SeqSidecar.read(found[0])


def run_sequence_verify(build_dir: Path, sim: str = "icarus", vectors: int | None = None,
                        backpressure: bool = False, *, netlist: Path | None = None,
                        seed: int = 1, verbose: bool = False) -> RtlVerifyResult:
    """Run a sequential build's cocotb regression; ``vectors`` limits the sequences."""
    start = time.perf_counter()
    build_dir = Path(build_dir)
    sidecar_path, sidecar = _find_design(build_dir)
    source = Path(netlist) if netlist is not None else sidecar_path.with_suffix(".v")
    require_sources([source])
    sim_dir = build_dir / "sim"
    test_file = sim_dir / f"test_{sidecar.module}.py"
    if not test_file.is_file() or not is_sequential_build(build_dir):
        raise GatecompError(f"sim/test_{sidecar.module}.py or sim/{SEQUENCES_FILE} missing "
                            f"in {build_dir}")
    if vectors is not None and vectors < 1:
        raise GatecompError(f"vectors must be at least 1, got {vectors}")
    testcase = "sequence_backpressure" if backpressure else "sequence"
    work = (sim_dir / f"sim_build_{sim}").resolve()
    work.mkdir(parents=True, exist_ok=True)
    for stale in (f"{testcase}.json", f"{testcase}_outputs.npz"):
        (work / stale).unlink(missing_ok=True)
    env = simulator_env(sim)
    env.update(GATECOMP_SIM_VECTORS=str(vectors or 0), GATECOMP_SIM_SEED=str(seed),
               GATECOMP_SIM_RESULTS_DIR=str(work))
    sim_seconds, log = run_cocotb(
        sim, [source], sidecar.module, work, label=source.name, test_module=test_file.stem,
        test_dir=sim_dir.resolve(), testcase=testcase, env=env, verbose=verbose, seed=seed)
    run = f"the {sim} simulation of {source.name}"
    summary = read_verdict(work / f"{testcase}.json", log, run, run)
    outputs = _observed_outputs(work / f"{testcase}_outputs.npz")
    return RtlVerifyResult(
        module=sidecar.module, simulator=sim, source=source, vectors=int(summary["vectors"]),
        mismatches=int(summary["mismatches"]), first_mismatches=summary["first_mismatches"],
        timing_errors=int(summary["timing_errors"]),
        first_timing_errors=summary["first_timing_errors"], latency=int(summary["latency"]),
        cycles=int(summary.get("cycles", 0)), seconds=time.perf_counter() - start,
        backpressure=backpressure, passed=bool(summary["passed"]) and _failed_tests(work) == 0,
        sim_seconds=sim_seconds, seed=seed, work_dir=work, log=log,
        accuracy=accuracy_from_file(_sequence_preds(sim_dir, sidecar, outputs),
                                    sim_dir / LABELS_FILE),
        outputs=outputs)


def _sequence_preds(sim_dir: Path, sidecar: SeqSidecar,
                    outputs: dict[str, np.ndarray]) -> np.ndarray | None:
    """The RTL's ``pred`` per sequence (its last step's, when every step emits)."""
    pred = outputs.get(PRED_PORT)
    if pred is None or sidecar.sequence.emit == "last":
        return pred
    with np.load(sim_dir / SEQUENCES_FILE) as npz:
        event_seq = npz["event_sequence"][:len(pred)]  # the first N sequences' events
    last_event = np.flatnonzero(np.append(event_seq[1:] != event_seq[:-1], True))
    return pred[last_event]
