"""Small random integer networks for the QNN tests (mixed signs, zeros, biases, odd thresholds).

Thresholds are drawn from slightly beyond each neuron's reachable accumulator range, so some
are always or never passed (constant levels), some repeat (equal thresholds), and some sit
exactly on reachable accumulator values (ties: ``acc >= T`` passes on equality).
"""

from __future__ import annotations

import numpy as np

from gatecomp.nn import IntLinear, IntScores, code_bits


def random_qnn(widths: list[int], in_dim: int, k: int, *, in_bits: int = 2,
               levels: tuple[int, ...] = (3,), fan_in: int | None = None, wmax: int = 3,
               seed: int = 0) -> list:
    """``IntLinear`` layers of the given widths (levels cycling through ``levels``), then
    ``IntScores`` with ``k`` classes. ``fan_in`` makes every neuron read that many inputs
    (LogicNets-style sparse rows; the scores stay dense)."""
    rng = np.random.default_rng(seed)
    layers: list = []
    d, bits, cmax = in_dim, in_bits, (1 << in_bits) - 1
    for i, w in enumerate(widths):
        lv = levels[i % len(levels)]
        weight = rng.integers(-wmax, wmax + 1, (w, d))
        if fan_in is not None:
            mask = np.zeros((w, d), dtype=bool)
            for j in range(w):
                mask[j, rng.choice(d, min(fan_in, d), replace=False)] = True
            weight = np.where(mask, weight, 0)
        bias = rng.integers(-4, 5, w)
        lo = bias + cmax * np.minimum(weight, 0).sum(axis=1)
        hi = bias + cmax * np.maximum(weight, 0).sum(axis=1)
        thr = np.sort(rng.integers(lo - 2, hi + 3, (lv, w)).T, axis=1)
        layers.append(IntLinear(weight, bias, thr, in_bits=bits))
        d, bits, cmax = w, code_bits(lv), lv
    weight = rng.integers(-wmax, wmax + 1, (k, d))
    layers.append(IntScores(weight, rng.integers(-5, 6, k), in_bits=bits))
    return layers


def all_inputs(n: int) -> np.ndarray:
    """Every ``n``-bit input vector, (2**n, n) bool."""
    return ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(bool)


def digits_qnn(hidden: int = 32, fan_in: int = 4, seed: int = 0):
    """A small QNN on the 8x8 digits with 2-bit uniform input codes, fitted without training.

    Hidden layer: ``hidden`` sparse neurons with random weights in {-2, -1, 1, 2} and three
    thresholds at the quartiles of their training accumulators (2-bit output codes); scores:
    least squares on the hidden codes, rounded to integers in [-3, 3]. About 73% test
    accuracy with the defaults. Returns ``(layers, encoding)``.
    """
    import torch

    from gatecomp.nn import DIGITS_SPLIT, UniformEncoding, load_split

    rng = np.random.default_rng(seed)
    enc = UniformEncoding(2, 5.0, 64)
    data = load_split(DIGITS_SPLIT)
    codes = enc.codes(data["x_train"])
    w = np.zeros((hidden, 64), dtype=np.int64)
    for j in range(hidden):
        w[j, rng.choice(64, fan_in, replace=False)] = rng.choice([-2, -1, 1, 2], fan_in)
    acc = codes @ w.T
    thr = np.ceil(np.stack([np.quantile(acc, q, axis=0) for q in (0.25, 0.5, 0.75)], axis=1))
    hid = IntLinear(w, np.zeros(hidden), thr.astype(np.int64), in_bits=2)
    with torch.no_grad():
        h = hid(torch.from_numpy(codes)).numpy()
    x = np.hstack([h, np.ones((len(h), 1))])
    beta = np.linalg.lstsq(x, np.eye(10)[data["y_train"]], rcond=None)[0]
    scale = 3 / np.abs(beta[:-1]).max()
    scores = IntScores(np.round(beta[:-1].T * scale).astype(np.int64),
                       np.round(beta[-1] * scale).astype(np.int64), in_bits=2)
    return [hid, scores], enc
