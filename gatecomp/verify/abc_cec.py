"""Equivalence proof by ABC's ``cec`` (the field's reference checker), when ABC is installed.

Our own SAT miter is the optimizer's job; ABC is the independent oracle that proves the
optimized AIG equals the one the frontend produced.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..aig import AIG, write_aiger
from ..toolchain import find_abc


@dataclass
class CecResult:
    checked: bool
    equivalent: bool | None
    message: str


def abc_cec(a: AIG, b: AIG, timeout: float = 300.0) -> CecResult:
    """Prove ``a == b`` with ABC ``cec``; ``checked`` is False when ABC is missing or timed out."""
    abc = find_abc()
    if abc is None:
        return CecResult(False, None, "ABC not found")
    with tempfile.TemporaryDirectory(prefix="gatecomp-cec-") as tmp:
        pa, pb = Path(tmp, "a.aig"), Path(tmp, "b.aig")
        write_aiger(a, pa)
        write_aiger(b, pb)
        try:
            res = subprocess.run([abc, "-c", f"cec {pa} {pb}"], capture_output=True, text=True,
                                 errors="replace", timeout=timeout)
        except subprocess.TimeoutExpired:
            return CecResult(False, None, f"ABC cec timed out after {timeout:.0f} s")
        except OSError as exc:  # a broken install: no verdict, said so (like a missing ABC)
            return CecResult(False, None, f"ABC ({abc}) cannot run: {exc.strerror}")
    out = res.stdout + res.stderr
    if "Networks are equivalent" in out:
        return CecResult(True, True, "ABC cec: networks are equivalent")
    if "NOT EQUIVALENT" in out.upper() or "are not equivalent" in out:
        return CecResult(True, False, "ABC cec: networks are NOT equivalent")
    return CecResult(False, None, "ABC cec gave no verdict: " + out.strip().splitlines()[-1:][0]
                     if out.strip() else "ABC cec gave no output")
