"""LogicLayer / GroupSum: eval gates match difflogic's truth tables, training matches bin_op_s."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from gatecomp.frontends.dlgn import difflogic_shim
from gatecomp.nn import (
    GATE_NAMES,
    TRUTH_TABLES,
    GroupSum,
    LogicLayer,
    random_connections,
    truth_tables_to_ids,
    unique_connections,
)
from tests.unit.dlgn_nets import DIFFLOGIC_TABLE

AB = torch.tensor(list(itertools.product((0.0, 1.0), repeat=2)))  # rows (a, b): 00 01 10 11


def _layer_computing(gate: int, parametrization: str = "raw") -> LogicLayer:
    """A 2-input layer with one gate of ID ``gate`` on A = x[0], B = x[1]."""
    if parametrization == "raw":
        w = torch.zeros(1, 16)
        w[0, gate] = 1.0
    else:
        w = torch.tensor([DIFFLOGIC_TABLE[gate]], dtype=torch.float32) * 2 - 1
    return LogicLayer(2, 1, parametrization=parametrization, indices=[[0], [1]], weights=w).eval()


@pytest.mark.parametrize("parametrization", ["raw", "light"])
@pytest.mark.parametrize("gate", range(16))
def test_eval_gate_matches_truth_table(gate, parametrization):
    layer = _layer_computing(gate, parametrization)
    out = layer(AB)[:, 0]
    assert out.tolist() == list(DIFFLOGIC_TABLE[gate])
    assert int(layer.gate_ids()[0]) == gate


def test_gate_names_and_tables_follow_difflogic():
    assert GATE_NAMES[1] == "AND" and GATE_NAMES[6] == "XOR" and GATE_NAMES[14] == "NAND"
    for g in range(16):
        assert tuple(TRUTH_TABLES[g]) == DIFFLOGIC_TABLE[g]
    assert truth_tables_to_ids(TRUTH_TABLES).tolist() == list(range(16))


def test_a_is_first_index_row():
    # gate 3 = A passes x[indices[0]]; gate 5 = B passes x[indices[1]]
    x = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    w = torch.zeros(2, 16)
    w[0, 3] = w[1, 5] = 1
    layer = LogicLayer(3, 2, indices=[[1, 0], [2, 1]], weights=w).eval()
    assert layer(x).tolist() == [[0.0, 0.0], [1.0, 1.0]]


def test_argmax_ties_pick_first_gate():
    w = torch.zeros(1, 16)
    w[0, [6, 9]] = 2.0
    layer = LogicLayer(2, 1, indices=[[0], [1]], weights=w).eval()
    assert int(layer.gate_ids()[0]) == 6


def test_training_forward_equals_difflogic_mixture():
    torch.manual_seed(0)
    layer = LogicLayer(6, 40, seed=1).train()
    ref = difflogic_shim.LogicLayer(6, 40, (layer.indices[0], layer.indices[1]),
                                    layer.weights.detach().clone()).train()
    x = torch.rand(17, 6)
    assert torch.allclose(layer(x), ref(x), atol=1e-6)
    layer.eval()
    ref.eval()
    xb = (torch.rand(17, 6) > 0.5).float()
    assert torch.equal(layer(xb), ref(xb))


def test_light_training_is_multilinear_sigmoid_table():
    layer = LogicLayer(4, 8, parametrization="light", seed=3).train()
    x = torch.rand(5, 4)
    p = torch.sigmoid(layer.weights)
    a, b = x[:, layer.indices[0]], x[:, layer.indices[1]]
    want = (p[:, 0] * (1 - a) * (1 - b) + p[:, 1] * (1 - a) * b + p[:, 2] * a * (1 - b)
            + p[:, 3] * a * b)
    assert torch.allclose(layer(x), want, atol=1e-6)


def test_gradients_flow():
    layer = LogicLayer(10, 12, seed=0).train()
    layer(torch.rand(3, 10)).sum().backward()
    assert layer.weights.grad is not None and layer.weights.grad.abs().sum() > 0


def test_state_dict_holds_wiring():
    layer = LogicLayer(10, 12, seed=4)
    sd = layer.state_dict()
    assert set(sd) == {"weights", "indices"}
    assert sd["indices"].shape == (2, 12) and sd["indices"].dtype == torch.int64
    again = LogicLayer(10, 12, seed=99)
    again.load_state_dict(sd)
    assert torch.equal(again.indices, layer.indices)


@pytest.mark.parametrize("in_dim,out_dim", [(10, 5), (10, 12), (64, 500), (7, 30)])
def test_unique_connections_use_every_input_without_repeats(in_dim, out_dim):
    c = unique_connections(in_dim, out_dim, torch.Generator().manual_seed(0)).numpy()
    assert c.shape == (2, out_dim)
    assert set(c.ravel()) == set(range(in_dim))
    assert (c[0] != c[1]).all()
    pairs = {tuple(sorted(p)) for p in c.T}
    assert len(pairs) == min(out_dim, in_dim * (in_dim - 1) // 2)


def test_random_connections_cover_inputs_and_are_seeded():
    c = random_connections(50, 40, torch.Generator().manual_seed(1))
    assert set(c.numpy().ravel()) == set(range(50))
    assert torch.equal(c, random_connections(50, 40, torch.Generator().manual_seed(1)))
    assert torch.equal(LogicLayer(50, 40, seed=2).indices, LogicLayer(50, 40, seed=2).indices)
    with pytest.raises(ValueError):
        random_connections(50, 20)


def test_group_sum_blocks_and_tau():
    x = torch.arange(12.0).reshape(1, 12)
    gs = GroupSum(3, tau=2.0)
    assert gs.counts(x).tolist() == [[6.0, 22.0, 38.0]]
    assert gs(x).tolist() == [[3.0, 11.0, 19.0]]
    with pytest.raises(ValueError):
        gs(torch.zeros(1, 10))
    with pytest.raises(ValueError):
        GroupSum(3, tau=0.0)


def test_eval_forward_is_exact_on_binary_inputs():
    rng = np.random.default_rng(0)
    layer = LogicLayer(16, 300, seed=5).eval()
    x = torch.from_numpy(rng.integers(0, 2, (64, 16)).astype(np.float32))
    y = layer(x)
    assert bool(((y == 0) | (y == 1)).all())
