"""Binary layers: the integer eval forward equals the float batch-norm/sign rule off ties."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gatecomp.nn import (
    BinaryLinear,
    BinaryScores,
    PopcountScores,
    ThresholdLinear,
    fold_binary,
    fold_thresholds,
)
from tests.unit.bnn_nets import random_bnn


def _float_layer(layer: BinaryLinear, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Independent float64 forward: +-1 dot product, batch norm, sign; and |bn output|."""
    bn = layer.bn.eval()
    w = np.where(layer.weight.detach().numpy() >= 0, 1.0, -1.0)
    y = (2.0 * x - 1.0) @ w.T
    mean, var = bn.running_mean.double().numpy(), bn.running_var.double().numpy()
    gamma, beta = bn.weight.detach().double().numpy(), bn.bias.detach().double().numpy()
    z = (y - mean) / np.sqrt(var + bn.eps) * gamma + beta
    return (z >= 0), np.abs(z)


def test_eval_forward_is_the_folded_threshold_rule():
    net = random_bnn([40], in_dim=12, k=3, seed=1)
    layer = net[0]
    x = ((np.arange(4096)[:, None] >> np.arange(12)) & 1).astype(np.float64)
    want, margin = _float_layer(layer, x)
    got = layer(torch.from_numpy(x)).numpy().astype(bool)
    off_tie = margin > 1e-9
    assert np.array_equal(got[off_tie], want[off_tie])
    # the net has ties by construction: there the rule is "bn output >= 0", i.e. 1
    assert (~off_tie).sum() > 100
    assert got[~off_tie].all()


def test_fold_thresholds_directions_and_constants():
    thr, d = fold_thresholds(np.array([1.0, -1.0, 0.0, 0.0, 1e-9, -1e-9]),
                             np.array([0.0, 0.0, 1.0, -1.0, 5.0, 5.0]), n=8)
    # +: 2p-8 >= 0 -> p >= 4;  -: 2p-8 <= 0 -> p <= 4;  0: constant;  tiny scales clip
    assert thr.tolist() == [4, 4, 0, 9, 0, 8] and d.tolist() == [1, -1, 1, 1, 1, -1]


def test_threshold_linear_against_numpy():
    rng = np.random.default_rng(0)
    w = rng.integers(0, 2, (7, 9))
    t = rng.integers(-1, 11, 7)
    d = rng.choice([-1, 1], 7)
    x = rng.integers(0, 2, (100, 9))
    p = (x[:, None, :] == w[None]).sum(-1)
    want = np.where(d > 0, p >= t, p <= t)
    got = ThresholdLinear(w, t, d)(torch.from_numpy(x)).numpy()
    assert np.array_equal(got, want)
    assert np.array_equal(PopcountScores(w)(torch.from_numpy(x)).numpy(), p)


def test_training_mode_has_gradients_and_binary_outputs():
    net = torch.nn.Sequential(BinaryLinear(10, 6, seed=0), BinaryScores(6, 3, seed=1)).train()
    x = torch.randint(0, 2, (32, 10)).float()
    h = net[0](x)
    assert set(torch.unique(h).tolist()) <= {0.0, 1.0}
    loss = net(x).logsumexp(-1).mean()
    loss.backward()
    assert net[0].weight.grad is not None and net[0].weight.grad.abs().sum() > 0
    assert net[1].weight.grad.abs().sum() > 0


def test_fold_binary_rejects_other_layers():
    with pytest.raises(ValueError, match="unsupported layer"):
        fold_binary(torch.nn.Sequential(BinaryLinear(4, 4), torch.nn.ReLU()))


def test_scores_eval_are_counts():
    m = BinaryScores(5, 2, seed=3).eval()
    x = torch.tensor([[1, 0, 1, 1, 0]], dtype=torch.float32)
    w = (m.weight >= 0).to(torch.int64)
    assert m(x).tolist() == [(x.to(torch.int64) == w).sum(-1).tolist()]
