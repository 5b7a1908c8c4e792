"""Differentiable logic gate networks (difflogic, torchlogix, gatecomp.nn).

Read (``formats``: every checkpoint layout, every key read or refused, see ``strict``) ->
validate into a :class:`DLGNModel` (``model``) -> lower to a LogicNet (``frontend``). The
model's own forward (``own_forward``: torchlogix's layers, difflogic's python forward, the
module itself) is what compile holds the circuit to.
"""

from .formats import SUPPORTED_FORMATS
from .frontend import (
    DLGNModel,
    LayerSpec,
    dataset_vectors,
    describe_dlgn,
    gate_histogram,
    load_dlgn,
    lower_dlgn,
    lower_layer,
    output_ports,
    reference_outputs,
)
from .own_forward import own_forward

__all__ = ["SUPPORTED_FORMATS", "DLGNModel", "LayerSpec", "dataset_vectors", "describe_dlgn",
           "gate_histogram", "load_dlgn", "lower_dlgn", "lower_layer", "output_ports",
           "own_forward", "reference_outputs"]
