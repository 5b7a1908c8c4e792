"""lut_cells_verilog refuses what it cannot write faithfully (its output is simulated against
PyTorch in tests/sim/test_fpga_flow.py and test_end_to_end.py)."""

from __future__ import annotations

import re

import pytest

from gatecomp.fpga.lut_cells import lut_cells_verilog
from gatecomp.mapping.lutmap import LutMapParams, lutmap
from gatecomp.passes import cleanup
from gatecomp.sidecar import Sidecar
from tests.conftest import random_aig
from tests.unit.test_sidecar import make_sidecar


def _cover(k: int = 4):
    aig, _ = cleanup(random_aig(8, 200, 6, seed=4))
    net, _ = lutmap(aig, LutMapParams(k=k))
    return net


def _sidecar(latency: int, widths=(6,)) -> Sidecar:
    return make_sidecar("m", latency, outputs=[(f"o{i}", w) for i, w in enumerate(widths)])


def test_cells_have_four_inputs_on_ice40_and_six_on_ecp5():
    """iCE40 has LUT4 only; ECP5 writes a 5/6-input LUT as LUT4s and its slice muxes
    (--lut-native; the cells are simulated in tests/sim/test_lut_native_netlist.py)."""
    cover = _cover(k=6)
    with pytest.raises(ValueError, match="at most 4 inputs"):
        lut_cells_verilog(cover, 1, "m", _sidecar(3), "ice40")
    text = lut_cells_verilog(cover, 1, "m", _sidecar(3), "ecp5")
    six = int((cover.sizes == 6).sum())
    assert six and len(re.findall(r"^  L6MUX21 ", text, re.M)) == six


def test_latency_and_outputs_must_match_the_rtl():
    net = _cover()
    with pytest.raises(ValueError, match="stages, the RTL has 1"):
        lut_cells_verilog(net, 1, "m", _sidecar(1), "ecp5")
    with pytest.raises(ValueError, match="output bits"):
        lut_cells_verilog(net, net.depth(), "m", _sidecar(1, widths=(4,)), "ecp5")


@pytest.mark.parametrize("family, cell", [("ecp5", "LUT4"), ("ice40", "SB_LUT4")])
def test_one_cell_per_lut_and_a_rank_per_stage(family, cell):
    net = _cover()
    text = lut_cells_verilog(net, 2, "m", _sidecar(-(-net.depth() // 2)), family)
    assert len(re.findall(rf"^  {cell} #\(", text, re.M)) == net.num_luts
    ranks = set(re.findall(r"^  reg \[\d+:0\] (r\d+);", text, re.M))
    assert ranks == {f"r{b}" for b in range(1, -(-net.depth() // 2) + 1)}
