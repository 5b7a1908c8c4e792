"""Binary neural networks (gatecomp.nn binary layers, Brevitas 1-bit modules): read, fold to
integer thresholds, lower to popcounts and comparators (``frontend``)."""

from .frontend import (
    SUPPORTED_FORMATS,
    BNNModel,
    dataset_vectors,
    describe_bnn,
    load_bnn,
    lower_bnn,
    output_ports,
    own_forward,
    reference_outputs,
)

__all__ = ["SUPPORTED_FORMATS", "BNNModel", "dataset_vectors", "describe_bnn", "load_bnn",
           "lower_bnn", "output_ports", "own_forward", "reference_outputs"]
