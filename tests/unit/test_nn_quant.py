"""Quantized layers: the integer eval forward is the documented fold of the float rule.

References here are written independently of :mod:`gatecomp.nn.quant`: a float64 NumPy
forward of the training-time rule (weights ``clip(round(w / s))``, batch norm, ``floor(z + 1/2)``
clipped) and a NumPy integer forward of checkpoint tensors.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from gatecomp.frontends.qnn.formats import parse_checkpoint, read_file, save_qnn
from gatecomp.nn import (
    DIGITS_SPLIT,
    IntLinear,
    IntScores,
    QuantLinear,
    QuantScores,
    UniformEncoding,
    fan_in_mask,
    fold_multi_threshold,
    load_split,
)

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "gatecomp" / "examples" / "digits_qnn.pt"


def _np_int_weight(layer) -> np.ndarray:
    """Integer weights from the latent float32 weights, as the module docstring defines them."""
    w = layer.weight.detach().numpy()
    s = np.maximum(np.abs(layer.scale.detach().numpy()), np.float32(1e-8))
    q = np.clip(np.round(w / s), -layer.qmax, layer.qmax)
    return (q * layer.mask.numpy()).astype(np.int64)


def _np_quant_linear(layer: QuantLinear, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float64 eval rule: codes and the distance of ``z`` to the nearest rounding boundary."""
    bn = layer.bn
    acc = codes.astype(np.int64) @ _np_int_weight(layer).T
    s = np.abs(layer.scale.detach().numpy().astype(np.float64)).reshape(-1)
    a = bn.weight.detach().double().numpy() / np.sqrt(bn.running_var.double().numpy() + bn.eps)
    z = a * (s * acc - bn.running_mean.double().numpy()) + bn.bias.detach().double().numpy()
    q = np.clip(np.floor(z + 0.5), 0, layer.levels).astype(np.int64)
    steps = np.arange(1, layer.levels + 1) - 0.5
    margin = np.abs(z[..., None] - steps).min(-1)
    return q, margin


def _np_chain(ckpt_layers: list[dict], sd: dict, codes: np.ndarray) -> np.ndarray:
    """NumPy integer forward of checkpoint tensors: multi-thresholds, then class scores."""
    h = codes.astype(np.int64)
    for i, spec in enumerate(ckpt_layers):
        acc = h @ sd[f"{i}.weight"].numpy().T + sd[f"{i}.bias"].numpy()
        if spec["type"] == "scores":
            return acc
        thr = sd[f"{i}.thresholds"].numpy()
        h = (acc[:, :, None] >= thr[None]).sum(-1)
    raise AssertionError("no scores layer")


def _randomize_bn(layer: QuantLinear, seed: int, negative: bool = True) -> None:
    g = torch.Generator().manual_seed(seed)
    n = layer.out_dim
    with torch.no_grad():
        layer.bn.running_mean.copy_(torch.randn(n, generator=g) * 2)
        layer.bn.running_var.copy_(torch.rand(n, generator=g) * 3 + 0.2)
        gamma = torch.rand(n, generator=g) * 2 + 0.2
        if negative:
            gamma = gamma * torch.where(torch.arange(n) % 3 == 0, -1.0, 1.0)
        layer.bn.weight.copy_(gamma)
        layer.bn.bias.copy_(torch.randn(n, generator=g) * 1.5)


def test_eval_forward_is_the_fold_and_the_float_rule_on_random_codes():
    layer = QuantLinear(24, 40, weight_bits=3, act_bits=2, in_bits=3, fan_in=7, seed=3)
    _randomize_bn(layer, seed=4)
    layer.eval()
    codes = torch.randint(0, 8, (4000, 24), generator=torch.Generator().manual_seed(5))
    got = layer(codes)
    folded = layer.fold()
    assert isinstance(folded, IntLinear) and got.dtype == torch.int64
    assert torch.equal(got, folded(codes))
    assert torch.equal(layer(codes.to(torch.float32)), got)  # float codes read the same
    want, margin = _np_quant_linear(layer, codes.numpy())
    off_tie = margin > 1e-9
    assert off_tie.mean() > 0.99
    assert np.array_equal(got.numpy()[off_tie], want[off_tie])
    assert set(np.unique(got.numpy())) == {0, 1, 2, 3}  # all levels used: a real test


