"""The board UART shell at protocol level: real 8N1 frames into ``uart_rx``, answer bytes decoded
from ``uart_tx``, compared with the PyTorch model's class for each vector, plus the frame-timeout
rules. The shell is simulated once exactly as ``gatecomp build`` synthesises it (115200 baud on
the iCEBreaker's 12 MHz clock, 50 ms timeout) and otherwise rebuilt at 1.5 Mbaud with a short
timeout; broken shells (byte order swapped, timeout never or too soon) must be caught."""

from __future__ import annotations

import re
import shutil
import sys
import types

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from gatecomp.cli import main
from gatecomp.fpga import uart_verify
from gatecomp.fpga.shell import uart_shell_verilog, uart_timing
from gatecomp.fpga.uart_host import unpack_word
from gatecomp.fpga.uart_verify import board_uart, run_board_verify, run_uart_verify
from gatecomp.frontends.dlgn.formats import save_dlgn
from tests.unit.dlgn_nets import random_dlgn

pytestmark = [
    pytest.mark.sim,
    pytest.mark.skipif(not shutil.which("iverilog"), reason="iverilog not installed"),
]

FAST = {"baud": 1_500_000, "timeout_cycles": 2000}  # 8 clock cycles a bit at 12 MHz
IN_DIM = 21  # three bytes a vector, three pad bits in the last one


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def net():
    return random_dlgn([120, 90], in_dim=IN_DIM, k=3, seed=5)


@pytest.fixture(scope="module")
def build(tmp_path_factory, net):
    tmp = tmp_path_factory.mktemp("uart")
    ckpt = save_dlgn(tmp / "u.pt", net)
    out = tmp / "u"
    res = _run("compile", ckpt, "-o", out, "--board", "icebreaker", "--pipeline-stages", "2")
    assert res.exit_code == 0, res.output
    return out


def _torch_pred(net, build, count: int) -> list[int]:
    """The PyTorch model's class for the first ``count`` stored vectors (first-index argmax)."""
    with np.load(build / "sim" / "vectors.npz") as npz:
        packed = npz["in_data"][:count]
    words = [unpack_word(row.tobytes(), IN_DIM) for row in packed]
    bits = torch.tensor([[(w >> i) & 1 for i in range(IN_DIM)] for w in words],
                        dtype=torch.float32)
    with torch.no_grad():
        return torch.argmax(net(bits), dim=1).tolist()


def _copy(build, tmp_path):
    dst = tmp_path / "u"
    shutil.copytree(build, dst, ignore=shutil.ignore_patterns("uart_sim_*", "sim_build_*"))
    return dst


def test_shell_as_built_answers_like_pytorch(build, net):
    res = run_uart_verify(build, 6)
    assert res.timing.divisor == 104 and res.timing.timeout_cycles == 600_000
    assert res.source == build / "board" / "u_uart.v"
    assert res.passed, res.summary()
    assert (res.vectors, res.mismatches, res.missing, res.extra) == (6, 0, 0, 0)
    assert res.framing_errors == res.timing_errors == res.led_errors == 0
    assert res.pad_ignored is True and res.pause_kept is True and res.resync is True
    got = res.extra_info["got"]
    assert got[:6] == _torch_pred(net, build, 6)
    assert len(set(got)) > 1  # the vectors do not all land in one class
    # two timeouts (45 ms kept, 51 ms restarted) plus 9 vectors of 3 bytes at 115200 baud
    assert 0.096 < res.sim_time_s < 0.12
    # an answer leaves within a pipeline latency plus hand-over cycles of the last stop bit
    assert 0 <= res.max_delay_cycles < 30


def test_cli_uart_fast_shell(build):
    res = _run("verify", build, "--uart", "--vectors", "40", *(
        f"--{k.replace('_', '-')}={v}" for k, v in FAST.items()))
    assert res.exit_code == 0, res.output
    assert re.search(r"UART u_uart\.v \(icarus; 1500000 baud = 8 clk/bit at 12 MHz, frame "
                     r"timeout 2000 clk = 0\.167 ms\) vs reference: 40 vectors, 0 mismatches, "
                     r"0 missing, 0 extra answers, 0 framing/timing/LED errors; pad bits "
                     r"ignored, 0\.15 ms pause kept a vector, 0\.17 ms pause resynchronised; "
                     r".*PASS", res.output), res.output


def test_rebuilt_shell_is_the_board_shell_with_other_constants(build):
    record, sidecar, timing, leds, invert = board_uart(build)
    assert (leds, invert) == (2, 3)  # the iCEBreaker's LEDs are active low
    board_file = (build / "board" / "u_uart.v").read_text()
    assert uart_shell_verilog(sidecar, timing, leds, invert) == board_file
    fast = uart_shell_verilog(sidecar, uart_timing(timing.clock_hz, **FAST), leds, invert)
    assert fast != board_file


