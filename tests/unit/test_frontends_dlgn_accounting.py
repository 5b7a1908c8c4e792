"""The gate account in the report: each trained gate lands in exactly the right category."""

from __future__ import annotations

import numpy as np
from torch import nn

from gatecomp.frontends.dlgn import load_dlgn, lower_dlgn
from gatecomp.nn import GroupSum, LogicLayer
from tests.unit.dlgn_nets import peaked_raw_weights

AND, FALSE, A, XOR, OR = 1, 0, 3, 6, 7


def _layer(in_dim, gates, a, b):
    w = peaked_raw_weights(len(gates), np.random.default_rng(0), gates=gates)
    return LogicLayer(in_dim, len(gates), indices=np.array([a, b]), weights=w)


def test_each_gate_is_classified_once():
    first = _layer(4, [AND, FALSE, A, AND, XOR, OR],   # g0..g5
                   a=[0, 0, 2, 1, 1, 2], b=[1, 1, 3, 0, 1, 3])
    # h0 = g0 & g2 (logic); h1 = g3 | g4 = g0 | 0 = g0 (merged); nobody reads g5 (unused)
    second = _layer(6, [AND, OR], a=[0, 3], b=[2, 4])
    net = lower_dlgn(load_dlgn(nn.Sequential(first, second, GroupSum(2, 1.0)).eval()))
    assert net.meta["gate_accounting"] == {
        "trained": 8, "constant": 2, "wire": 1, "unused": 1, "merged": 2, "logic": 2}
