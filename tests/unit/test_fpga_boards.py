"""Board files and device targets (gatecomp.fpga.boards), constraints and Makefile text."""

from __future__ import annotations

import pytest

from gatecomp.errors import GatecompError
from gatecomp.fpga.boards import known_boards, load_board, parse_device, resolve_target
from gatecomp.fpga.project import flow_steps, lpf, makefile, pcf


def test_known_boards_include_the_required_ones():
    names = known_boards()
    for name in ("icebreaker", "ulx3s", "ulx3s-85f", "ulx3s-45f", "ulx3s-25f", "orangecrab"):
        assert name in names


def test_icebreaker_pins_come_from_amaranth_boards():
    pytest.importorskip("amaranth_boards")
    t = load_board("icebreaker")
    assert (t.family, t.device, t.package) == ("ice40", "up5k", "sg48")
    # iCEBreaker schematic: 12 MHz clock on pin 35, FTDI UART RX 6 / TX 9, LEDs on 11 and 37
    assert (t.clock.site, t.clock_hz) == ("35", 12e6)
    assert (t.uart_rx.site, t.uart_tx.site) == ("6", "9")
    assert [p.site for p in t.leds] == ["11", "37"] and all(p.invert for p in t.leds)
    assert t.nextpnr_args() == ["--up5k", "--package", "sg48"]


def test_ulx3s_variants_and_orangecrab():
    pytest.importorskip("amaranth_boards")
    assert load_board("ulx3s").device == "85k"
    v = load_board("ulx3s-25f")
    assert (v.name, v.device, v.package, v.speed) == ("ulx3s-25f", "25k", "CABGA381", 6)
    assert (v.clock.site, v.clock_hz, v.uart_rx.site, v.uart_tx.site) == ("G2", 25e6, "M1", "L4")
    oc = load_board("orangecrab")
    assert (oc.device, oc.package, oc.speed, oc.clock_hz) == ("25k", "CSFBGA285", 8, 48e6)
    assert (oc.uart_rx.site, oc.uart_tx.site) == ("N17", "M18")


def test_board_file_with_explicit_pins(tmp_path):
    f = tmp_path / "myboard.toml"
    f.write_text('family = "ice40"\ndevice = "hx8k"\npackage = "ct256"\n'
                 '[clock]\npin = "J3"\nfrequency_hz = 12e6\n'
                 '[uart]\nrx = "B10"\ntx = "B12"\nbaud = 9600\n'
                 '[leds]\npins = ["B5", "B4"]\n')
    t = load_board(f)
    assert (t.name, t.device, t.baud, t.clock.site) == ("myboard", "hx8k", 9600, "J3")
    text = pcf(t)
    assert "set_io -nowarn clk J3" in text and "set_io -nowarn led[1] B4" in text


def test_unknown_board_lists_the_known_ones():
    with pytest.raises(GatecompError) as err:
        load_board("nosuchboard")
    msg = str(err.value)
    assert "unknown board 'nosuchboard'" in msg
    assert "icebreaker" in msg and "ulx3s-45f" in msg and "orangecrab" in msg


def test_unknown_variant_and_bad_devices():
    with pytest.raises(GatecompError, match="no variant"):
        load_board("ulx3s-99f")
    for bad in ("ice40-up9k-sg48", "ecp5-33k", "xc7a35t"):
        with pytest.raises(GatecompError, match="unknown device"):
            parse_device(bad)
    with pytest.raises(GatecompError, match="not both"):
        resolve_target("icebreaker", "ecp5-25k")


def test_device_targets():
    t = parse_device("ice40-up5k-sg48")
    assert (t.family, t.device, t.package, t.board) == ("ice40", "up5k", "sg48", False)
    e = parse_device("ecp5-85k-cabga381-8")
    assert e.nextpnr_args() == ["--85k", "--package", "CABGA381", "--speed", "8"]
    assert parse_device("ecp5-25k").nextpnr_args() == ["--25k", "--package", "CABGA381",
                                                      "--speed", "6"]


def test_lpf_and_makefile_use_the_flow_commands():
    pytest.importorskip("amaranth_boards")
    t = load_board("ulx3s-25f")
    text = lpf(t)
    assert 'LOCATE COMP "clk" SITE "G2";' in text
    assert 'IOBUF PORT "uart_tx" IO_TYPE=LVCMOS33;' in text
    assert 'FREQUENCY PORT "clk" 25 MHZ;' in text
    steps = flow_steps("net", t, 25.0)
    mk = makefile("net", t, steps, 25.0)
    for step in steps:
        # every argument gatecomp runs is in the Makefile recipe (the clock as $(FREQ))
        recipe = [ln for ln in mk.splitlines() if ln.startswith("\t$(")]
        args = [a if a != "25" else "$(FREQ)" for a in step.args]
        assert any(ln.split(" ", 1)[1] == " ".join(args) for ln in recipe), (step, recipe)
    assert "--lpf net.lpf" in mk and "ecppack" in mk and "FREQ ?= 25" in mk
