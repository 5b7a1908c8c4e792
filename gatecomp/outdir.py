"""All-or-nothing output directories: build in a sibling temp dir, then rename into place.

A failed compile must never leave a half-written build directory behind, and an existing one is
only replaced with ``force``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import GatecompError


def check_writable(out_dir: Path, force: bool) -> None:
    """Fail early (before any work) if ``out_dir`` exists and may not be replaced."""
    if out_dir.exists() and not force:
        raise GatecompError(f"output directory {out_dir} exists (use --force to replace it)")
    if out_dir.exists() and not out_dir.is_dir():
        raise GatecompError(f"output path {out_dir} exists and is not a directory")


@contextmanager
def atomic_directory(out_dir: Path, force: bool) -> Iterator[Path]:
    """Yield a temp dir beside ``out_dir``; on success it replaces ``out_dir``, else vanishes."""
    out_dir = Path(out_dir)
    check_writable(out_dir, force)
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=parent))
    except OSError as exc:
        raise GatecompError(f"cannot create {out_dir}: {exc.strerror}") from None
    try:
        yield tmp
        if out_dir.exists():
            old = parent / f".{out_dir.name}.old.{os.getpid()}"
            out_dir.rename(old)
            tmp.rename(out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
