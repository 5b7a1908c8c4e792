"""Backends: a LogicNet (plus a pipeline plan) -> hardware descriptions. Never imports torch.

``amaranth`` builds an :class:`amaranth.lib.wiring.Component` with the stream port contract;
``verilog`` converts it to Verilog text with a header and a JSON sidecar.
"""

from .amaranth import LogicNetComponent, build_component
from .verilog import emit_verilog, verilog_identifier

__all__ = ["LogicNetComponent", "build_component", "emit_verilog", "verilog_identifier"]
