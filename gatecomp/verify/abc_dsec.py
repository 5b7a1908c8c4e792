"""Sequential equivalence by ABC's ``dsec``: the two circuits *with their latches*.

The compile proves the optimized step equal to the lowered one combinationally, which is a
proof of the sequential circuits because the state encoding is the same. ``dsec`` checks the
sequential circuits themselves (from their reset states, without assuming a state
correspondence), an independent oracle for that argument.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..aig import AIG, write_aiger
from ..toolchain import find_abc
from .abc_cec import CecResult


def abc_dsec(a: AIG, b: AIG, init: Sequence[int], timeout: float = 300.0) -> CecResult:
    """``dsec`` of two step AIGs whose last ``len(init)`` inputs/outputs are latches."""
    abc = find_abc()
    if abc is None:
        return CecResult(False, None, "ABC not found")
    with tempfile.TemporaryDirectory(prefix="gatecomp-dsec-") as tmp:
        pa, pb = Path(tmp, "a.aig"), Path(tmp, "b.aig")
        write_aiger(a, pa, latches=init)
        write_aiger(b, pb, latches=init)
        try:
            res = subprocess.run([abc, "-c", f"dsec {pa} {pb}"], capture_output=True,
                                 text=True, errors="replace", timeout=timeout)
        except subprocess.TimeoutExpired:
            return CecResult(False, None, f"ABC dsec timed out after {timeout:.0f} s")
        except OSError as exc:  # a broken install: no verdict, said so (like a missing ABC)
            return CecResult(False, None, f"ABC ({abc}) cannot run: {exc.strerror}")
    out = res.stdout + res.stderr
    if "Networks are equivalent" in out:
        return CecResult(True, True, "ABC dsec: sequential circuits are equivalent")
    if "NOT EQUIVALENT" in out.upper() or "are not equivalent" in out:
        return CecResult(True, False, "ABC dsec: sequential circuits are NOT equivalent")
    last = out.strip().splitlines()[-1:] if out.strip() else ["no output"]
    return CecResult(False, None, f"ABC dsec gave no verdict: {last[0]}")
