"""Running ``python -m gatecomp`` as a user would, for the fault tests: exit status, stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def gatecomp(*args, cwd: Path | None = None, env: dict | None = None, limit_gb: float = 0,
             timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m gatecomp -q ARGS``; ``limit_gb`` caps its address space (a header that made
    it allocate gigabytes would then die of MemoryError, an internal error, exit 2)."""
    run_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "gatecomp", "-q", *map(str, args)], cwd=cwd,
                          env=run_env, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=_address_limit(limit_gb) if limit_gb else None)


def popen(*args, cwd: Path | None = None, env: dict | None = None) -> subprocess.Popen:
    """``python -m gatecomp ARGS`` started, its progress lines readable from ``stderr``."""
    run_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "gatecomp", *map(str, args)], cwd=cwd,
                            env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _address_limit(gb: float):
    def limit() -> None:
        import resource

        size = int(gb * (1 << 30))
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    return limit


def assert_one_line_error(res, fragment: str, status: int = 1) -> str:
    """Exit ``status``, exactly one ``Error:`` line on stderr containing ``fragment``, and
    nothing else there: no traceback, no warning."""
    assert res.returncode == status, (res.returncode, res.stderr)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), res.stderr
    assert fragment in lines[0], res.stderr
    return lines[0]


def siblings(path: Path) -> list[str]:
    """Names beside ``path`` that belong to it (``path`` itself, its temp dirs and lock)."""
    return sorted(p.name for p in path.parent.iterdir()
                  if p.name == path.name or p.name.startswith(f".{path.name}."))


def fake_tool(directory: Path, name: str, script: str) -> Path:
    """An executable shell script ``directory/name`` standing in for a broken tool."""
    path = directory / name
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)
    return path
