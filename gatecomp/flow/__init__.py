"""The compile flow: a short sequence of named stages with typed options and results.

:func:`compile_model` (``flow/compile.py``) reads in one screen; each stage is a module:
``options`` (what the command line accepts and what it implies), ``optimize`` (care-set sweep,
pass script, LUT alignment), ``check`` (reference, the model's own forward, equivalence on the
vectors), ``prove``, ``emit`` (estimates, Verilog, the build directory), ``cells`` (FPGA cell
core), ``report``.
"""

from .compile import CompileResult, compile_model
from .options import CompileOptions

__all__ = ["CompileOptions", "CompileResult", "compile_model"]
