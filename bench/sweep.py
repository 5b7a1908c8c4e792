"""``gatecomp sweep`` wall time: one 20-point grid on local clusters of 1 and 2 workers, the same
command against a scheduler address (``dask scheduler`` + ``dask worker`` started here, as on a
real cluster), and the rerun that finds every point cached.

The points are small on purpose (the bundled digits DLGN, ``cleanup``/``fast`` passes x 10
pipeline depths, 100 vectors, no proof: seconds each), so the table shows what the engine
costs and gains, not what one compile costs. Each run starts from an empty directory except
the cached one. Times are wall seconds of the whole command (cluster start, worker imports,
shutdown) on a shared machine: noisy.

    .venv/bin/python bench/sweep.py                 # writes bench/results/sweep.md
    .venv/bin/python bench/sweep.py --workers 1 2 4
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "gatecomp" / "examples" / "digits_dlgn.pt"
GRID = ('passes = ["cleanup", "fast"]\npipeline-stages = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n'
        'vectors = 100\nprove = false\n')
BIN = Path(sys.executable).parent


def sweep(out: Path, grid: Path, *flags: str) -> tuple[float, str]:
    """Wall seconds of one ``gatecomp sweep`` and its summary line."""
    start = time.perf_counter()
    proc = subprocess.run([str(BIN / "gatecomp"), "-q", "sweep", str(MODEL), "--grid", str(grid),
                           "-o", str(out), *flags], capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.exit(f"gatecomp sweep failed: {proc.stdout}{proc.stderr}")
    return time.perf_counter() - start, proc.stdout.splitlines()[0]


def with_scheduler(tmp: Path, workers: int):
    """Start ``dask scheduler`` and ``dask worker`` (``workers`` processes, 1 thread each);
    (address, processes)."""
    info = tmp / "scheduler.json"
    sched = subprocess.Popen([str(BIN / "dask"), "scheduler", "--scheduler-file", str(info),
                              "--no-dashboard", "--port", "0"], stderr=subprocess.DEVNULL)
    for _ in range(300):
        if info.is_file() and info.stat().st_size:
            break
        time.sleep(0.1)
    address = json.loads(info.read_text())["address"]
    worker = subprocess.Popen([str(BIN / "dask"), "worker", address, "--nworkers", str(workers),
                               "--nthreads", "1", "--no-dashboard"], stderr=subprocess.DEVNULL,
                              cwd=tmp)
    return address, (worker, sched)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "bench" / "results" / "sweep.md")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gatecomp-sweep-bench-"))
    grid = tmp / "grid.toml"
    grid.write_text(GRID)
    rows = []
    for n in args.workers:
        sec, line = sweep(tmp / f"local{n}", grid, "--workers", str(n))
        rows.append((f"local cluster, `--workers {n}`", sec, line))
        print(rows[-1], flush=True)
    n = max(args.workers)
    address, procs = with_scheduler(tmp, n)
    try:
        sec, line = sweep(tmp / "remote", grid, "--scheduler", address)
        rows.append((f"`--scheduler {address}` (`dask worker --nworkers {n}`)", sec, line))
        print(rows[-1], flush=True)
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=60)
    sec, line = sweep(tmp / "remote", grid, "--workers", "1")
    rows.append(("rerun, every point cached", sec, line))
    print(rows[-1], flush=True)
    base = rows[0][1]
    lines = [f"`python bench/sweep.py` on {os.cpu_count()} CPUs: 20 points of the bundled "
             f"digits DLGN ({GRID.strip().replace(chr(10), '; ')})", "",
             "| run | wall s | vs 1 worker | summary |", "|---|---:|---:|---|"]
    lines += [f"| {name} | {sec:.1f} | {base / sec:.2f}x | {line} |" for name, sec, line in rows]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
