"""Restructuring changes no output: builds of the bundled examples and optimized EPFL circuits
are byte-identical to those of the recorded commit.

The hashes in ``tests/data/build_hashes.json`` were recorded before the package layout changed
(``python -m tests.unit.test_build_identity`` rewrites them; do that only for a change that is
meant to alter outputs, and say so in the commit). A failure names the file that changed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from gatecomp.flow import CompileOptions, compile_model

ROOT = Path(__file__).resolve().parents[2]
HASHES = ROOT / "tests" / "data" / "build_hashes.json"
EXAMPLES = ("digits_dlgn.pt", "digits_bnn.pt", "digits_qnn.pt", "digits_brevitas_bnn.onnx",
            "digits_brevitas_q2.onnx")
EPFL_CIRCUITS = ("ctrl", "int2float", "router", "cavlc")
#: build outputs that must not change (report.json holds timings)
BUILD_FILES = ("rtl/net.v", "rtl/net.json", "net.aig", "sim/vectors.npz", "sim/sidecar.json",
               "sim/test_net.py")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_hashes(example: str, out: Path) -> dict[str, str]:
    """Hashes of one example's build, compiled from its path relative to the repository."""
    source = Path("gatecomp") / "examples" / example  # the Verilog header records this string
    compile_model(ROOT / source if not source.exists() else source, out,
                  CompileOptions(name="net", prove=False))
    return {name: _digest(out / name) for name in BUILD_FILES}


def opt_hash(circuit: str, out: Path) -> str | None:
    """Hash of the EPFL circuit after the default script (None where the suite is absent)."""
    from gatecomp.aig import read_aiger, write_aiger
    from gatecomp.passes.script import DEFAULT_SCRIPT, run_script

    src = ROOT.parent / "shared" / "bench" / "epfl" / f"{circuit}.aig"
    if not src.exists():
        return None
    aig, _ = run_script(read_aiger(src), DEFAULT_SCRIPT)
    write_aiger(aig, out)
    return _digest(out)


@pytest.fixture(scope="module")
def recorded() -> dict:
    return json.loads(HASHES.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES)
def test_example_builds_are_byte_identical(tmp_path, monkeypatch, recorded, example):
    monkeypatch.chdir(ROOT)
    got = build_hashes(example, tmp_path / "b")
    for name, digest in recorded["examples"][example].items():
        assert got[name] == digest, f"{example}: {name} changed"


@pytest.mark.parametrize("circuit", EPFL_CIRCUITS)
def test_optimized_epfl_circuits_are_byte_identical(tmp_path, recorded, circuit):
    got = opt_hash(circuit, tmp_path / "o.aig")
    if got is None:
        pytest.skip("EPFL benchmarks not beside the repository")
    assert got == recorded["epfl"][circuit], f"{circuit}: optimized AIGER changed"


def _record() -> None:  # pragma: no cover - run by hand, see the module docstring
    import os
    import tempfile

    os.chdir(ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        data = {"examples": {e: build_hashes(e, Path(tmp) / e) for e in EXAMPLES},
                "epfl": {c: opt_hash(c, Path(tmp) / f"{c}.aig") for c in EPFL_CIRCUITS}}
    HASHES.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    print(f"wrote {HASHES}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    _record()
