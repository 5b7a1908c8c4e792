"""Install torch_dwn 1.1.1's pure-Python package, without its CUDA extension.

``pip install torch-dwn`` runs a ``setup.py`` that always declares its ``efd_cuda`` extension,
so it fails on a machine without CUDA; its Python code (``LUTLayer``, ``LearnableMapping``,
``GroupSum``, the thermometers) needs only torch, and ``torch_dwn.lut_layer`` imports the
extension only where CUDA is available. This script fetches the release's sdist from PyPI,
checks its sha256, copies ``src/torch_dwn/*.py`` into a minimal setuptools project (no
extension) and installs that with pip, so the package has ordinary metadata (``pip show
torch_dwn``, ``pip uninstall torch_dwn``)::

    python -m gatecomp.frontends.dwn.install [--sdist torch_dwn-1.1.1.tar.gz]

Its forward still raises on CPU (``EFDFunction`` has only the CUDA kernel); gatecomp's own
forward check runs the library's modules with a CPU port of that kernel
(:mod:`gatecomp.frontends.dwn.own_forward`).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

VERSION = "1.1.1"
URL = ("https://files.pythonhosted.org/packages/ea/26/4e094b984f13e6e747ca3adce6747840666a07"
       "46451cfb186dfed7a9c178/torch_dwn-1.1.1.tar.gz")
SHA256 = "add7fc871fa01944cedb76368defe5e728ba9aa730b69ad5f665dce466fd8f9c"
#: the package's Python modules (the sdist's src/torch_dwn/)
MODULES = ("__init__.py", "binarization.py", "lut_layer.py", "mapping.py", "utils.py")
PYPROJECT = f"""[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "torch_dwn"
version = "{VERSION}"
description = "torch_dwn {VERSION}'s Python modules, installed without the CUDA extension"
dependencies = []

[tool.setuptools]
packages = ["torch_dwn"]
"""


def fetch(sdist: Path | None, cache: Path) -> Path:
    """The sdist at ``sdist`` or downloaded into ``cache``, after checking its sha256."""
    path = sdist or cache / URL.rsplit("/", 1)[1]
    if sdist is None and not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(URL, timeout=60) as resp:  # noqa: S310 - a fixed https URL
            path.write_bytes(resp.read())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{path}: sha256 {digest} is not torch_dwn {VERSION}'s {SHA256}")
    return path


def project(sdist: Path, into: Path) -> Path:
    """A setuptools project holding the sdist's Python modules only."""
    pkg = into / "torch_dwn"
    pkg.mkdir(parents=True)
    with tarfile.open(sdist) as tar:
        for name in MODULES:
            member = tar.getmember(f"torch_dwn-{VERSION}/src/torch_dwn/{name}")
            data = tar.extractfile(member)
            (pkg / name).write_bytes(data.read())
    (into / "pyproject.toml").write_text(PYPROJECT)
    return into


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sdist", type=Path, help="a downloaded torch_dwn-1.1.1.tar.gz")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "gatecomp",
                    help="where the sdist is downloaded to (default: ~/.cache/gatecomp)")
    args = ap.parse_args(argv)
    sdist = fetch(args.sdist, args.cache)
    with tempfile.TemporaryDirectory() as tmp:
        src = project(sdist, Path(tmp) / "torch_dwn")
        subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps",
                        "--no-build-isolation", str(src)], check=True)


if __name__ == "__main__":
    main()
