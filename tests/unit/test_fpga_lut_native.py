"""--lut-native: the per-neuron choice on tables of known LUT cost, the cover against the
models' own forward, and the compile options (the written cells against the reference in
Icarus: tests/sim/test_lut_native_netlist.py)."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

from gatecomp.errors import GatecompError
from gatecomp.flow import CompileOptions, compile_model
from gatecomp.fpga.lut_native import choose, lut4_cells, native_logic, table_layers, with_tail
from gatecomp.frontends.registry import load_model
from gatecomp.passes.script import DEFAULT_SCRIPT
from gatecomp.toolchain import find_abc
from tests.conftest import needs_abc

AND6 = 1 << 63
PARITY6 = sum(1 << m for m in range(64) if m.bit_count() % 2)


def _random_table(r: int, seed: int) -> int:
    bits = np.random.default_rng(seed).integers(0, 2, 1 << r)
    return sum(int(b) << m for m, b in enumerate(bits))


@pytest.mark.parametrize("table", [AND6, PARITY6], ids=["and6", "parity6"])
def test_and6_and_parity6_stay_logic(table):
    """Both are 2 LUT4 (AND4/XOR4 into a 3-input LUT), the least 6 distinct inputs allow
    (m LUT4 have 4m pins for 6 inputs and m - 1 links); the native LUT6 costs 4."""
    for family in ("ecp5", "ice40"):
        pick = choose(6, table, family)
        assert pick.logic_luts == 2 and not pick.native
    assert choose(6, AND6, "ecp5").native_luts == 4
    assert choose(6, AND6, "ice40").native_luts is None  # no LUT6 on iCE40


def test_five_and_four_input_tables_are_kept_as_cells():
    """A table that depends on all its 5 inputs needs 2 LUT4 as logic (pin count), the ECP5
    LUT5 is 2 LUT4 + PFUMX: the single cell is kept (ties keep it); 4 inputs: one LUT4."""
    for seed in range(5):
        pick = choose(5, _random_table(5, seed), "ecp5")
        assert pick.native_luts == 2 and pick.logic_luts >= 2 and pick.native
        assert not choose(5, _random_table(5, seed), "ice40").native
    assert choose(4, 0x6996, "ice40").native and choose(4, 0x8000, "ecp5").native


def _abc_lut4(table: int) -> int:
    """ABC's LUT4 count of a 6-input table (read_truth; strash; dch; if -K 4 -a)."""
    out = subprocess.run([find_abc(), "-c", f"read_truth {table:016x}; strash; dch; "
                          "if -K 4 -a; print_stats"], capture_output=True, text=True,
                         check=True).stdout
    return int(re.search(r"nd\s*=\s*(\d+)", out).group(1))


@needs_abc
def test_random_six_input_tables_are_kept_native_on_ecp5():
    """Random 6-input tables cost ABC more than the LUT6's 4 LUT4; gatecomp keeps the cell."""
    for seed in range(4):
        table = _random_table(6, seed)
        assert _abc_lut4(table) > 4
        pick = choose(6, table, "ecp5")
        assert pick.native and pick.native_luts == 4 < pick.logic_luts


def _cover(model_path, family):
    frontend, net = load_model(model_path)
    raw = frontend.lower(net)
    logic = native_logic(table_layers(net), family, raw.aig.input_names, DEFAULT_SCRIPT)
    return raw, logic, with_tail(logic, raw.aig.output_names, DEFAULT_SCRIPT)


@pytest.mark.parametrize("family", ["ecp5", "ice40"])
def test_native_cover_equals_torch_dwn(family, tmp_path):
    torch = pytest.importorskip("torch")
    from tests.unit.test_frontends_dwn import build, dwn_classes, inputs

    model = build("learnable_n6_padded")
    torch.save(model, tmp_path / "m.pt")
    raw, logic, cover = _cover(tmp_path / "m.pt", family)
    x = inputs(np.random.default_rng(3), 500, 24)
    counts, pred = dwn_classes(model, x)
    words = raw.output_words(cover.simulate((x > 0).numpy()))
    np.testing.assert_array_equal(np.stack([words[f"count{c}"] for c in range(4)], 1), counts)
    np.testing.assert_array_equal(words["pred"], pred)
    wide = int((cover.sizes > 4).sum())
    assert (wide > 0) == (family == "ecp5")  # some 6-input tables kept whole on ECP5 only
    assert lut4_cells(cover) == cover.num_luts + 3 * int((cover.sizes == 6).sum()) + int(
        (cover.sizes == 5).sum())


def test_native_cover_equals_torchlogix_lut_rank6(tmp_path):
    torch = pytest.importorskip("torch")
    from gatecomp.frontends.dlgn.torchlogix_import import import_torchlogix

    if import_torchlogix() is None:
        pytest.skip("torchlogix 0.2.2 is not installed")
    from tests.torchlogix_models import build, circuit_bits, torchlogix_classes

    model, features = build("dense_warp6")
    torch.save(model, tmp_path / "m.pt")
    raw, logic, cover = _cover(tmp_path / "m.pt", "ecp5")
    x = features(np.random.default_rng(4), 500)
    counts, pred = torchlogix_classes(model, x)
    words = raw.output_words(cover.simulate(circuit_bits(model, x)))
    np.testing.assert_array_equal(np.stack([words[f"count{c}"] for c in range(3)], 1), counts)
    np.testing.assert_array_equal(words["pred"], pred)
    assert logic.figures["native"] > 0 and logic.figures["neurons"] == 36


def test_compile_writes_wide_cells_and_refuses_what_it_cannot(tmp_path):
    torch = pytest.importorskip("torch")
    from tests.unit.test_frontends_dwn import build

    torch.save(build("learnable_n6_padded"), tmp_path / "m.pt")
    opts = CompileOptions(device="ecp5-25k", lut_cells=True, lut_native=True,
                          luts_per_stage=1000, name="n")
    res = compile_model(tmp_path / "m.pt", tmp_path / "b", opts)
    cells = (tmp_path / "b" / "board" / "n_luts.v").read_text()
    native = res.report["lut_native"]
    assert native["native"] > 0
    lut6 = len(re.findall(r"^  LUT4 #\(.*\) lut_\d+_3 \(", cells, re.M))
    lut5 = len(re.findall(r"^  PFUMX mux_\d+ \(", cells, re.M))
    assert lut6 > 0 and len(re.findall(r"^  L6MUX21 ", cells, re.M)) == lut6
    assert len(re.findall(r"^  PFUMX ", cells, re.M)) == 2 * lut6 + lut5
    with pytest.raises(GatecompError, match="--lut-cells too"):
        compile_model(tmp_path / "m.pt", tmp_path / "c",
                      CompileOptions(device="ecp5-25k", lut_native=True))


def test_lut_native_refuses_a_gate_network(tmp_path):
    from gatecomp.frontends.dlgn.formats import save_dlgn
    from tests.unit.dlgn_nets import random_dlgn

    save_dlgn(tmp_path / "g.pt", random_dlgn([16, 16], 8, 2))
    with pytest.raises(GatecompError, match="--lut-native applies to LUT networks"):
        compile_model(tmp_path / "g.pt", tmp_path / "b",
                      CompileOptions(device="ecp5-25k", lut_cells=True, lut_native=True,
                                     luts_per_stage=3))
