"""IR-level checks: the LogicNet against the PyTorch reference, and two AIGs against each other.

Both run the bit-parallel simulator, so a whole dataset costs one sweep over the gates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..aig import AIG, LogicNet, random_inputs, simulate, simulate_words


@dataclass
class PortMismatches:
    """Comparison of a LogicNet's outputs with expected integers, per port."""

    vectors: int
    mismatching_vectors: int
    per_port: dict[str, int]
    first: list[dict] = field(default_factory=list)
    outputs: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.mismatching_vectors == 0


def compare_with_reference(net: LogicNet, in_bits: np.ndarray,
                           expected: dict[str, np.ndarray],
                           partial: bool = False) -> PortMismatches:
    """Simulate ``net`` on ``in_bits`` (samples, inputs) and compare every port bit for bit.

    ``partial``: compare only the ports ``expected`` has (a library forward that yields class
    scores and the prediction but not every word of the circuit).
    """
    got = net.output_words(simulate(net.aig, in_bits))
    bad = np.zeros(len(in_bits), dtype=bool)
    per_port, first = {}, []
    for port in net.outputs:
        if partial and port.name not in expected:
            continue
        diff = got[port.name] != np.asarray(expected[port.name], dtype=np.int64)
        per_port[port.name] = int(diff.sum())
        bad |= diff
        for i in np.flatnonzero(diff)[:5]:
            first.append({"vector": int(i), "port": port.name,
                          "expected": int(expected[port.name][i]), "got": int(got[port.name][i])})
    return PortMismatches(len(in_bits), int(bad.sum()), per_port, first[:10], got)


@dataclass
class SimEquivalence:
    """Outcome of random + given-vector simulation of two AIGs with the same interface."""

    patterns: int
    equal: bool
    first_output: int | None = None


def simulate_equivalence(a: AIG, b: AIG, extra: np.ndarray | None = None,
                         words: int = 64, seed: int = 0) -> SimEquivalence:
    """Compare ``a`` and ``b`` on ``64*words`` random patterns plus ``extra`` input vectors.

    A necessary check, cheap for any size; a proof needs the SAT miter (equivalence module).
    """
    if (a.num_inputs, a.num_outputs) != (b.num_inputs, b.num_outputs):
        return SimEquivalence(0, False)
    pats = random_inputs(a.num_inputs, words, seed)
    differs = (simulate_words(a, pats) != simulate_words(b, pats)).any(axis=1)
    n = 64 * words
    if extra is not None and len(extra):
        differs |= (simulate(a, extra) != simulate(b, extra)).any(axis=0)
        n += len(extra)
    bad = np.flatnonzero(differs)
    return SimEquivalence(n, not len(bad), int(bad[0]) if len(bad) else None)
