"""The UART protocol's host side (byte packing, 8N1 levels) and the shell's timing constants."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from gatecomp.errors import GatecompError
from gatecomp.fpga import uart_host
from gatecomp.fpga.shell import uart_timing
from gatecomp.fpga.uart_host import (
    decode_levels,
    frame_bytes,
    pack_bits,
    pack_word,
    uart_levels,
    unpack_word,
)


def test_pack_is_lsb_byte_first_with_ignored_pad():
    # bit i of in_data is bit i % 8 of byte i // 8
    assert pack_bits([1, 0, 0, 0, 0, 0, 0, 0, 0, 1]) == bytes([0x01, 0x02])
    assert pack_word(0x1234, 16) == bytes([0x34, 0x12])
    assert pack_word(0b101, 3, pad=True) == bytes([0b11111101])
    assert frame_bytes(192) == 24 and frame_bytes(21) == 3 and frame_bytes(8) == 1
    rng = random.Random(3)
    for width in (1, 7, 8, 9, 21, 192):
        word = rng.getrandbits(width)
        for pad in (False, True):
            data = pack_word(word, width, pad)
            assert len(data) == frame_bytes(width) and unpack_word(data, width) == word
    with pytest.raises(ValueError):
        pack_word(1 << 8, 8)
    with pytest.raises(ValueError):
        pack_bits([0, 2])


def test_8n1_levels_round_trip():
    assert uart_levels(0x01) == [0, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    assert uart_levels(0x80) == [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
    assert all(decode_levels(uart_levels(b)) == b for b in range(256))
    assert decode_levels([1] * 10) is None  # no start bit
    assert decode_levels([0] * 10) is None  # no stop bit (a break)
    assert decode_levels([0, -1, 0, 0, 0, 0, 0, 0, 0, 1]) is None  # X on the line


def test_shell_timing_constants():
    t = uart_timing(12e6, 115200)  # iCEBreaker
    assert (t.divisor, t.timeout_cycles) == (104, 600_000)
    assert abs(t.baud_error) < 0.002 and t.timeout_s == pytest.approx(0.05)
    assert uart_timing(12e6, 1_500_000, 2000).divisor == 8
    assert uart_timing(25e6, 115200).divisor == 217  # ULX3S
    with pytest.raises(GatecompError, match="cannot make 2500000 baud"):
        uart_timing(12e6, 2_500_000)  # 4.8 cycles a bit
    with pytest.raises(GatecompError, match="shorter than 40 bit times"):
        uart_timing(12e6, 1_500_000, 319)


def test_board_link_without_pyserial_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "serial", None)  # import serial -> ImportError
    with pytest.raises(RuntimeError, match="pip install pyserial"):
        uart_host.BoardLink("/dev/ttyUSB1", 115200)


def test_host_module_is_self_contained():
    """The cocotb test imports a copy of uart_host.py: it must not import gatecomp."""
    text = Path(uart_host.__file__).read_text()
    assert "gatecomp" not in "".join(ln for ln in text.splitlines(True)
                                     if ln.startswith(("import", "from")))
