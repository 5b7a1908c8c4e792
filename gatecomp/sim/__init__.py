"""cocotb testbench code that runs inside the HDL simulator.

``stream_test.py`` is not imported by gatecomp: :func:`gatecomp.verify.rtl_sim.write_sim_dir`
copies it into each build's ``sim/`` directory, where cocotb loads it as the test module.
``sequence_test.py`` (whole sequences through a sequential build) is copied the same way by
:func:`gatecomp.verify.seq_rtl.write_sequence_sim_dir`.
``uart_test.py`` (the board UART shell at protocol level) is copied the same way by
:func:`gatecomp.fpga.uart_verify.run_uart_verify`, with ``gatecomp/fpga/uart_host.py`` beside it.
"""

from __future__ import annotations

from pathlib import Path

#: the generic stream regression, copied into build/NAME/sim/test_NAME.py
STREAM_TEST = Path(__file__).resolve().parent / "stream_test.py"
#: the sequential (recurrent) regression, copied the same way into sequential builds
SEQUENCE_TEST = Path(__file__).resolve().parent / "sequence_test.py"
#: the board UART shell's protocol test (needs uart_host.py beside it)
UART_TEST = Path(__file__).resolve().parent / "uart_test.py"

__all__ = ["SEQUENCE_TEST", "STREAM_TEST", "UART_TEST"]
