"""Low-bit quantized networks (gatecomp.nn integer layers, k-bit Brevitas, QONNX graphs):
read, fold to integer arithmetic, lower (``lower``) to adders, comparators and truth tables."""

from .frontend import (
    SUPPORTED_FORMATS,
    QNNModel,
    dataset_vectors,
    describe_qnn,
    load_qnn,
    lower_qnn,
    output_ports,
    own_forward,
    reference_outputs,
)

__all__ = ["SUPPORTED_FORMATS", "QNNModel", "dataset_vectors", "describe_qnn", "load_qnn",
           "lower_qnn", "output_ports", "own_forward", "reference_outputs"]
