"""Finished points, kept by a content hash so a restarted sweep does only what is left.

A point's key is the sha256 of what decides its result: the model file's bytes, the point's
normalized :class:`~gatecomp.flow.CompileOptions` (with the bytes of every file an option names)
and the versions of the code that turns them into hardware (gatecomp, Amaranth; Yosys and
nextpnr when the point is built for an FPGA). Its build lives in ``DIR/points/<key16>/`` and
``done.json`` there, written atomically when the point has finished, is the cache entry: a
point whose ``done.json`` holds its full key is not run again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import tempfile
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ..flow import CompileOptions

DONE_FILE = "done.json"
POINTS_DIR = "points"
KEY_CHARS = 16  # of the sha256 hex digest, for the directory name (64 bits)

#: options that may name a file, whose bytes then decide the result as much as the name
FILE_FIELDS = ("inputs", "encoder", "board", "asic")


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def normalized_options(opts: CompileOptions) -> dict[str, Any]:
    """The options as JSON values, without those that only name the build; an option that
    names an existing file (:data:`FILE_FIELDS`) also carries the file's sha256."""
    out: dict[str, Any] = {}
    for key, value in sorted(asdict(opts).items()):
        if key in ("name", "force"):
            continue
        if key in FILE_FIELDS and value and Path(value).is_file():
            out[key] = {"path": str(value), "sha256": file_sha256(value)}
        else:
            out[key] = str(value) if isinstance(value, Path) else value
    return out


def _package_version(dist: str) -> str | None:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


@functools.cache
def tool_version(tool: str) -> str:
    """An FPGA tool's version: its yowasp wheel's, else the native tool's ``--version`` line,
    else "missing" (the build then fails with the install hint)."""
    from ..toolchain import FPGA_TOOLS, find_fpga_tool

    path = find_fpga_tool(tool)
    if path is None:
        return "missing"
    wheel = FPGA_TOOLS[tool][2]
    if Path(path).name.startswith("yowasp-"):
        return f"{wheel} {_package_version(wheel)}"
    try:
        proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return f"{tool} (version unknown)"
    text = (proc.stdout or proc.stderr).strip()
    return text.splitlines()[0] if text else f"{tool} (version unknown)"


def versions(fpga_family: str | None) -> dict[str, str | None]:
    """What turns options into hardware: gatecomp and Amaranth, plus the FPGA flow's tools
    for a point that is built (``fpga_family``: "ice40" or "ecp5")."""
    from ..backends.verilog import gatecomp_version

    out = {"gatecomp": gatecomp_version(), "amaranth": _package_version("amaranth")}
    if fpga_family is not None:
        for tool in ("yosys", f"nextpnr-{fpga_family}"):
            out[tool] = tool_version(tool)
    return out


def point_key(model_sha256: str, options: dict[str, Any], tool_versions: dict) -> str:
    """The sha256 (hex) of a point's model, normalized options and tool versions."""
    blob = json.dumps({"model_sha256": model_sha256, "options": options,
                       "versions": tool_versions}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def point_dir(out_dir: Path, key: str) -> Path:
    return Path(out_dir) / POINTS_DIR / key[:KEY_CHARS]


def read_done(directory: Path, key: str) -> dict | None:
    """The cache entry in ``directory`` if it is complete and for ``key``, else None."""
    path = Path(directory) / DONE_FILE
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return entry if isinstance(entry, dict) and entry.get("key") == key else None


def write_done(directory: Path, entry: dict) -> Path:
    """Write ``done.json`` atomically (a temp file renamed over it), so a sweep killed while
    writing leaves either no entry or a whole one."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".done.", suffix=".json", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(entry, fh, indent=1, sort_keys=True, default=str)
            fh.write("\n")
        os.replace(tmp, directory / DONE_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return directory / DONE_FILE
