"""The IR: an array-based And-Inverter Graph (imports numpy and numba only)."""

from .aiger import AigerError, read_aiger, write_aiger
from .analysis import depth, fanout_counts, levels, reachable
from .builder import AIGBuilder
from .check import AIGInvariantError, check_aig
from .graph import AIG, CONST0, CONST1, lit, lit_is_complemented, lit_node
from .net import LogicNet, Port, bit_names
from .simulate import (
    exhaustive_inputs,
    pack_bits,
    random_inputs,
    simulate,
    simulate_words,
    unpack_bits,
)

__all__ = [
    "AIG", "AIGBuilder", "AIGInvariantError", "AigerError", "CONST0", "CONST1", "LogicNet",
    "Port", "bit_names", "check_aig", "depth", "exhaustive_inputs", "fanout_counts", "levels",
    "lit", "lit_is_complemented", "lit_node", "pack_bits", "random_inputs", "reachable",
    "read_aiger", "simulate", "simulate_words", "unpack_bits", "write_aiger",
]
