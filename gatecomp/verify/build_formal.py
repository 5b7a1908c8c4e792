"""The formal netlist proof as the last step of ``gatecomp build``, where it is affordable.

``gatecomp build`` proves its netlist (:func:`~.netlist_formal.prove_build_netlist`) when the
compiled circuit has at most :data:`FORMAL_MAX_ANDS` ANDs: the digits DLGN (9,939 ANDs,
latency 9) takes about 45 s on this 2-core machine, against 825 s for simulating its netlist on
the 360 test vectors (``bench/netlist_formal.py``). The verdict goes into ``board/report.json``
(``formal``); a refuted netlist fails the build with the counterexample, an undecided one is
recorded as such. Builds with carry-chain popcounts are skipped: neither oracle decides an
adder tree against a compressor tree within its limits (measured: undecided after minutes).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from ..errors import GatecompError
from ..fpga.project import BOARD_DIR
from .build_circuit import load_build
from .netlist_formal import prove_build_netlist, refusal

#: largest compiled circuit (ANDs) proved by default after a build
FORMAL_MAX_ANDS = 20_000
REPORT_FILE = "report.json"


def formal_after_build(build_dir: Path, progress: Callable[[str], None] | None = None,
                       max_ands: int = FORMAL_MAX_ANDS) -> dict:
    """Prove the build's netlist if its circuit is small enough; record it in report.json.

    Returns the ``formal`` entry written (``{"skipped": why}`` above ``max_ands``).
    """
    from .image_rtl import is_streaming_build
    from .seq_rtl import is_sequential_build

    build_dir = Path(build_dir)
    ands = load_build(build_dir).aig.num_ands
    result = None
    if is_streaming_build(build_dir) or is_sequential_build(build_dir):
        entry: dict = {"skipped": "not a one-vector-per-clock pipeline"}
    elif _carry_chains(build_dir):
        entry = {"skipped": "carry-chain popcounts (CCU2C) are not decided by SAT or ABC "
                            "cec within their limits; gatecomp verify --netlist simulates them"}
    elif ands > max_ands:
        entry = {"skipped": f"{ands} ANDs > {max_ands} (run gatecomp verify --netlist "
                            f"--formal)"}
    else:
        result = prove_build_netlist(build_dir, None, progress)
        entry = result.as_dict()
    _record(build_dir / BOARD_DIR / REPORT_FILE, entry)
    if result is not None and result.equivalent is False:
        raise GatecompError(refusal(result, build_dir))
    return entry


def _record(report: Path, entry: dict) -> None:
    """``report["formal"] = entry``, replacing the file in one rename."""
    data = json.loads(report.read_text()) if report.is_file() else {}
    data["formal"] = entry
    tmp = report.with_name(report.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, report)


def formal_line(entry: dict) -> str:
    """The build summary's line for the proof."""
    if "skipped" in entry:
        return f"formal netlist proof skipped: {entry['skipped']}"
    if entry["equivalent"] is None:
        return "formal netlist proof undecided within its limits (simulate: verify --netlist)"
    how = ", ".join(f"{k} {v}" for k, v in entry["oracles"].items())
    return (f"netlist proved equal to the compiled circuit over latency {entry['latency']} "
            f"({how}; {sum(entry['seconds'].values()):.1f} s)")


def _carry_chains(build_dir: Path) -> bool:
    target = build_dir / BOARD_DIR / "target.json"
    return target.is_file() and bool(json.loads(target.read_text()).get("carry_chains"))
