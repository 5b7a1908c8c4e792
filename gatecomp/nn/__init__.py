"""Our trainable PyTorch layers; their eval-mode forward is the bit-exact reference.

``LogicLayer`` (two-input logic gates, difflogic semantics, raw or light parametrisation),
``GroupSum`` (per-class block sums), the binary XNOR-popcount layers (``BinaryLinear``,
``BinaryScores`` and their integer forms ``ThresholdLinear``, ``PopcountScores``) and the input
binarisation (``ThermometerEncoding``), the integer layers every quantized network folds into
(``IntLinear``, ``IntScores``) and our trainable low-bit layers (``QuantLinear``,
``QuantScores``) whose eval forward is that integer form.
"""

from .binary import (
    BinaryLinear,
    BinaryScores,
    PopcountScores,
    ThresholdLinear,
    fold_binary,
    fold_thresholds,
    xnor_popcount,
)
from .datasets import DIGITS_SPLIT, load_split
from .encoding import (
    DIGITS_THRESHOLDS,
    ThermometerEncoding,
    UniformEncoding,
    digits_encoding,
    encoding_from_dict,
)
from .group_sum import GroupSum
from .integer import IntLinear, IntScores, check_chain, code_bits
from .logic_layer import (
    GATE_NAMES,
    TRUTH_TABLES,
    LogicLayer,
    random_connections,
    truth_tables_to_ids,
    unique_connections,
)
from .mnist1d import MNIST1D_LENGTH, MNIST1D_SPLIT, MNIST1D_THRESHOLDS
from .quant import QuantLinear, QuantScores, fan_in_mask, fold_multi_threshold

__all__ = [
    "BinaryLinear", "BinaryScores", "PopcountScores", "ThresholdLinear", "fold_binary",
    "fold_thresholds", "xnor_popcount",
    "DIGITS_SPLIT", "DIGITS_THRESHOLDS", "GATE_NAMES", "GroupSum", "LogicLayer",
    "TRUTH_TABLES", "ThermometerEncoding", "digits_encoding", "load_split",
    "random_connections", "truth_tables_to_ids", "unique_connections",
    "IntLinear", "IntScores", "UniformEncoding", "check_chain", "code_bits",
    "encoding_from_dict", "MNIST1D_LENGTH", "MNIST1D_SPLIT",
    "MNIST1D_THRESHOLDS",
    "QuantLinear", "QuantScores", "fan_in_mask", "fold_multi_threshold",
]
