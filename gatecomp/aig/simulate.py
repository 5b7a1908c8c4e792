"""Bit-parallel simulation: 64 input vectors per uint64 word, one sweep over the gates.

Used to check whole datasets against the PyTorch reference and to prove passes preserve
function (exhaustive for few inputs, random otherwise).
"""

from __future__ import annotations

import numpy as np

from .graph import AIG
from .kernels import simulate_kernel

_MAX_SIM_BYTES = 256 << 20  # cap on the node-value table; larger batches are split


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """Pack a (samples, signals) boolean matrix into (signals, words) uint64 words.

    Sample ``s`` lands in word ``s // 64``, bit ``s % 64``.
    """
    bits = np.asarray(bits, dtype=bool)
    if bits.ndim != 2:
        raise ValueError(f"expected a (samples, signals) matrix, got shape {bits.shape}")
    samples, signals = bits.shape
    words = max(1, -(-samples // 64))
    padded = np.zeros((signals, words * 64), dtype=bool)
    padded[:, :samples] = bits.T
    packed = np.packbits(padded, axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64)


def unpack_bits(words: np.ndarray, samples: int) -> np.ndarray:
    """Inverse of :func:`pack_bits`: (signals, words) uint64 -> (samples, signals) bool."""
    words = np.ascontiguousarray(words, dtype="<u8")
    as_bytes = words.view(np.uint8).reshape(words.shape[0], -1)
    bits = np.unpackbits(as_bytes, axis=1, bitorder="little")[:, :samples]
    return bits.T.astype(bool)


def simulate_words(aig: AIG, in_words: np.ndarray) -> np.ndarray:
    """Simulate packed input words (num_inputs, W); returns packed outputs (num_outputs, W)."""
    in_words = np.ascontiguousarray(in_words, dtype=np.uint64)
    if in_words.ndim != 2 or in_words.shape[0] != aig.num_inputs:
        raise ValueError(f"expected ({aig.num_inputs}, W) input words, got {in_words.shape}")
    total = in_words.shape[1]
    chunk = max(1, _MAX_SIM_BYTES // (8 * aig.num_nodes))
    out = np.empty((aig.num_outputs, total), dtype=np.uint64)
    nodes = aig.outputs >> 1
    flip = np.where(aig.outputs & 1, np.uint64(0xFFFFFFFFFFFFFFFF), np.uint64(0))[:, None]
    for start in range(0, total, chunk):
        part = np.ascontiguousarray(in_words[:, start:start + chunk])
        vals = simulate_kernel(aig.fanin0, aig.fanin1, aig.num_inputs, part)
        out[:, start:start + chunk] = vals[nodes] ^ flip
    return out


def simulate(aig: AIG, inputs: np.ndarray) -> np.ndarray:
    """Simulate a (samples, num_inputs) boolean matrix; returns (samples, num_outputs) bool."""
    inputs = np.asarray(inputs, dtype=bool)
    return unpack_bits(simulate_words(aig, pack_bits(inputs)), inputs.shape[0])


def exhaustive_inputs(num_inputs: int) -> np.ndarray:
    """All 2**num_inputs input patterns as packed words (input i toggles with period 2**(i+1))."""
    if num_inputs > 24:
        raise ValueError("exhaustive simulation is limited to 24 inputs")
    idx = np.arange(1 << num_inputs, dtype=np.int64)
    bits = ((idx[:, None] >> np.arange(num_inputs)) & 1).astype(bool)
    return pack_bits(bits)


def random_inputs(num_inputs: int, words: int, seed: int = 0) -> np.ndarray:
    """Uniformly random packed input words (num_inputs, words)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2**64, size=(num_inputs, words), dtype=np.uint64, endpoint=False)
