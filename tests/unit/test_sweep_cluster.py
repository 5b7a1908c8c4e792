"""gatecomp sweep on a real Dask LocalCluster of 2 worker processes: a worker killed while it
compiles a point (the point is run again, every row is right), a restarted sweep (finished
points are reused), and the command line against the cluster's scheduler address."""

from __future__ import annotations

import csv
import os
import signal
import threading
import time

import pytest
from click.testing import CliRunner

from gatecomp.cli import compile_cmd, main
from gatecomp.flow import CompileOptions, compile_model
from gatecomp.frontends.dlgn.formats import save_dlgn
from gatecomp.sweep import SweepConfig, parse_grid, run_sweep
from tests.unit.dlgn_nets import random_dlgn

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

GRID = {"passes": ["cleanup", "fast"], "pipeline-stages": [0, 1, 2], "vectors": 50,
        "prove": False}
FIGURES = ("ands", "levels", "latency", "registers", "lut4", "lut6")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return save_dlgn(tmp_path_factory.mktemp("m") / "net.pt",
                     random_dlgn([400, 200], in_dim=48, k=4, seed=3))


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as c:
        yield c


def _kill_a_busy_worker(address: str, killed: dict) -> None:
    """Wait until a worker is computing a point, let it get going, then SIGKILL its process
    (what the OOM killer or a lost machine does: no clean shutdown)."""
    with distributed.Client(address) as client:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            busy = {w: keys for w, keys in client.processing().items() if keys}
            if busy:
                worker, keys = next(iter(busy.items()))
                time.sleep(1.5)
                pid = client.run(os.getpid, workers=[worker])[worker]
                os.kill(pid, signal.SIGKILL)
                killed.update(pid=pid, keys=[str(k) for k in keys])
                return
            time.sleep(0.1)


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_killed_worker_and_restarted_sweep(model, cluster, tmp_path):
    grid = parse_grid(GRID, compile_cmd)
    killed: dict = {}
    killer = threading.Thread(target=_kill_a_busy_worker,
                              args=(cluster.scheduler_address, killed))
    killer.start()
    lines: list[str] = []
    res = run_sweep(model, grid, tmp_path / "s", SweepConfig(scheduler=cluster.scheduler_address),
                    progress=lines.append)
    killer.join()
    assert killed, "no worker was seen computing a point"
    rows = _rows(res.csv)
    assert len(rows) == 6 and [r["status"] for r in rows] == ["ok"] * 6, rows
    assert not any(r["worker"].endswith(f":{killed['pid']}") for r in rows)
    # every row is what a direct compile of its point gives
    direct = compile_model(model, tmp_path / "direct", CompileOptions(
        script="fast", pipeline_stages=1, max_vectors=50, prove=False)).report
    row = next(r for r in rows if r["passes"] == "fast" and r["pipeline-stages"] == "1")
    assert row["ands"] == str(direct["gates"]["ands_optimized"])
    assert row["levels"] == str(direct["gates"]["levels_optimized"])
    assert row["registers"] == str(direct["pipeline"]["registers"])
    assert row["lut4"] == str(direct["luts"]["lut4"]["luts"])
    assert [r["latency"] for r in rows] == ["0", "1", "2"] * 2
    assert "sweep.html" in res.html.name and "front-logic" in res.html.read_text()

    # a restarted sweep reuses every finished point and starts no cluster
    again = run_sweep(model, grid, tmp_path / "s", SweepConfig(workers=1))
    assert again.summary.ran == 0 and again.summary.cached == 6
    assert "no cluster" in again.summary.cluster
    assert [[r[f] for f in FIGURES] for r in _rows(again.csv)] == \
        [[r[f] for f in FIGURES] for r in rows]


def test_cli_against_the_scheduler_reruns_only_what_is_missing(model, cluster, tmp_path):
    grid = tmp_path / "g.toml"
    grid.write_text('passes = "cleanup"\npipeline-stages = [0, 1]\nvectors = 50\n'
                    'prove = false\n')
    out = tmp_path / "s"
    args = ["sweep", str(model), "--grid", str(grid), "-o", str(out)]
    res = CliRunner().invoke(main, [*args, "--scheduler", cluster.scheduler_address])
    assert res.exit_code == 0, res.output
    assert "2 points (2 run, 0 reused, 0 failed)" in res.stdout
    assert f"on the cluster of {cluster.scheduler_address} (2 workers)" in res.stdout
    first = _rows(out / "sweep.csv")
    (out / "points" / first[1]["key"] / "done.json").unlink()  # as if killed before it
    res = CliRunner().invoke(main, ["-q", *args, "--scheduler", cluster.scheduler_address])
    assert res.exit_code == 0, res.output
    assert "2 points (1 run, 1 reused, 0 failed)" in res.stdout and res.stderr == ""
    again = _rows(out / "sweep.csv")
    assert [r["cached"] for r in again] == ["true", "false"]
    assert [r["ands"] for r in again] == [r["ands"] for r in first]
