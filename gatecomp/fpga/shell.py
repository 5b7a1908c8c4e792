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

Test harness ``NAME_ooc`` (device-only builds; ports ``clk``, ``rst``, ``sin``, ``in_valid``,
``out_ready``, ``load``, ``sout``): ``in_data`` is shifted in from ``sin``, every output port
and ``out_valid`` are loaded into a shift register (``load``) and shifted out on ``sout``, so no
logic is optimised away and the design needs seven pins on any device. It costs ``W`` + output
bits flip-flops outside the core.
"""

from __future__ import annotations

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

#: a pause this long (seconds) inside a vector restarts the frame
FRAME_TIMEOUT_S = 0.05


def _outputs(sidecar: dict) -> list[tuple[str, int]]:
    return [(o["port"], int(o["width"])) for o in sidecar["outputs"]]


def _result_port(sidecar: dict) -> tuple[str, int]:
    outs = _outputs(sidecar)
    for port, width in outs:
        if port == "out_pred":
            return port, width
    return outs[0]


def frame_bytes(sidecar: dict) -> int:
    """Bytes per input vector in the UART protocol."""
    return (int(sidecar["in_data"]["width"]) + 7) // 8


class UartShell(Elaboratable):
    """The UART shell (see the module docstring for the protocol)."""

    def __init__(self, sidecar: dict, clock_hz: float, baud: int, leds: int):
        self.sidecar = sidecar
        self.divisor = max(4, round(clock_hz / baud))
        self.timeout = max(self.divisor * 40, round(clock_hz * FRAME_TIMEOUT_S))
        self.clk = Signal(name="clk")
        self.uart_rx = Signal(init=1)
        self.uart_tx = Signal(init=1)
        self.led = Signal(max(leds, 1))
        self.nleds = leds

    def elaborate(self, platform) -> Module:
        m = Module()
        m.domains.sync = domain = ClockDomain("sync", reset_less=True)
        m.d.comb += domain.clk.eq(self.clk)
        sc = self.sidecar
        width = int(sc["in_data"]["width"])
        nbytes = frame_bytes(sc)
        div = self.divisor

        # power-on reset for the core (FPGA flip-flops start from their init values)
        por = Signal(4, init=15)
        with m.If(por != 0):
            m.d.sync += por.eq(por - 1)

        # --- receiver: 2-FF synchroniser, start-bit check at half a bit, 8 data bits
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

        # --- frame assembly: bytes shift in from the top, so byte 0 ends at the LSB
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

        # --- transmitter: 10 bits (start, 8 data LSB first, stop)
        tx_busy = Signal()
        tx_shift = Signal(10, init=0x3FF)
        tx_cnt = Signal(range(div))
        tx_left = Signal(range(11))
        out_valid = Signal()
        port, pwidth = _result_port(sc)
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
            m.d.sync += self.led.eq(result[:len(self.led)] if pwidth >= len(self.led)
                                    else result)

        m.submodules.core = Instance(
            sc["module"],
            i_clk=ClockSignal("sync"), i_rst=por != 0,
            i_in_valid=pending & (por == 0), i_in_data=frame[:width],
            i_out_ready=~tx_busy & (por == 0),
            o_in_ready=in_ready, o_out_valid=out_valid, **{f"o_{port}": result})
        return m


class OocHarness(Elaboratable):
    """The seven-pin test harness for device-only builds (see the module docstring)."""

    def __init__(self, sidecar: dict):
        self.sidecar = sidecar
        self.sin = Signal()
        self.in_valid = Signal()
        self.out_ready = Signal()
        self.load = Signal()
        self.sout = Signal()

    def elaborate(self, platform) -> Module:
        m = Module()
        sc = self.sidecar
        width = int(sc["in_data"]["width"])
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
            sc["module"], i_clk=ClockSignal("sync"), i_rst=ResetSignal("sync"),
            i_in_valid=self.in_valid, i_in_data=shift_in, i_out_ready=self.out_ready,
            o_in_ready=in_ready, o_out_valid=out_valid,
            **{f"o_{port}": sig for port, sig in outs.items()})
        return m


def uart_shell_verilog(sidecar: dict, clock_hz: float, baud: int, leds: int) -> str:
    """Verilog of ``NAME_uart`` (the core itself is not included)."""
    shell = UartShell(sidecar, clock_hz, baud, leds)
    ports = [shell.clk, shell.uart_rx, shell.uart_tx, shell.led]
    return amaranth_verilog.convert(shell, name=f"{sidecar['module']}_uart", ports=ports,
                                    emit_src=False)


def ooc_harness_verilog(sidecar: dict) -> str:
    """Verilog of ``NAME_ooc`` (the core itself is not included)."""
    h = OocHarness(sidecar)
    ports = [h.sin, h.in_valid, h.out_ready, h.load, h.sout]
    return amaranth_verilog.convert(h, name=f"{sidecar['module']}_ooc", ports=ports,
                                    emit_src=False)
