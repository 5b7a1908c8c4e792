"""Top levels around a compiled core, written in Amaranth: the UART shell and the test harness.

Both instantiate the core module ``NAME`` (``rtl/NAME.v``, the stream port contract) as a black
box, so the core stays one module in the synthesized netlist (Yosys runs ``-noflatten``) and its
resource figures can be read apart from the shell's.

UART shell ``NAME_uart`` (board builds; ports ``clk``, ``uart_rx``, ``uart_tx``, ``led``),
8N1 at the board's baud rate. The byte protocol:

* the host sends ``ceil(W / 8)`` bytes per input vector (``W`` = ``in_data`` width), least
  significant byte first: bit ``i`` of ``in_data`` is bit ``i % 8`` of byte ``i // 8`` (bits
  past ``W`` in the last byte are ignored);
* after the last byte the vector enters the core; when its result leaves the pipeline the
  shell sends one byte: the class index (``out_pred``; the low 8 bits of the first output
  port when the net has no ``pred``), and shows its low bits on the LEDs;
* a pause longer than ~50 ms inside a vector restarts it (the next byte is byte 0 again), so
  a host can always resynchronise by waiting.

The constants are :class:`UartTiming`: ``divisor`` clock cycles per bit (the board clock over
the baud rate, rounded; at most 2 % off) and ``timeout_cycles`` (50 ms of board clock, at
least four byte times). Boards get the defaults; the simulation of the protocol
(:mod:`gatecomp.fpga.uart_verify`) may elaborate the same shell with a faster baud rate and a
shorter timeout, which changes those two constants and nothing else. LEDs marked ``invert``
in the board file (active low) are driven inverted, so a lit LED is a 1 bit.

Test harness ``NAME_ooc`` (device-only builds; ports ``clk``, ``rst``, ``sin``, ``in_valid``,
``out_ready``, ``load``, ``sout``): ``in_data`` is shifted in from ``sin``, every output port
and ``out_valid`` are loaded into a shift register (``load``) and shifted out on ``sout``, so no
logic is optimised away and the design needs seven pins on any device. It costs ``W`` + output
bits flip-flops outside the core.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from amaranth.back import verilog as amaranth_verilog
from amaranth.hdl import (
    Cat,
    ClockDomain,
    ClockSignal,
    Const,
    Elaboratable,
    Instance,
    Module,
    ResetSignal,
    Signal,
)

from ..errors import GatecompError
from ..sidecar import Sidecar
from .uart_host import frame_bytes

#: a pause this long (seconds) inside a vector restarts the frame
FRAME_TIMEOUT_S = 0.05
#: the shortest frame timeout, in bit times (four bytes), so byte gaps never reach it
MIN_TIMEOUT_BITS = 40
#: the largest relative error of the rounded baud divisor (8N1 receivers tolerate ~4 %)
MAX_BAUD_ERROR = 0.02


@dataclass(frozen=True)
class UartTiming:
    """The UART shell's constants.

    ``divisor`` clock cycles per bit; ``timeout_cycles`` idle clock cycles inside a vector
    after which the next byte is byte 0 again.
    """

    clock_hz: float
    baud: int
    divisor: int
    timeout_cycles: int

    @property
    def baud_error(self) -> float:
        """Relative error of the shell's bit rate (``clock_hz / divisor``) vs ``baud``."""
        return self.clock_hz / self.divisor / self.baud - 1.0

    @property
    def timeout_s(self) -> float:
        return self.timeout_cycles / self.clock_hz

    def as_dict(self) -> dict:
        return asdict(self)


def uart_timing(clock_hz: float, baud: int, timeout_cycles: int | None = None) -> UartTiming:
    """The shell's constants for a ``clock_hz`` clock at ``baud``.

    Parameters
    ----------
    clock_hz
        The board clock.
    baud
        The line rate, 8N1.
    timeout_cycles
        Idle cycles inside a vector that restart it; default 50 ms of clock (and at least
        :data:`MIN_TIMEOUT_BITS` bit times).

    Raises
    ------
    GatecompError
        If the clock cannot make ``baud`` within :data:`MAX_BAUD_ERROR` (with at least four
        cycles a bit), or ``timeout_cycles`` is shorter than four byte times.
    """
    if baud <= 0 or clock_hz <= 0:
        raise GatecompError(f"bad UART clock {clock_hz} Hz / baud rate {baud}")
    divisor = max(4, round(clock_hz / baud))
    timing = UartTiming(float(clock_hz), int(baud), divisor, 0)
    if abs(timing.baud_error) > MAX_BAUD_ERROR:
        raise GatecompError(f"a {clock_hz / 1e6:g} MHz clock cannot make {baud} baud: "
                            f"{divisor} cycles a bit is {timing.baud_error:+.1%} off (at most "
                            f"{MAX_BAUD_ERROR:.0%}, and at least 4 cycles a bit)")
    floor = divisor * MIN_TIMEOUT_BITS
    if timeout_cycles is None:
        timeout_cycles = max(floor, round(clock_hz * FRAME_TIMEOUT_S))
    elif timeout_cycles < floor:
        raise GatecompError(f"UART frame timeout of {timeout_cycles} cycles is shorter than "
                            f"{MIN_TIMEOUT_BITS} bit times ({floor} cycles)")
    return UartTiming(float(clock_hz), int(baud), divisor, int(timeout_cycles))