def test_fold_on_exact_boundaries_rounds_half_up():
    """Dyadic parameters make every float exact: accumulators land exactly on ``l - 1/2``."""
    layer = QuantLinear(4, 3, weight_bits=2, act_bits=2, in_bits=2, seed=0)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, -1.0, 1.0, 0.0]] * 3))
        layer.scale.fill_(1.0)
        layer.bn.eps = 0.0
        layer.bn.running_mean.zero_()
        layer.bn.running_var.fill_(1.0)
        layer.bn.weight.copy_(torch.tensor([1.0, -1.0, 0.5]))
        layer.bn.bias.copy_(torch.tensor([0.5, 0.5, 0.0]))
    layer.eval()
    codes = torch.from_numpy((np.arange(256)[:, None] >> (2 * np.arange(4))) & 3)
    acc = (codes[:, 0] - codes[:, 1] + codes[:, 2]).numpy()  # -3 .. 6
    got = layer(codes).numpy()
    # z = acc + 1/2, -acc + 1/2, acc / 2; q = clip(floor(z + 1/2), 0, 3), a half rounds up
    assert np.array_equal(got[:, 0], np.clip(acc + 1, 0, 3))
    assert np.array_equal(got[:, 1], np.clip(1 - acc, 0, 3))
    assert np.array_equal(got[:, 2], np.clip((acc + 1) // 2, 0, 3))
    want, margin = _np_quant_linear(layer, codes.numpy())
    assert (margin == 0).any() and np.array_equal(got, want)
    folded = layer.fold()
    assert folded.thresholds.tolist() == [[0, 1, 2], [0, 1, 2], [1, 3, 5]]
    assert folded.weight.tolist() == [[1, -1, 1, 0], [-1, 1, -1, 0], [1, -1, 1, 0]]


def test_negative_scales_negate_rows():
    layer = QuantLinear(16, 30, act_bits=3, in_bits=2, fan_in=5, seed=1)
    _randomize_bn(layer, seed=2)
    layer.eval()
    folded = layer.fold()
    neg = (layer.bn.weight.detach() < 0).numpy()
    w = _np_int_weight(layer)
    assert neg.any() and (~neg).any()
    assert np.array_equal(folded.weight.numpy(), np.where(neg[:, None], -w, w))
    codes = torch.randint(0, 4, (3000, 16), generator=torch.Generator().manual_seed(0))
    want, margin = _np_quant_linear(layer, codes.numpy())
    off_tie = margin > 1e-9
    assert np.array_equal(layer(codes).numpy()[off_tie], want[off_tie])
    # the <= neurons really switch on as acc falls
    assert len(np.unique(want[:, neg])) > 2


def test_fold_multi_threshold_constants_clipping_and_order():
    lo, hi = np.array([-4, -4, -4, -4, -4]), np.array([6, 6, 6, 6, 6])
    neg, t = fold_multi_threshold(np.array([0.0, 0.0, 1e-12, -1e-12, 2.0]),
                                  np.array([1.0, 0.0, 0.0, 0.0, -1.0]), 3, lo, hi)
    assert neg.tolist() == [False, False, False, True, False]
    # A = 0: B = 1 passes l = 1 only (1 >= 0.5, 1 < 1.5), B = 0 never;
    # tiny |A|: bounds far outside, clipped to max + 1 of acc (or of -acc: 4 + 1)
    # A = 2, B = -1: 2 acc - 1 >= l - 1/2  <=>  acc >= (l + 1/2) / 2 -> 1, 2, 2
    assert t.tolist() == [[-4, 7, 7], [7, 7, 7], [7, 7, 7], [5, 5, 5], [1, 2, 2]]
    with pytest.raises(ValueError, match="finite"):
        fold_multi_threshold(np.array([np.nan]), np.array([0.0]), 1, lo[:1], hi[:1])


def test_fan_in_mask_is_exact_balanced_and_deterministic():
    m = fan_in_mask(64, 128, 6, torch.Generator().manual_seed(7))
    assert m.sum(1).tolist() == [6] * 128
    use = m.sum(0)
    assert int(use.min()) == 12 and int(use.max()) == 12  # 128 * 6 / 64
    assert torch.equal(m, fan_in_mask(64, 128, 6, torch.Generator().manual_seed(7)))
    assert not torch.equal(m, fan_in_mask(64, 128, 6, torch.Generator().manual_seed(8)))
    assert bool(fan_in_mask(5, 3, None).all())
    with pytest.raises(ValueError, match="exceeds"):
        fan_in_mask(4, 2, 5)


def test_masked_weights_are_exact_zeros_and_get_no_gradient():
    layer = QuantLinear(20, 12, weight_bits=4, fan_in=3, seed=0)
    with torch.no_grad():
        layer.weight.fill_(5.0)  # every latent weight large, in and out of the mask
    w = layer.fold().weight
    mask = layer.mask
    assert torch.equal(w != 0, mask) and bool(((w != 0).sum(1) == 3).all())
    assert int(w.abs().max()) == layer.qmax == 7
    layer.train()
    layer(torch.randint(0, 4, (16, 20)).float()).sum().backward()
    assert float(layer.weight.grad[~mask].abs().max()) == 0.0
    scores = QuantScores(20, 4, fan_in=5, seed=1)
    assert bool(((scores.fold().weight != 0).sum(1) <= 5).all())
    assert torch.equal(scores.fold().weight != 0, (scores.fold().weight != 0) & scores.mask)


def test_quant_scores_eval_is_integer_and_training_logits_scale_it():
    scores = QuantScores(9, 4, weight_bits=3, in_bits=2, seed=2)
    with torch.no_grad():
        scores.bias.copy_(torch.tensor([0.4, -1.6, 2.5, 0.0]))
    codes = torch.randint(0, 4, (200, 9), generator=torch.Generator().manual_seed(1))
    scores.eval()
    got = scores(codes)
    folded = scores.fold()
    assert isinstance(folded, IntScores) and got.dtype == torch.int64
    want = codes.numpy() @ _np_int_weight(scores).T + np.array([0, -2, 2, 0])  # half to even
    assert np.array_equal(got.numpy(), want)
    scores.train()
    logits = scores(codes.float()).detach().numpy()
    s = abs(float(scores.scale.detach()))
    assert np.allclose(logits, s * want, rtol=1e-5, atol=1e-5)


def test_training_reduces_loss_on_a_tiny_problem():
    torch.manual_seed(0)
    x = torch.randint(0, 4, (128, 8), generator=torch.Generator().manual_seed(0)).float()
    y = ((x[:, 0] + x[:, 1]) > x[:, 2] + x[:, 3]).long()
    net = torch.nn.Sequential(QuantLinear(8, 16, in_bits=2, fan_in=4, seed=0),
                              QuantScores(16, 2, in_bits=2, seed=1))
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    losses = []
    for _ in range(40):
        loss = torch.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        losses.append(float(loss.detach()))
        opt.step()
    for p in (net[0].weight, net[0].scale, net[0].bn.weight, net[1].weight, net[1].scale):
        assert p.grad is not None and float(p.grad.abs().sum()) > 0
    assert losses[-1] < 0.7 * losses[0]
    h = net[0](x)
    assert set(torch.unique(h).tolist()) <= {0.0, 1.0, 2.0, 3.0}


def test_eval_rejects_bad_codes():
    layer = QuantLinear(4, 2, in_bits=2, seed=0).eval()
    with pytest.raises(ValueError, match="integer codes"):
        layer(torch.full((1, 4), 0.5))
    with pytest.raises(ValueError, match="2-bit"):
        layer(torch.full((1, 4), 4))
    with pytest.raises(ValueError, match="weight_bits"):
        QuantLinear(4, 2, weight_bits=1)


def _digits_net(seed: int = 0) -> tuple[torch.nn.Sequential, np.ndarray, np.ndarray]:
    """A small net trained a few steps on digits (2-bit pixel codes); returns test codes."""
    enc = UniformEncoding(2, 4.0, 64)
    split = load_split(DIGITS_SPLIT)
    x = torch.from_numpy(enc.codes(split["x_train"])).float()
    y = torch.from_numpy(split["y_train"])
    net = torch.nn.Sequential(QuantLinear(64, 48, in_bits=2, fan_in=6, seed=seed),
                              QuantLinear(48, 24, in_bits=2, fan_in=8, seed=seed + 1),
                              QuantScores(24, 10, in_bits=2, seed=seed + 2))
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    for step in range(60):
        idx = slice((step * 64) % 1400, (step * 64) % 1400 + 64)
        loss = torch.nn.functional.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net.eval(), enc.codes(split["x_test"]), split["y_test"]


def test_digits_eval_equals_fold_and_checkpoint_round_trip(tmp_path):
    net, codes, labels = _digits_net()
    c = torch.from_numpy(codes)
    scores = net(c)
    h = c
    for m in net:
        h = m.fold()(h)
    assert torch.equal(scores, h)
    assert (scores.argmax(-1).numpy() == labels).mean() > 0.5  # it learned something
    for m in net[:2]:  # hidden layers agree with the float rule off ties
        want, margin = _np_quant_linear(m, c.numpy())
        got = m(c).numpy()
        assert np.array_equal(got[margin > 1e-9], want[margin > 1e-9])
        c = torch.from_numpy(got)
    path = save_qnn(tmp_path / "q.pt", net, encoding=UniformEncoding(2, 4.0, 64).to_dict(),
                    dataset=DIGITS_SPLIT)
    ckpt = read_file(path)
    layers = parse_checkpoint(ckpt, str(path))
    h = torch.from_numpy(codes)
    for m in layers:
        h = m(h)
    assert torch.equal(h, scores)
    assert np.array_equal(_np_chain(ckpt["layers"], ckpt["state_dict"], codes), scores.numpy())


def test_bundled_checkpoint_meets_its_metrics():
    ckpt = read_file(BUNDLED)
    layers = parse_checkpoint(ckpt, str(BUNDLED))
    assert [s["type"] for s in ckpt["layers"]] == ["linear", "linear", "scores"]
    enc = UniformEncoding.from_dict(ckpt["encoding"])
    split = load_split(ckpt["dataset"])
    codes = enc.codes(split["x_test"])
    scores = _np_chain(ckpt["layers"], ckpt["state_dict"], codes)
    h = torch.from_numpy(codes)
    for m in layers:
        h = m(h)
    assert np.array_equal(h.numpy(), scores)
    acc = float((scores.argmax(-1) == split["y_test"]).mean())
    assert acc == ckpt["metrics"]["test_accuracy"] and acc >= 0.9
    assert int(layers[0].fan_in().max()) <= ckpt["metrics"]["fan_in"]


def test_training_script_runs_and_saves(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "train_quant_digits", ROOT / "examples" / "train_quant_digits.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "d.pt"
    metrics = mod.train(out, widths=(16,), epochs=2, threads=None, log=None)
    ckpt = read_file(out)
    assert ckpt["metrics"] == metrics and ckpt["dataset"] == DIGITS_SPLIT
    assert len(parse_checkpoint(ckpt, str(out))) == 2
