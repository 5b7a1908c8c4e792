"""bench/fpga.py measures LUT area as placed: on ECP5 the cells nextpnr adds count too."""

from __future__ import annotations

from tests.bench_modules import load_bench


def _report(comb: int | None) -> dict:
    res = {"core": {"lut_area": 2665}, "shell": {"lut_area": 76}, "total": {"lut_area": 2741}}
    util = {"TRELLIS_FF": {"used": 2735}}
    if comb is not None:
        util["TRELLIS_COMB"] = {"used": comb}
    return {"resources": res, "utilization": util}


def test_placed_area_counts_what_nextpnr_adds():
    fpga = load_bench("fpga")
    # 64 chains with a feed-in and a feed-out CCU2C each (2 slots apiece), VCC and GND drivers
    assert fpga.placed_area(_report(2741 + 256 + 2)) == (2665 + 258, 258)
    assert fpga.placed_area(_report(None)) == (2665, 0)  # iCE40: the Yosys figure