def _outputs(sidecar: Sidecar) -> list[tuple[str, int]]:
    return [(o.port, o.width) for o in sidecar.outputs]


def result_port(sidecar: Sidecar) -> tuple[str, int]:
    """(port, width) of the output whose low byte the shell sends: ``out_pred``, else the
    first output port."""
    outs = _outputs(sidecar)
    for port, width in outs:
        if port == "out_pred":
            return port, width
    return outs[0]


class UartShell(Elaboratable):
    """The UART shell (see the module docstring for the protocol)."""

    def __init__(self, sidecar: Sidecar, timing: UartTiming, leds: int, led_invert: int = 0):
        self.sidecar = sidecar
        self.timing = timing
        self.divisor = timing.divisor
        self.timeout = timing.timeout_cycles
        self.clk = Signal(name="clk")
        self.uart_rx = Signal(init=1)
        self.uart_tx = Signal(init=1)
        self.led_invert = led_invert & ((1 << max(leds, 1)) - 1)
        self.led = Signal(max(leds, 1), init=self.led_invert)  # all LEDs dark at power-on
        self.nleds = leds

    def elaborate(self, platform) -> Module:
        m = Module()
        m.domains.sync = domain = ClockDomain("sync", reset_less=True)
        m.d.comb += domain.clk.eq(self.clk)
        sc = self.sidecar
        width = sc.in_data.width

        # power-on reset for the core (FPGA flip-flops start from their init values)
        por = Signal(4, init=15)
        with m.If(por != 0):
            m.d.sync += por.eq(por - 1)

        rx_byte, rx_strobe = self._receiver(m)
        frame, pending, in_ready = self._frame(m, rx_byte, rx_strobe)
        port, tx_busy, out_valid, result = self._transmitter(m, por)
        m.submodules.core = Instance(
            sc.module,
            i_clk=ClockSignal("sync"), i_rst=por != 0,
            i_in_valid=pending & (por == 0), i_in_data=frame[:width],
            i_out_ready=~tx_busy & (por == 0),
            o_in_ready=in_ready, o_out_valid=out_valid, **{f"o_{port}": result})
        return m

    def _receiver(self, m: Module) -> tuple[Signal, Signal]:
        """2-FF synchroniser, start-bit check at half a bit, 8 data bits; (byte, strobe)."""
        div = self.divisor
        rx_meta = Signal(init=1)
        rx = Signal(init=1)
        m.d.sync += [rx_meta.eq(self.uart_rx), rx.eq(rx_meta)]
        rx_cnt = Signal(range(div * 2))
        rx_bit = Signal(range(10))
        rx_shift = Signal(8)
        rx_byte = Signal(8)
        rx_strobe = Signal()
        m.d.sync += rx_strobe.eq(0)
        with m.FSM(name="rx"):
            with m.State("IDLE"), m.If(~rx):
                m.d.sync += rx_cnt.eq(div // 2)
                m.next = "START"
            with m.State("START"):
                with m.If(rx_cnt == 0):
                    with m.If(~rx):
                        m.d.sync += [rx_cnt.eq(div - 1), rx_bit.eq(0)]
                        m.next = "DATA"
                    with m.Else():
                        m.next = "IDLE"
                with m.Else():
                    m.d.sync += rx_cnt.eq(rx_cnt - 1)
            with m.State("DATA"):
                with m.If(rx_cnt == 0):
                    m.d.sync += [rx_shift.eq(Cat(rx_shift[1:], rx)), rx_cnt.eq(div - 1),
                                 rx_bit.eq(rx_bit + 1)]
                    with m.If(rx_bit == 7):
                        m.next = "STOP"
                with m.Else():
                    m.d.sync += rx_cnt.eq(rx_cnt - 1)
            with m.State("STOP"):
                with m.If(rx_cnt == 0):
                    with m.If(rx):  # a valid stop bit; otherwise a framing error: drop it
                        m.d.sync += [rx_byte.eq(rx_shift), rx_strobe.eq(1)]
                    m.next = "IDLE"
                with m.Else():
                    m.d.sync += rx_cnt.eq(rx_cnt - 1)
        return rx_byte, rx_strobe

    def _frame(self, m: Module, rx_byte: Signal, rx_strobe: Signal
               ) -> tuple[Signal, Signal, Signal]:
        """Frame assembly: bytes shift in from the top, so byte 0 ends at the LSB; a frame
        left incomplete for ``timeout`` cycles is dropped. (frame, pending, core in_ready)."""
        nbytes = frame_bytes(self.sidecar.in_data.width)
        frame = Signal(nbytes * 8)
        count = Signal(range(nbytes + 1))
        idle = Signal(range(self.timeout + 1))
        pending = Signal()
        in_ready = Signal()
        with m.If(rx_strobe):
            m.d.sync += [frame.eq(Cat(frame[8:], rx_byte)) if nbytes > 1
                         else frame.eq(rx_byte), idle.eq(0)]
            with m.If(count == nbytes - 1):
                m.d.sync += [count.eq(0), pending.eq(1)]
            with m.Else():
                m.d.sync += count.eq(count + 1)
        with m.Elif(count != 0):
            with m.If(idle == self.timeout):
                m.d.sync += [count.eq(0), idle.eq(0)]
            with m.Else():
                m.d.sync += idle.eq(idle + 1)
        with m.If(pending & in_ready & ~rx_strobe):
            m.d.sync += pending.eq(0)
        return frame, pending, in_ready

    def _transmitter(self, m: Module, por: Signal) -> tuple[str, Signal, Signal, Signal]:
        """10 bits (start, 8 data LSB first, stop) of the result, and the LEDs;
        (result port, tx_busy, core out_valid, core result)."""
        div = self.divisor
        tx_busy = Signal()
        tx_shift = Signal(10, init=0x3FF)
        tx_cnt = Signal(range(div))
        tx_left = Signal(range(11))
        out_valid = Signal()
        port, pwidth = result_port(self.sidecar)
        result = Signal(pwidth)
        byte = Signal(8)
        m.d.comb += byte.eq(result[:8] if pwidth >= 8 else result)
        m.d.comb += self.uart_tx.eq(tx_shift[0])
        with m.If(tx_busy):
            with m.If(tx_cnt == 0):
                m.d.sync += [tx_shift.eq(Cat(tx_shift[1:], Const(1, 1))), tx_cnt.eq(div - 1),
                             tx_left.eq(tx_left - 1)]
                with m.If(tx_left == 1):
                    m.d.sync += tx_busy.eq(0)
            with m.Else():
                m.d.sync += tx_cnt.eq(tx_cnt - 1)
        with m.Elif(out_valid & (por == 0)):
            m.d.sync += [tx_shift.eq(Cat(Const(0, 1), byte, Const(1, 1))), tx_busy.eq(1),
                         tx_cnt.eq(div - 1), tx_left.eq(10)]
            shown = result[:len(self.led)] if pwidth >= len(self.led) else result
            m.d.sync += self.led.eq(shown ^ self.led_invert)
        return port, tx_busy, out_valid, result


class OocHarness(Elaboratable):
    """The seven-pin test harness for device-only builds (see the module docstring)."""

    def __init__(self, sidecar: Sidecar):
        self.sidecar = sidecar
        self.sin = Signal()
        self.in_valid = Signal()
        self.out_ready = Signal()
        self.load = Signal()
        self.sout = Signal()

    def elaborate(self, platform) -> Module:
        m = Module()
        sc = self.sidecar
        width = sc.in_data.width
        shift_in = Signal(width)
        m.d.sync += shift_in.eq(Cat(self.sin, shift_in[:-1]) if width > 1 else self.sin)
        outs = {port: Signal(w, name=port) for port, w in _outputs(sc)}
        out_valid = Signal()
        in_ready = Signal()
        total = Cat(out_valid, in_ready, *outs.values())
        shift_out = Signal(len(total))
        with m.If(self.load):
            m.d.sync += shift_out.eq(total)
        with m.Else():
            m.d.sync += shift_out.eq(shift_out >> 1)
        m.d.comb += self.sout.eq(shift_out[0])
        m.submodules.core = Instance(
            sc.module, i_clk=ClockSignal("sync"), i_rst=ResetSignal("sync"),
            i_in_valid=self.in_valid, i_in_data=shift_in, i_out_ready=self.out_ready,
            o_in_ready=in_ready, o_out_valid=out_valid,
            **{f"o_{port}": sig for port, sig in outs.items()})
        return m


def uart_shell_verilog(sidecar: Sidecar, timing: UartTiming, leds: int,
                       led_invert: int = 0) -> str:
    """Verilog of ``NAME_uart`` (the core itself is not included).

    ``timing`` comes from :func:`uart_timing`; ``led_invert`` has bit ``i`` set when LED ``i``
    is active low.
    """
    shell = UartShell(sidecar, timing, leds, led_invert)
    ports = [shell.clk, shell.uart_rx, shell.uart_tx, shell.led]
    return amaranth_verilog.convert(shell, name=f"{sidecar.module}_uart", ports=ports,
                                    emit_src=False)


def ooc_harness_verilog(sidecar: Sidecar) -> str:
    """Verilog of ``NAME_ooc`` (the core itself is not included)."""
    h = OocHarness(sidecar)
    ports = [h.sin, h.in_valid, h.out_ready, h.load, h.sout]
    return amaranth_verilog.convert(h, name=f"{sidecar.module}_ooc", ports=ports,
                                    emit_src=False)
