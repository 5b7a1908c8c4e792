"""Checking a carry-chain tail over its own inputs, across every count.

The whole chained core is simulated against the optimized AIG (random and test vectors), but
behind four layers of logic the GroupSum bits are close to fair coins, so counts near 0 or
near the block size, and the carries that only they exercise, are never seen. A SAT sweep does
not close the gap either: an adder tree and a Wallace tree share no internal nodes (the digits
DLGN's 70 count bits stay undecided after minutes). So the tail is also checked on its own:
the same groups built on free inputs, against the frontends' popcount and argmax
(:func:`~gatecomp.synth.arith.popcount_merged`, :func:`~gatecomp.synth.arith.argmax_first`),
with each pattern's bits drawn at its own bias from nearly all-zero to nearly all-one.
"""

from __future__ import annotations

import numpy as np

from ..aig import AIG, AIGBuilder, simulate
from ..mapping.lutnet import LutNetwork, _shannon
from ..synth.arith import argmax_first, popcount_merged
from .carry_popcount import chained_core


def _identity(num_vars: int) -> LutNetwork:
    """No LUTs; output ``i`` is input ``i``."""
    return LutNetwork(num_inputs=num_vars, fanins=np.zeros((0, 4), dtype=np.int64),
                      sizes=np.zeros(0, dtype=np.int64), truth=np.zeros(0, dtype=np.uint64),
                      output_ids=np.arange(1, num_vars + 1),
                      output_compl=np.zeros(num_vars, dtype=bool))


def tail_reference(num_vars: int, groups: list[list], output_names: tuple[str, ...]) -> AIG:
    """Counts and first-index argmax of ``groups`` (indices or ``(truth, i, j)`` gates of
    ``num_vars`` free inputs), built as the frontends build them."""
    b = AIGBuilder(num_vars)
    v = b.inputs()
    rows = []
    for group in groups:
        row = []
        for bit in group:
            if isinstance(bit, tuple):
                truth, i, j = bit
                row.append(_shannon(b, truth, 2, [int(v[i]), int(v[j])], {}))
            else:
                row.append(int(v[bit]))
        rows.append(row)
    counts = [popcount_merged(b, np.array([row], dtype=np.int64))[0] for row in rows]
    pred = argmax_first(b, counts)
    return b.build(np.concatenate([*counts, pred]), output_names)


def check_tail(groups: list[list], num_vars: int, output_names: tuple[str, ...],
               patterns: int = 4096, seed: int = 0, **chain_options) -> int | None:
    """Simulate the chained tail of ``groups`` against :func:`tail_reference` on ``patterns``
    biased random input patterns; returns the first differing output, or None."""
    core = chained_core(_identity(num_vars), groups, output_names, **chain_options)
    ref = tail_reference(num_vars, groups, output_names)
    rng = np.random.default_rng(seed)
    bias = np.linspace(0.0, 1.0, patterns)[:, None]
    x = rng.random((patterns, num_vars)) < bias
    diff = np.flatnonzero((core.net.simulate(x) != simulate(ref, x)).any(axis=0))
    return int(diff[0]) if len(diff) else None
