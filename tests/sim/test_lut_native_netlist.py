"""--lut-native's cell core (LUT4, PFUMX, L6MUX21, CCU2C on ECP5; SB_LUT4 on iCE40) with
Yosys' own cell models in Icarus, against torch_dwn's forward on the build's vectors."""

from __future__ import annotations

import re
import shutil

import pytest
from click.testing import CliRunner

from gatecomp.cli import main

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(not shutil.which("iverilog"), reason="iverilog not installed")]
torch = pytest.importorskip("torch")


@pytest.mark.parametrize("device", ["ecp5-25k", "ice40-up5k-sg48"])
def test_lut_native_cells_equal_torch_dwn(device, tmp_path):
    from tests.unit.test_frontends_dwn import build

    torch.save(build("learnable_n6_padded"), tmp_path / "m.pt")
    out = tmp_path / "b"
    run = CliRunner().invoke
    res = run(main, ["compile", str(tmp_path / "m.pt"), "-o", str(out), "--name", "n",
                     "--device", device, "--lut-cells", "--lut-native"])
    assert res.exit_code == 0, res.output
    cells = (out / "board" / "n_luts.v").read_text()
    assert ("L6MUX21" in cells) == device.startswith("ecp5")
    res = run(main, ["verify", str(out), "--netlist", str(out / "board" / "n_luts.v"),
                     "--vectors", "300", "--backpressure"])
    assert res.exit_code == 0, res.output
    assert re.search(r"n_luts\.v \(icarus, backpressure\) vs reference: 300 vectors, "
                     r"0 mismatches", res.output), res.output
