"""What the report is drawn from: the files of one build directory, and nothing else.

``report.json`` (the compile), ``board/report.json`` (``gatecomp build``, when it ran),
``rtl/NAME.json`` (the sidecar) and ``NAME.aig`` (the optimized IR). Reading only files
means ``gatecomp report`` redraws exactly what a compile drew, from a build made any time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..aig import AIG, AigerError, read_aiger
from ..aig.aiger import read_aiger_latches
from ..errors import GatecompError
from ..seq_sidecar import SeqSidecar, is_sequential_sidecar
from ..sidecar import Sidecar

REPORT_JSON = "report.json"
BOARD_REPORT = Path("board") / "report.json"
HTML_FILE = "report.html"


@dataclass(frozen=True)
class BuildData:
    """One build directory's inputs to the report; None where a file is absent."""

    build_dir: Path
    name: str | None
    report: dict
    board: dict | None
    sidecar: Sidecar | None
    aig: AIG | None


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise GatecompError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise GatecompError(f"{path} is not a JSON object")
    return data


def _aig(path: Path, sequential: bool = False) -> AIG:
    """The build's AIG; of a sequential build, its step circuit (latches as inputs/outputs)."""
    try:
        return read_aiger_latches(path)[0] if sequential else read_aiger(path)
    except AigerError as exc:
        raise GatecompError(f"cannot read {path}: {exc}") from None


def module_name(build_dir: Path) -> str | None:
    """The module: the one ``rtl/*.json`` sidecar, else the one ``*.aig`` (None if neither)."""
    for found in (sorted((build_dir / "rtl").glob("*.json")), sorted(build_dir.glob("*.aig"))):
        if len(found) == 1:
            return found[0].stem
    return None


def load_build(build_dir: str | Path) -> BuildData:
    """The build's files; a one-line GatecompError when it is no build directory."""
    build_dir = Path(build_dir)
    if not build_dir.is_dir():
        raise GatecompError(f"build directory {build_dir} not found")
    if not (build_dir / REPORT_JSON).is_file():
        raise GatecompError(f"{build_dir} has no {REPORT_JSON}; give a `gatecomp compile` "
                            f"output directory")
    report = _json(build_dir / REPORT_JSON)
    board = _json(build_dir / BOARD_REPORT) if (build_dir / BOARD_REPORT).is_file() else None
    name = module_name(build_dir)
    sidecar = aig = None
    if name is not None:
        side_path = build_dir / "rtl" / f"{name}.json"
        sequential = side_path.is_file() and is_sequential_sidecar(side_path)
        if side_path.is_file():
            sidecar = (SeqSidecar if sequential else Sidecar).read(side_path)
        aig_path = build_dir / f"{name}.aig"
        aig = _aig(aig_path, sequential) if aig_path.is_file() else None
    return BuildData(build_dir, name, report, board, sidecar, aig)
