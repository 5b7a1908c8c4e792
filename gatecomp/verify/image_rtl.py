"""RTL regression of a streaming build: whole images, pixel by pixel, through cocotb.

:func:`write_image_sim_dir` writes ``sim/`` (the test module
``gatecomp/sim/image_stream_test.py`` as ``test_NAME.py``, the images' pixels and the reference
class counts, the sidecar); :func:`run_image_verify` runs it in Icarus or Verilator, on the RTL
or on a synthesized netlist, through the same cocotb runner as the flat regression.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import GatecompError
from ..sidecar import Sidecar
from ..toolchain import simulator_env
from .rtl_sim import (
    SIDECAR_FILE,
    SimVerdict,
    _find_design,
    read_verdict,
    require_sources,
    run_cocotb,
)

IMAGE_TEST = Path(__file__).resolve().parent.parent / "sim" / "image_stream_test.py"
IMAGES_FILE = "images.npz"


def is_streaming_build(build_dir: Path) -> bool:
    return (Path(build_dir) / "sim" / IMAGES_FILE).is_file()


def write_image_sim_dir(sim_dir: Path, name: str, sidecar: Sidecar, bits: np.ndarray,
                        shape: tuple[int, int, int], expected: dict[str, np.ndarray]) -> None:
    """``bits`` (images, C*H*W) C-order -> pixels (images, H*W, ceil(C/8)), C bits each."""
    c, h, w = shape
    px = np.asarray(bits, dtype=bool).reshape(len(bits), c, h * w).transpose(0, 2, 1)
    arrays = {o.name: np.asarray(expected[o.name], dtype=np.int64) for o in sidecar.outputs}
    sim_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(IMAGE_TEST, sim_dir / f"test_{name}.py")
    np.savez_compressed(sim_dir / IMAGES_FILE, pixels=np.packbits(px, axis=2, bitorder="little"),
                        pixel_width=np.int64(c), **arrays)
    sidecar.write(sim_dir / SIDECAR_FILE)


@dataclass
class ImageVerifyResult(SimVerdict):
    """What the image regression's summary says (``vectors``: images whose result matched
    or not; ``mismatches``: images with any port wrong; ``latency``/``interval``: clocks)."""

    module: str
    simulator: str
    source: Path
    vectors: int
    total: int
    mismatches: int
    first_mismatches: list
    protocol_errors: int
    latency: int | None
    interval: int | None
    cycles: int
    seconds: float
    backpressure: bool
    passed: bool
    log: Path | None = None

    def _headline(self) -> str:
        mode = ", backpressure" if self.backpressure else ""
        return (f"RTL {self.source.name} ({self.simulator}{mode}) vs reference: {self.vectors}"
                f" of {self.total} images, {self.mismatches} mismatching, "
                f"{self.protocol_errors} protocol errors, latency {self.latency} clocks, "
                f"{self.interval} clocks per image, {self.seconds:.1f} s: "
                f"{'PASS' if self.passed else 'FAIL'}")

    def _details(self, details: int) -> list[str]:
        return [f"  image {m['vector']} {m['port']}: expected {m['expected']} got {m['got']}"
                for m in self.first_mismatches[:details]]

    def _failure(self) -> str:
        if self.first_mismatches:
            m = self.first_mismatches[0]
            return (f"{self.source.name}: {self.mismatches} images differ from the reference "
                    f"(first: image {m['vector']} {m['port']} expected {m['expected']} got "
                    f"{m['got']})")
        return (f"{self.source.name}: {self.vectors} of {self.total} results, "
                f"{self.protocol_errors} protocol errors")


def run_image_verify(build_dir: Path, sim: str = "icarus", vectors: int | None = None,
                     netlist: Path | None = None, backpressure: bool = False, *,
                     extra_sources: Sequence[Path] = (), seed: int = 1,
                     verbose: bool = False) -> ImageVerifyResult:
    """Stream the build's images through its RTL (or ``netlist``) and compare every result."""
    start = time.perf_counter()
    build_dir = Path(build_dir)
    sidecar_path, sidecar = _find_design(build_dir)
    source = Path(netlist) if netlist is not None else sidecar_path.with_suffix(".v")
    sources = [source, *map(Path, extra_sources)]
    require_sources(sources)
    sim_dir = build_dir / "sim"
    if not (sim_dir / IMAGES_FILE).is_file():
        raise GatecompError(f"sim/{IMAGES_FILE} missing in {build_dir}")
    tag = sim if netlist is None else f"{sim}_{re.sub(r'[^A-Za-z0-9_]', '_', source.stem)}"
    work = (sim_dir / f"sim_build_{tag}").resolve()
    work.mkdir(parents=True, exist_ok=True)
    testcase = "stream_backpressure" if backpressure else "stream"
    (work / f"{testcase}.json").unlink(missing_ok=True)
    env = simulator_env(sim)
    env.update(GATECOMP_SIM_VECTORS=str(vectors or 0), GATECOMP_SIM_SEED=str(seed),
               GATECOMP_SIM_RESULTS_DIR=str(work))
    _, log = run_cocotb(sim, sources, sidecar.module, work, label=source.name,
                        test_module=f"test_{sidecar.module}", test_dir=sim_dir.resolve(),
                        testcase=testcase, env=env, verbose=verbose, seed=seed)
    s = read_verdict(work / f"{testcase}.json", log, f"the {sim} simulation of {source.name}",
                     f"the {sim} simulation of {source.name}")
    return ImageVerifyResult(
        module=sidecar.module, simulator=sim, source=source, vectors=int(s["vectors"]),
        total=int(s["vectors_total"]), mismatches=int(s["mismatches"]),
        first_mismatches=s["first_mismatches"], protocol_errors=int(s["timing_errors"]),
        latency=s.get("latency"), interval=s.get("interval"), cycles=int(s.get("cycles", 0)),
        seconds=time.perf_counter() - start, backpressure=backpressure,
        passed=bool(s["passed"]), log=log)
