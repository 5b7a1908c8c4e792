"""All-or-nothing outputs: build in a sibling temp dir (or file), then rename into place.

A failed, interrupted (Ctrl-C, SIGTERM) or killed compile must never leave a half-written build
directory behind, and an existing one is only replaced with ``force``. Two compiles into one
directory would otherwise both pass the "does it exist" check and the second would silently
replace the first, so the writer holds a lock beside the directory (``.NAME.gatecomp-lock``,
an ``flock`` the kernel releases even when the process is killed); the second is refused in
one line naming the first's pid. Holding the lock also makes it safe to sweep the temp dirs a
killed compile left, so a rerun starts clean.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .errors import GatecompError
from .interrupts import terminate_as_interrupt

#: sibling names (after ``.NAME.``): the lock, temp dirs being written, a replaced old dir
LOCK_SUFFIX, TMP_TAG, OLD_TAG = "gatecomp-lock", "gatecomp-tmp-", "gatecomp-old-"

_HELD: set[Path] = set()  # output dirs this process has locked (the lock is re-entrant)
_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read, not changed: temp files get the modes a plain write would give


def check_writable(out_dir: Path, force: bool) -> None:
    """Fail early (before any work) if ``out_dir`` exists and may not be replaced."""
    if out_dir.exists() and not force:
        raise GatecompError(f"output directory {out_dir} exists (use --force to replace it)")
    if out_dir.exists() and not out_dir.is_dir():
        raise GatecompError(f"output path {out_dir} exists and is not a directory")


def lock_path(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.{LOCK_SUFFIX}"


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold ``out_dir``'s writer lock (re-entrant in this process); GatecompError if another
    process holds it. SIGTERM is turned into KeyboardInterrupt meanwhile, so cleanup runs."""
    key = Path(os.path.abspath(out_dir))
    if key in _HELD:
        yield
        return
    made = [p for p in (key.parent, *key.parent.parents) if not p.exists()]
    fd = _acquire(Path(out_dir))
    _HELD.add(key)
    try:
        _sweep_stale(Path(out_dir))
        with terminate_as_interrupt():
            yield
    finally:
        _HELD.discard(key)
        with suppress(OSError):
            os.unlink(lock_path(Path(out_dir)))
        os.close(fd)
        for parent in made:  # folders made for a run that wrote nothing go again
            with suppress(OSError):
                parent.rmdir()


def _acquire(out_dir: Path) -> int:
    lock = lock_path(out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GatecompError(f"cannot create {out_dir.parent}: {exc.strerror}") from None
    for _ in range(8):  # a lock file unlinked between our open and flock: open the new one
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise GatecompError(f"cannot write beside {out_dir}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise GatecompError(f"{out_dir} is being written by another gatecomp (pid "
                                f"{holder}); wait for it to finish, or choose another -o") from None
        if _same_file(fd, lock):
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)
    raise GatecompError(f"cannot lock {lock}: it keeps being replaced")


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _sweep_stale(out_dir: Path) -> None:
    """Remove the temp and replaced dirs a killed writer left (we hold the lock: none is live)."""
    for tag in (TMP_TAG, OLD_TAG):
        for stale in out_dir.parent.glob(f".{out_dir.name}.{tag}*"):
            shutil.rmtree(stale, ignore_errors=True)


@contextmanager
def atomic_directory(out_dir: Path, force: bool) -> Iterator[Path]:
    """Yield a temp dir beside ``out_dir``; on success it replaces ``out_dir``, else vanishes."""
    out_dir = Path(out_dir)
    with output_lock(out_dir):
        check_writable(out_dir, force)
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.{TMP_TAG}", dir=out_dir.parent))
            tmp.chmod(0o777 & ~_UMASK)
        except OSError as exc:
            raise GatecompError(f"cannot create {out_dir}: {exc.strerror}") from None
        try:
            yield tmp
            _commit(tmp, out_dir, force)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # gone already after a commit


def _commit(tmp: Path, out_dir: Path, force: bool) -> None:
    """Rename ``tmp`` to ``out_dir`` (replacing it with ``force``), signals held off meanwhile
    so an old directory is never left renamed away."""
    if out_dir.exists() and not force:
        raise GatecompError(f"{out_dir} appeared while this compile ran (written by another "
                            "program?); this compile's output was discarded")
    with _signals_deferred():
        if out_dir.exists():
            old = out_dir.parent / f".{out_dir.name}.{OLD_TAG}{os.getpid()}"
            out_dir.rename(old)
            try:
                tmp.rename(out_dir)
            except OSError as exc:
                old.rename(out_dir)
                raise GatecompError(f"cannot replace {out_dir}: {exc.strerror}") from None
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out_dir)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Block SIGINT/SIGTERM (main thread) for a few renames; a pending one arrives after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def write_atomic(path: str | Path, data: bytes | str) -> None:
    """Write ``path`` whole or not at all: a temp file beside it, then ``os.replace``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{TMP_TAG}", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
