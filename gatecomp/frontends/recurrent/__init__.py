"""Recurrent logic gate networks (:class:`gatecomp.nn.recurrent.RecurrentLogic`): read our
``gatecomp.recurrent`` checkpoints, lower the step to an AIG plus state registers (a SeqNet)."""

from .formats import FORMAT, recurrent_checkpoint, save_recurrent
from .frontend import (
    SUPPORTED_FORMATS,
    RecurrentModel,
    dataset_vectors,
    describe_recurrent,
    load_recurrent,
    lower_recurrent,
    own_forward,
    reference_outputs,
)

__all__ = ["FORMAT", "SUPPORTED_FORMATS", "RecurrentModel", "dataset_vectors",
           "describe_recurrent", "load_recurrent", "lower_recurrent", "own_forward",
           "recurrent_checkpoint", "reference_outputs", "save_recurrent"]
