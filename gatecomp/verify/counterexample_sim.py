"""A netlist counterexample as a cocotb regression the user can run.

The cycles of a :class:`~gatecomp.verify.netlist_formal.Counterexample` become the vectors
of a small build directory (``BUILD/counterexample/``: ``rtl/NAME.json`` and a ``sim/``
written by :func:`~gatecomp.verify.rtl_sim.write_sim_dir`, the same stream test as every
build), each with the compiled circuit's outputs as the expected values, so
``gatecomp verify BUILD/counterexample --netlist NETLIST`` replays it in the simulator.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ..aig import AIG, simulate
from ..sidecar import Sidecar
from .netlist_formal import Counterexample
from .rtl_sim import write_sim_dir

COUNTEREXAMPLE_DIR = "counterexample"


def write_counterexample(build_dir: Path, sidecar: Sidecar, ref: AIG,
                         cex: Counterexample) -> Path:
    """``build_dir/counterexample/`` (replaced if present); returns its path."""
    out = Path(build_dir) / COUNTEREXAMPLE_DIR
    if out.exists():
        shutil.rmtree(out)
    (out / "rtl").mkdir(parents=True)
    sidecar.write(out / "rtl" / f"{sidecar.module}.json")
    bits = simulate(ref, cex.in_data)
    expected, at = {}, 0
    for port in sidecar.outputs:
        word = bits[:, at:at + port.width].astype(np.int64)
        expected[port.name] = word @ (1 << np.arange(port.width, dtype=np.int64))
        at += port.width
    write_sim_dir(out / "sim", sidecar.module, sidecar, cex.in_data, expected)
    return out
