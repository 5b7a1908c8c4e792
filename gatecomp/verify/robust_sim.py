"""Robustness by simulation: the whole Hamming ball when it is small, random samples otherwise.

SAT on these circuits is slow exactly where the answer is "robust": the class is an argmax of
popcounts built as binary compressor trees, and a CDCL solver cannot count, so proving that no
two flips move any count far enough takes it tens of seconds on the digits nets (and for the
BNN often longer than the time limit even at radius 1). The ball itself is small at small
radii (193 inputs at radius 1 on 192 bits, 18,529 at radius 2), and bit-parallel simulation of
the compiled AIG checks about 0.4 M inputs per second, so enumerating it is a complete and much
faster proof there. Past the enumeration limit, a few thousand random inputs at the full radius
find most counterexamples before SAT is asked; SAT then proves or finds the rest.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np

from .build_circuit import BuildCircuit

#: balls of at most this many inputs are enumerated (about 0.7 s on the digits DLGN)
ENUMERATE_LIMIT = 1 << 18
#: random inputs at the full radius tried before SAT when the ball is larger
SAMPLES = 4096
_CHUNK = 1 << 14


def ball_size(n: int, radius: int) -> int:
    """Inputs within Hamming distance ``radius`` of one of ``n`` bits."""
    return sum(math.comb(n, k) for k in range(min(radius, n) + 1))


def _flip_sets(n: int, radius: int) -> Iterator[np.ndarray]:
    """Every set of 1..radius input indices, in chunks of (rows, k) index arrays."""
    for k in range(1, min(radius, n) + 1):
        combos = itertools.combinations(range(n), k)
        while True:
            block = np.fromiter(itertools.chain.from_iterable(itertools.islice(combos, _CHUNK)),
                                dtype=np.int64)
            if not len(block):
                break
            yield block.reshape(-1, k)


def _flipped(x0: np.ndarray, sets: np.ndarray) -> np.ndarray:
    """Rows of ``x0`` with the bits of each index row of ``sets`` flipped."""
    xs = np.repeat(x0[None], len(sets), axis=0)
    rows = np.repeat(np.arange(len(sets)), sets.shape[1])
    xs[rows, sets.reshape(-1)] ^= True
    return xs


def search_ball(build: BuildCircuit, x0: np.ndarray, cls: int, radius: int
                ) -> np.ndarray | None:
    """An input within ``radius`` of ``x0`` whose class is not ``cls``; None if there is
    none (the whole ball was simulated)."""
    for sets in _flip_sets(len(x0), radius):
        xs = _flipped(x0, sets)
        bad = np.flatnonzero(build.classify(xs) != cls)
        if len(bad):
            return xs[bad[0]]
    return None


def sample_ball(build: BuildCircuit, x0: np.ndarray, cls: int, radius: int,
                samples: int = SAMPLES, seed: int = 0) -> np.ndarray | None:
    """A counterexample among ``samples`` random inputs at distance ``radius`` (or None)."""
    n = len(x0)
    k = min(radius, n)
    if k == 0:
        return None
    rng = np.random.default_rng(seed)
    sets = np.argsort(rng.random((samples, n)), axis=1)[:, :k]
    xs = _flipped(x0, sets)
    bad = np.flatnonzero(build.classify(xs) != cls)
    return xs[bad[0]] if len(bad) else None
