"""Run a sweep's points as Dask tasks, on a local cluster or a scheduler's, and write the table.

Dask (``dask.distributed``) does what a sweep needs of a distributed engine: a ``LocalCluster``
of worker processes on one machine, the same ``Client`` API against a real cluster's scheduler
(so moving to several machines changes one flag), a task re-run elsewhere when its worker dies
(``distributed.scheduler.allowed-failures``, 3 by default) and ``retries`` for one that raised.
What Dask does not keep across runs, :mod:`.cache` does: a finished point is never run again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import GatecompError
from ..extras import require
from ..flow.options import default_name, resolve
from .cache import (
    file_sha256,
    normalized_options,
    point_dir,
    point_key,
    read_done,
    versions,
    write_done,
)
from .grid import Grid, Point, show
from .page import Summary, write_html
from .pareto import mark_fronts
from .table import make_row, write_csv
from .task import Outcome, PointTask, run_point

#: memory a local worker is given room for (the 1M-gate compile peaks at 1.1 GB)
WORKER_MEMORY = 2 << 30
#: times Dask re-runs a point whose task raised (a killed worker is re-run by the scheduler)
RETRIES = 2

Say = Callable[[str], None]


@dataclass(frozen=True)
class SweepConfig:
    """Where and how the points run."""

    workers: int | None = None  # local cluster size (None: sized to the machine)
    scheduler: str | None = None  # tcp://HOST:PORT of a running Dask scheduler
    build: bool = True  # run `gatecomp build` for points with a board or device
    time_limit_min: float | None = None  # per FPGA build
    bar: bool = False  # a tqdm progress bar on stderr (the caller decides: a terminal, not CI)
    worker_log_level: int = logging.WARNING  # of the local cluster's own logs


@dataclass
class SweepResult:
    """The rows of ``sweep.csv`` (with each front's members) and what the run did."""

    rows: list[dict[str, Any]]
    fronts: dict[str, list[int]]
    csv: Path
    html: Path
    summary: Summary
    failed: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Planned:
    point: Point
    task: PointTask


def default_workers() -> int:
    """One worker a CPU this process may use, as many as the memory holds (2 GiB each)."""
    import psutil  # a dependency of distributed

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, psutil.virtual_memory().total // WORKER_MEMORY))


def plan(model: Path, grid: Grid, out_dir: Path, config: SweepConfig) -> list[_Planned]:
    """Each point's task and key; a bad combination of options is a one-line error naming
    the point, before anything runs."""
    model_sha = file_sha256(model)
    name = default_name(Path(model.stem))
    planned = []
    for point in grid.points:
        opts = point.options()
        try:
            _, target = resolve(opts, lambda _m: None)
        except GatecompError as exc:
            raise GatecompError(f"grid point {point.index} ({point.label()}): {exc}") from None
        fpga = config.build and target is not None
        key = point_key(model_sha, normalized_options(opts),
                        versions(target.family if fpga else None))
        task = PointTask(key, str(model), model_sha, opts, str(point_dir(out_dir, key)), name,
                         fpga, config.time_limit_min)
        planned.append(_Planned(point, task))
    return planned


def run_sweep(model: str | Path, grid: Grid, out_dir: str | Path,
              config: SweepConfig | None = None, progress: Say | None = None) -> SweepResult:
    """Run every point of ``grid`` not already done in ``out_dir``; write ``sweep.csv`` and
    ``sweep.html`` there (after each point, so they are current while it runs)."""
    config, say, start = config or SweepConfig(), progress or (lambda _m: None), time.perf_counter()
    model, out_dir = Path(model).resolve(), Path(out_dir).resolve()
    if config.scheduler and config.workers is not None:
        raise GatecompError("--workers sizes the local cluster; the cluster of --scheduler "
                            "has its own workers")
    if not model.is_file():
        raise GatecompError(f"model {model} not found")
    out_dir.mkdir(parents=True, exist_ok=True)
    planned = plan(model, grid, out_dir, config)
    outcomes: dict[str, Outcome] = {}
    for p in planned:
        entry = read_done(Path(p.task.directory), p.task.key)
        if entry is not None:
            outcomes[p.task.key] = Outcome(**entry["outcome"])
    cached = set(outcomes)
    pending = list({p.task.key: p.task for p in planned if p.task.key not in cached}.values())
    say(f"sweep: {len(planned)} points, {len(cached)} done before (reused from "
        f"{out_dir / 'points'}), {len(pending)} to run")
    state = _State(grid, planned, outcomes, cached, out_dir, model, start)
    state.write()
    if pending:
        with _client(config, say) as (client, cluster):
            state.cluster = cluster
            say(f"sweep: running {len(pending)} points {cluster}")
            _run_pending(client, pending, state, config, say)
    return state.write()


@dataclass
class _State:
    """The points' outcomes so far, and the table and page written from them."""

    grid: Grid
    planned: list[_Planned]
    outcomes: dict[str, Outcome]
    cached: set[str]
    out_dir: Path
    model: Path
    start: float
    cluster: str = "no cluster started: every point was cached"

    def rows(self) -> list[dict[str, Any]]:
        return [make_row(p.point, p.task.key, self.outcomes.get(p.task.key),
                         p.task.key in self.cached) for p in self.planned]

    def write(self) -> SweepResult:
        rows = self.rows()
        fronts = mark_fronts(rows)
        failed = [r["point"] for r in rows if r["status"] == "failed"]
        ran = len({k for k in self.outcomes if k not in self.cached})
        summary = Summary(str(self.model), self.cluster,
                          time.perf_counter() - self.start, ran, len(self.cached), len(failed))
        csv = write_csv(self.out_dir, self.grid, rows)
        html = write_html(self.out_dir, self.grid, rows, fronts, summary)
        return SweepResult(rows, fronts, csv, html, summary, failed)

    def record(self, task: PointTask, outcome: Outcome) -> None:
        """Keep a finished point: ``done.json`` (only a successful one is reused)."""
        self.outcomes[task.key] = outcome
        if outcome.ok:
            point = next(p.point for p in self.planned if p.task.key == task.key)
            write_done(Path(task.directory), {
                "key": task.key, "point": {k: show(v) for k, v in point.values.items()},
                "options": normalized_options(task.options), "outcome": asdict(outcome)})
        self.write()


@contextlib.contextmanager
def _client(config: SweepConfig, say: Say) -> Iterator[tuple[Any, str]]:
    """A Dask client: of ``config.scheduler``, or of a local cluster of worker processes."""
    distributed = require("distributed", "gatecomp sweep")
    if config.scheduler:
        try:
            client = distributed.Client(config.scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise GatecompError(f"cannot reach the Dask scheduler at {config.scheduler}: "
                                f"{exc}") from None
        with client:
            n = len(client.scheduler_info().get("workers", {}))
            if n == 0:
                say(f"sweep: no worker is connected to {config.scheduler} yet; the points wait")
            yield client, f"on the cluster of {config.scheduler} ({n} workers)"
        return
    n = config.workers or default_workers()
    nanny = logging.getLogger("distributed.nanny")
    nanny.addFilter(_slow_exit)
    try:
        with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                      dashboard_address=None,
                                      silence_logs=config.worker_log_level) as cluster, \
                distributed.Client(cluster) as client:
            yield client, f"on a local cluster of {n} worker process{'es' if n > 1 else ''}"
    finally:
        nanny.removeFilter(_slow_exit)


def _slow_exit(record: logging.LogRecord) -> bool:
    """Drop the nanny's "still alive after 4.0 seconds, killing" at the end of a sweep: a
    worker that imported torch takes a few seconds to exit, and killing it then is right."""
    return "still alive after" not in record.getMessage()


def _run_pending(client, tasks: list[PointTask], state: _State, config: SweepConfig,
                 say: Say) -> None:
    """Submit every task, record each as it completes; a task that still fails after the
    retries (or whose workers kept dying) is a failed point, not a failed sweep."""
    from distributed import as_completed

    futures = {client.submit(run_point, t, key=f"gatecomp-point-{t.key}", retries=RETRIES,
                             pure=False): t for t in tasks}
    with _bar(len(tasks), config.bar) as (tick, write):
        for done, fut in enumerate(as_completed(futures), 1):
            task = futures[fut]
            try:
                outcome = fut.result()
            except (Exception, asyncio.CancelledError) as exc:  # noqa: BLE001 - the point's
                outcome = Outcome(task.key, ok=False, error=_task_error(exc))
            state.record(task, outcome)
            tick()
            write(say, f"sweep: [{done}/{len(tasks)}] {_describe(state, task, outcome)}")


def _task_error(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return (f"its worker died each time it ran the point (KilledWorker; "
                f"distributed.scheduler.allowed-failures): {exc}")
    return f"{name}: {exc}"


def _describe(state: _State, task: PointTask, out: Outcome) -> str:
    """``point 3 (passes=cleanup, pipeline-stages=1): 9817 ANDs, 78 levels, latency 1 (4.1 s)``"""
    points = [p.point for p in state.planned if p.task.key == task.key]
    head = f"point {points[0].index} ({points[0].label()})"
    if not out.ok:
        return f"{head}: FAILED: {out.error} ({out.seconds:.1f} s)"
    gates, pipe = out.report.get("gates", {}), out.report.get("pipeline", {})
    text = (f"{head}: {gates.get('ands_optimized')} ANDs, {gates.get('levels_optimized')} "
            f"levels, latency {pipe.get('latency')}")
    if out.board_report:
        core = out.board_report["resources"]["core"]
        text += (f", {core.get('lut_area')} LUT area, "
                 f"{out.board_report['timing'].get('fmax_mhz')} MHz")
    return f"{text} ({out.seconds:.1f} s)"


@contextlib.contextmanager
def _bar(total: int, enabled: bool):
    """``(tick, write)``: a tqdm bar when enabled and tqdm is installed, else no bar; lines
    are written around the bar so it is not torn."""
    tqdm = None
    if enabled:
        with contextlib.suppress(ImportError):
            from tqdm import tqdm
    if tqdm is None:
        yield (lambda: None), (lambda say, msg: say(msg))
        return
    with tqdm(total=total, unit="point", desc="sweep", file=sys.stderr, leave=False) as bar:
        def write(say: Say, msg: str) -> None:
            with bar.external_write_mode(file=sys.stderr):
                say(msg)
        yield bar.update, write
