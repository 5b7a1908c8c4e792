"""One point of a sweep, as a Dask task: compile (and for an FPGA target build) in a worker.

The task is a plain module-level function of a frozen dataclass, so any worker with gatecomp
installed can run it (Dask pickles the function by reference). It writes the build into the
point's directory and returns the reports; the client, not the worker, records the point as
done, so a worker killed halfway leaves nothing that looks finished and the retried task starts
over (``force``: a half-written build from the killed try is replaced).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import GatecompError
from ..flow import CompileOptions
from .cache import file_sha256

LOG_FILE = "log.txt"


@dataclass(frozen=True)
class PointTask:
    """What a worker needs for one point (paths absolute: the worker may run elsewhere)."""

    key: str
    model: str
    model_sha256: str
    options: CompileOptions
    directory: str  # DIR/points/<key16>
    build_name: str  # the build directory's (and so the Verilog module's) name
    fpga: bool = False  # run `gatecomp build` after the compile (board or device given)
    time_limit_min: float | None = None  # of that build


@dataclass
class Outcome:
    """What one point gave: its reports, or the one-line error that stopped it."""

    key: str
    ok: bool
    error: str | None = None
    note: str | None = None  # e.g. the FPGA build missed the board clock (figures kept)
    report: dict | None = None  # BUILD/report.json
    board_report: dict | None = None  # BUILD/board/report.json
    build_dir: str | None = None
    seconds: float = 0.0
    worker: str = ""


def run_point(task: PointTask) -> Outcome:
    """Compile one point into ``task.directory``; a user error (GatecompError) is returned as
    a failed Outcome (it would fail again: no retry), anything else raises so Dask retries."""
    start = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    out = Outcome(task.key, ok=False, worker=worker)
    try:
        directory = Path(task.directory)
        _check_model(task, worker)
        directory.mkdir(parents=True, exist_ok=True)
        _clear_leftovers(directory, task.build_name)
        build_dir = directory / task.build_name
        with open(directory / LOG_FILE, "w", encoding="utf-8") as log:
            def say(msg: str) -> None:
                log.write(msg.strip() + "\n")
                log.flush()

            _compile(task, build_dir, say)
            if task.fpga:
                out.note = _fpga_build(task, build_dir, say)
        out.report = json.loads((build_dir / "report.json").read_text(encoding="utf-8"))
        board = build_dir / "board" / "report.json"
        if task.fpga and board.is_file():
            out.board_report = json.loads(board.read_text(encoding="utf-8"))
        out.ok, out.build_dir = True, str(build_dir)
    except GatecompError as exc:
        out.error = str(exc)
    out.seconds = round(time.perf_counter() - start, 3)
    return out


def _check_model(task: PointTask, worker: str) -> None:
    """The worker must read the very file the key was made of (a cluster needs MODEL and
    DIR on a filesystem its workers share)."""
    if not os.path.isfile(task.model):
        raise GatecompError(f"worker {worker} cannot read {task.model}: a sweep on a cluster "
                            f"needs MODEL and the output directory on a filesystem its workers "
                            f"share")
    if file_sha256(task.model) != task.model_sha256:
        raise GatecompError(f"{task.model} on worker {worker} is not the file the sweep "
                            f"hashed (it changed, or the worker sees another one)")


def _clear_leftovers(directory: Path, build_name: str) -> None:
    """Remove the temp build directories of a killed try (compile writes ``.NAME.*`` beside
    the build and renames it into place only at the end)."""
    for path in directory.glob(f".{build_name}.*"):
        shutil.rmtree(path, ignore_errors=True)


def _compile(task: PointTask, build_dir: Path, say) -> None:
    from ..flow import compile_model

    if task.options.asic is not None:  # the tools and the library first, as compile does
        from ..asic.stage import prepare
        prepare(task.options.asic)
    compile_model(task.model, build_dir, replace(task.options, force=True), progress=say)


def _fpga_build(task: PointTask, build_dir: Path, say) -> str | None:
    """``gatecomp build``; a missed clock still wrote board/report.json, whose figures the
    sweep keeps (the message becomes the point's note). Other failures raise."""
    from ..fpga.flow import build

    try:
        build(build_dir, progress=say, time_limit_min=task.time_limit_min)
    except GatecompError as exc:
        if not (build_dir / "board" / "report.json").is_file():
            raise
        return str(exc)
    return None
