"""``gatecomp opt``: read an AIGER file (or a structural Verilog netlist), run a pass script,
prove the result, write AIGER.

The standalone optimizer (ABC's ``read; <script>; cec; write`` in one call). The CLI only parses
options; this is the code, reachable from Python.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .aig import AIG, AigerError, depth, read_aiger, write_aiger
from .errors import GatecompError
from .passes.base import PassStats
from .passes.script import DEFAULT_SCRIPT, run_script
from .verify.equivalence import EquivalenceResult, prove_equivalent


@dataclass
class OptimizeResult:
    """The optimized AIG, the per-pass stats and the equivalence proof (None if skipped)."""

    before: AIG
    after: AIG
    passes: list[PassStats] = field(default_factory=list)
    proof: EquivalenceResult | None = None
    seconds: float = 0.0


#: suffixes read as structural Verilog netlists (``aig/verilog_netlist.py``); others as AIGER
VERILOG_SUFFIXES = (".v",)


def read_aig_file(path: str | Path) -> AIG:
    """Read an AIGER file or (suffix ``.v``) a structural Verilog netlist, turning every
    failure into a one-line :class:`GatecompError`."""
    path = Path(path)
    if not path.is_file():
        raise GatecompError(f"{path}: no such file")
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


def optimize_file(src: str | Path, dst: str | Path, script: str = DEFAULT_SCRIPT,
                  verify: bool = True, progress: Callable[[str], None] | None = None
                  ) -> OptimizeResult:
    """Read ``src`` (AIGER or ``.v`` netlist), optimize (see :func:`optimize_aig`), write
    ``dst`` (binary AIGER)."""
    aig = read_aig_file(src)
    res = optimize_aig(aig, script, verify, progress)
    write_aiger(res.after, dst, comment=f"gatecomp opt -p {script}: {src}")
    return res


def summary_lines(res: OptimizeResult) -> list[str]:
    """The table ``gatecomp opt`` prints: one line per pass, then the total."""
    lines = [f"{'pass':<12} {'ANDs':>17} {'levels':>11} {'seconds':>8}"]
    for s in res.passes:
        lines.append(f"{s.name:<12} {s.ands_before:>8}->{s.ands_after:<8} "
                     f"{s.levels_before:>4}->{s.levels_after:<5} {s.seconds:>8.2f}")
    lines.append(f"{'total':<12} {res.before.num_ands:>8}->{res.after.num_ands:<8} "
                 f"{depth(res.before):>4}->{depth(res.after):<5} {res.seconds:>8.2f}")
    return lines
