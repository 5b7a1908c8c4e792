"""``gatecomp opt``: read an AIGER file (or a structural Verilog netlist), run a pass script,
prove the result, write AIGER. Files with latches go through :mod:`gatecomp.optimize_seq`.

The standalone optimizer (ABC's ``read; <script>; cec; write`` in one call). The CLI only parses
options; this is the code, reachable from Python.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .aig import AIG, AigerError, depth, read_aiger, write_aiger
from .aig.aiger_seq import LatchedAig, read_latched_aiger
from .errors import GatecompError
from .passes.base import PassStats
from .passes.script import DEFAULT_SCRIPT, run_script
from .verify.abc_cec import CecResult
from .verify.equivalence import EquivalenceResult, prove_equivalent


@dataclass
class OptimizeResult:
    """The optimized AIG, the per-pass stats and the equivalence proof (None if skipped)."""

    before: AIG
    after: AIG
    passes: list[PassStats] = field(default_factory=list)
    proof: EquivalenceResult | None = None
    seconds: float = 0.0
    #: sequential input: the latches' resets (the step's last inputs/outputs), else None
    latches: tuple[int | None, ...] | None = None
    #: sequential input: ABC cec of the step and ABC dsec with the latches (when run)
    abc: list[CecResult] = field(default_factory=list)


#: suffixes read as structural Verilog netlists (``aig/verilog_netlist.py``); others as AIGER
VERILOG_SUFFIXES = (".v",)


def read_aig_file(path: str | Path) -> AIG:
    """Read an AIGER file or (suffix ``.v``) a structural Verilog netlist, turning every
    failure into a one-line :class:`GatecompError`."""
    path = Path(path)
    if not path.is_file():
        raise GatecompError(f"{path}: {'not a file' if path.exists() else 'no such file'}")
    if path.suffix.lower() in VERILOG_SUFFIXES:
        from .aig.verilog_netlist import read_verilog_netlist

        return read_verilog_netlist(path)
    try:
        return read_aiger(path)
    except (AigerError, ValueError, IndexError, UnicodeDecodeError) as exc:
        raise GatecompError(f"{path}: not a combinational AIGER file ({exc})") from None


def optimize_aig(aig: AIG, script: str = DEFAULT_SCRIPT, verify: bool = True,
                 progress: Callable[[str], None] | None = None) -> OptimizeResult:
    """Run ``script`` on ``aig`` and (with ``verify``) prove the result equivalent.

    Raises :class:`GatecompError` when the proof finds a counterexample (a broken pass).
    """
    say = progress or (lambda _msg: None)
    start = time.perf_counter()
    out, stats = run_script(aig, script, progress=say)
    proof = None
    if verify:
        proof = prove_equivalent(aig, out)
        if proof.equivalent is False:
            raise GatecompError(f"optimization changed the function: {proof.message}")
        if proof.equivalent is None:
            say(f"equivalence not proven ({proof.message}); random simulation found no "
                f"difference")
        else:
            say(f"proved OUT == IN ({proof.seconds:.2f} s)")
    return OptimizeResult(aig, out, stats, proof, time.perf_counter() - start)


def read_circuit_file(path: str | Path) -> LatchedAig:
    """Read an AIGER file, with or without latches, or (suffix ``.v``) a structural Verilog
    netlist (no latches), turning every failure into a one-line :class:`GatecompError`."""
    path = Path(path)
    if path.suffix.lower() in VERILOG_SUFFIXES or not path.is_file():
        return LatchedAig(read_aig_file(path), ())
    try:
        return read_latched_aiger(path)
    except AigerError as exc:
        raise GatecompError(f"{path}: {exc}") from None
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise GatecompError(f"{path}: not an AIGER file gatecomp reads ({exc})") from None


def optimize_file(src: str | Path, dst: str | Path, script: str = DEFAULT_SCRIPT,
                  verify: bool = True, progress: Callable[[str], None] | None = None
                  ) -> OptimizeResult:
    """Read ``src`` (AIGER, with or without latches, or a ``.v`` netlist), optimize (see
    :func:`optimize_aig`; with latches :func:`~gatecomp.optimize_seq.optimize_latched`), write
    ``dst`` (binary AIGER, the latches kept)."""
    circuit = read_circuit_file(src)
    if circuit.num_latches:
        from .optimize_seq import optimize_latched

        res = optimize_latched(circuit, script, verify, progress)
    else:
        res = optimize_aig(circuit.step, script, verify, progress)
    write_aiger(res.after, dst, comment=f"gatecomp opt -p {script}: {src}", latches=res.latches)
    return res


def summary_lines(res: OptimizeResult) -> list[str]:
    """The table ``gatecomp opt`` prints: one line per pass, then the total."""
    lines = [f"{'pass':<12} {'ANDs':>17} {'levels':>11} {'seconds':>8}"]
    for s in res.passes:
        lines.append(f"{s.name:<12} {s.ands_before:>8}->{s.ands_after:<8} "
                     f"{s.levels_before:>4}->{s.levels_after:<5} {s.seconds:>8.2f}")
    lines.append(f"{'total':<12} {res.before.num_ands:>8}->{res.after.num_ands:<8} "
                 f"{depth(res.before):>4}->{depth(res.after):<5} {res.seconds:>8.2f}")
    if res.latches is not None:
        from .optimize_seq import latch_lines

        lines += latch_lines(res)
    return lines
