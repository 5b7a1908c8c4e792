"""Verification: the reference vs the IR vs the RTL (cocotb) vs the netlist, on the same vectors."""

from ..toolchain import find_verilator
from .rtl_sim import RtlVerifyResult, run_rtl_verify, write_sim_dir

__all__ = ["RtlVerifyResult", "find_verilator", "run_rtl_verify", "write_sim_dir"]