def test_corrupted_expectation_is_caught(build, net, tmp_path):
    out = _copy(build, tmp_path)
    path = out / "sim" / "vectors.npz"
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    truth = int(arrays["pred"][7])
    arrays["pred"][7] = (truth + 1) % 3
    np.savez_compressed(path, **arrays)
    res = run_uart_verify(out, 12, **FAST)
    assert res.extra_info["got"][:12] == _torch_pred(net, build, 12)
    assert not res.passed
    assert res.mismatches == 1 and res.missing == 0 and res.extra == 0
    assert res.first_mismatches == [{"phase": "stream", "vector": 7,
                                     "expected": (truth + 1) % 3, "got": truth}]
    with pytest.raises(Exception, match=r"1 mismatches.*vector 7"):
        res.raise_on_failure()


def _mutated_shell(build, tmp_path, timeout_cycles: int, swap_bytes: bool = False):
    _, sidecar, timing, leds, invert = board_uart(build)
    text = uart_shell_verilog(sidecar, uart_timing(timing.clock_hz, FAST["baud"],
                                                   timeout_cycles), leds, invert)
    if swap_bytes:  # bytes shift in at the bottom: byte 0 ends up most significant
        text, n = re.subn(r"\{ rx_byte, frame\[23:8\] \}", "{ frame[15:0], rx_byte }", text)
        assert n == 1
    path = tmp_path / "u_uart.v"
    path.write_text(text)
    return path


def test_swapped_byte_order_is_caught(build, tmp_path):
    shell = _mutated_shell(build, tmp_path, FAST["timeout_cycles"], swap_bytes=True)
    res = run_uart_verify(build, 40, shell=shell, **FAST)
    assert not res.passed
    assert res.mismatches >= 5 and res.missing == 0, res.summary()


@pytest.mark.parametrize(("built_with", "kept", "resync"), [(10**6, True, False),
                                                             (320, False, True)])
def test_wrong_frame_timeout_is_caught(build, tmp_path, built_with, kept, resync):
    """A shell whose timeout never fires within the pause (10**6 cycles) fails the resync
    check; one that fires after 40 bit times drops a vector paused for 0.9 x 2000 cycles."""
    shell = _mutated_shell(build, tmp_path, built_with)
    res = run_uart_verify(build, 4, shell=shell, **FAST)
    assert not res.passed
    assert res.pause_kept is kept and res.resync is resync
    assert all(m["phase"] != "stream" for m in res.first_mismatches), res.summary()


def test_board_run_with_a_fake_serial_port(build, net, monkeypatch):
    """``verify --uart --port``: the host side (packing, resync, scoring) against a fake
    board that answers the PyTorch model's class for the bytes it receives."""

    class FakeSerial:
        def __init__(self, port, baudrate, **kw):
            assert (port, baudrate, kw["bytesize"], kw["stopbits"]) == ("/dev/fake", 115200,
                                                                        8, 1)
            self.pending = b""
            self.answers = b""
            self.wrong = 0

        def write(self, data):
            self.pending += data
            while len(self.pending) >= 3:
                word = unpack_word(self.pending[:3], IN_DIM)
                self.pending = self.pending[3:]
                bits = torch.tensor([[(word >> i) & 1 for i in range(IN_DIM)]],
                                    dtype=torch.float32)
                with torch.no_grad():
                    self.answers += bytes([int(torch.argmax(net(bits), dim=1))])

        def read(self, n):
            out, self.answers = self.answers[:n], self.answers[n:]
            return out

        def flush(self):
            pass

        def reset_input_buffer(self):
            self.answers = b""

        def close(self):
            pass

    monkeypatch.setitem(sys.modules, "serial", types.SimpleNamespace(Serial=FakeSerial))
    monkeypatch.setattr(uart_verify.uart_host, "RESYNC_PAUSE_S", 0.0)
    res = run_board_verify(build, "/dev/fake", 30)
    assert res.passed and res.vectors == 30 and res.mismatches == 0, res.summary()
    assert res.extra_info["got"] == _torch_pred(net, build, 30)


def test_cli_uart_errors(build, tmp_path):
    res = _run("verify", build, "--baud", "9600")
    assert res.exit_code == 1 and "--baud, --timeout-cycles and --port go with --uart" \
        in res.output
    res = _run("verify", build, "--uart", "--backpressure")
    assert res.exit_code == 1 and "drop --backpressure" in res.output
    res = _run("verify", build, "--uart", "--baud", "2500000")
    assert res.exit_code == 1 and "cannot make 2500000 baud" in res.output
    res = _run("verify", build, "--uart", "--timeout-cycles", "100")
    assert res.exit_code == 1 and "shorter than 40 bit times" in res.output
    if "serial" not in sys.modules:
        try:
            import serial  # noqa: F401
        except ImportError:
            res = _run("verify", build, "--uart", "--port", "/dev/null")
            assert res.exit_code == 1 and "pip install pyserial" in res.output
    dev = tmp_path / "d"
    ckpt = build.parent / "u.pt"
    assert _run("compile", ckpt, "-o", dev, "--device", "ice40-up5k-sg48").exit_code == 0
    res = _run("verify", dev, "--uart")
    assert res.exit_code == 1 and "has no UART shell; compile with --board" in res.output
    assert "Traceback" not in res.output
