"""The host side of the UART shell's byte protocol: pack vectors, frame bytes, talk to a board.

The protocol (``NAME_uart``, :mod:`gatecomp.fpga.shell`): 8N1; ``ceil(W / 8)`` bytes per
``W``-bit input vector, least significant byte first (bit ``i`` of ``in_data`` is bit ``i % 8``
of byte ``i // 8``; bits past ``W`` are ignored); one answer byte per vector, the low byte of
the class index; a pause longer than the frame timeout (50 ms on boards) inside a vector
restarts it.

This module is self-contained on purpose (standard library only; pyserial is imported when a
:class:`BoardLink` opens): the cocotb protocol test (``gatecomp/sim/uart_test.py``) imports a
copy of it placed beside itself, and a lab PC needs nothing else to drive a board::

    from uart_host import BoardLink, pack_word
    with BoardLink("/dev/ttyUSB1", 115200) as board:
        board.resync()
        print(board.classify(pack_word(word, width=192)))
"""

from __future__ import annotations

import time
from collections.abc import Iterable

#: the shell's frame timeout on boards; :meth:`BoardLink.resync` waits a little longer
FRAME_TIMEOUT_S = 0.05
RESYNC_PAUSE_S = 0.06


def frame_bytes(width: int) -> int:
    """Bytes per ``width``-bit input vector."""
    return (int(width) + 7) // 8


def pack_word(word: int, width: int, pad: bool = False) -> bytes:
    """The bytes the host sends for the ``in_data`` word ``word`` (bit 0 = ``in_data[0]``).

    ``pad`` sets the bits past ``width`` in the last byte (the shell must ignore them).
    """
    if word < 0 or word >> width:
        raise ValueError(f"word does not fit {width} bits")
    n = frame_bytes(width)
    if pad:
        word |= ((1 << (8 * n)) - 1) ^ ((1 << width) - 1)
    return word.to_bytes(n, "little")


def pack_bits(bits: Iterable[int], pad: bool = False) -> bytes:
    """:func:`pack_word` of a 0/1 sequence, ``bits[i]`` = ``in_data[i]``."""
    bits = [int(b) for b in bits]
    if any(b not in (0, 1) for b in bits):
        raise ValueError("bits must be 0 or 1")
    return pack_word(sum(b << i for i, b in enumerate(bits)), len(bits), pad)


def unpack_word(data: bytes, width: int) -> int:
    """The ``in_data`` word the shell assembles from ``data`` (pad bits dropped)."""
    if len(data) != frame_bytes(width):
        raise ValueError(f"{len(data)} bytes, expected {frame_bytes(width)}")
    return int.from_bytes(data, "little") & ((1 << width) - 1)


def answer_byte(value: int) -> int:
    """The byte the shell answers for the result-port value ``value`` (its low 8 bits)."""
    return int(value) & 0xFF


def uart_levels(byte: int) -> list[int]:
    """The ten line levels of one 8N1 frame: start (0), data LSB first, stop (1)."""
    if not 0 <= byte < 256:
        raise ValueError(f"{byte} is not a byte")
    return [0, *((byte >> i) & 1 for i in range(8)), 1]


def decode_levels(levels: Iterable[int]) -> int | None:
    """The byte of ten line levels sampled mid-bit, or None on a framing error."""
    levels = list(levels)
    if len(levels) != 10 or levels[0] != 0 or levels[9] != 1:
        return None
    data = levels[1:9]
    if any(b not in (0, 1) for b in data):
        return None
    return sum(b << i for i, b in enumerate(data))


class BoardLink:
    """A serial link to a board running the UART shell (needs pyserial).

    Parameters
    ----------
    port
        Serial device, e.g. ``/dev/ttyUSB1`` (the iCEBreaker's FTDI has two; the UART is the
        second) or ``COM5``.
    baud
        The board's baud rate (``board/target.json``: ``uart.baud``).
    timeout_s
        How long :meth:`classify` waits for the answer byte.
    """

    def __init__(self, port: str, baud: int, timeout_s: float = 1.0):
        try:
            import serial
        except ImportError:
            raise RuntimeError("talking to a board needs pyserial: `pip install pyserial` "
                               "(gatecomp does not depend on it)") from None
        self.serial = serial.Serial(port, baudrate=baud, bytesize=8, parity="N", stopbits=1,
                                    timeout=timeout_s)

    def resync(self) -> None:
        """Wait past the frame timeout and drop stale input, so the next byte is byte 0."""
        time.sleep(RESYNC_PAUSE_S)
        self.serial.reset_input_buffer()

    def classify(self, data: bytes) -> int:
        """Send one vector's bytes, return the answer byte; TimeoutError if none comes."""
        self.serial.write(data)
        self.serial.flush()
        answer = self.serial.read(1)
        if len(answer) != 1:
            raise TimeoutError("no answer byte from the board")
        return answer[0]

    def close(self) -> None:
        self.serial.close()

    def __enter__(self) -> BoardLink:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
