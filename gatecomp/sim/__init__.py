"""cocotb testbench code that runs inside the HDL simulator.

``stream_test.py`` is not imported by gatecomp: :func:`gatecomp.verify.rtl_sim.write_sim_dir`
copies it into each build's ``sim/`` directory, where cocotb loads it as the test module.
"""

from __future__ import annotations

from pathlib import Path

#: the generic stream regression, copied into build/NAME/sim/test_NAME.py
STREAM_TEST = Path(__file__).resolve().parent / "stream_test.py"

__all__ = ["STREAM_TEST"]
