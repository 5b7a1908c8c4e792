"""Train a small 2-bit sparse (LogicNets-style) MLP on scikit-learn's 8x8 digits.

Offline, deterministic, well under a minute on two CPU cores. The bundled
``gatecomp/examples/digits_qnn.pt`` was made with the defaults::

    python examples/train_quant_digits.py -o gatecomp/examples/digits_qnn.pt

Pipeline: quantize the 64 pixels (0..16) to 2-bit codes with ``UniformEncoding(2, 4.0, 64)``
(``code = clamp(round(x / 4), 0, 3)``), train ``QuantLinear`` layers (ternary weights with a
learned per-neuron scale, a fixed random fan-in mask, batch norm and a 2-bit clipped ReLU,
straight-through estimators) and a ``QuantScores`` classifier with Adam, then fold every layer
into its integer form (:mod:`gatecomp.nn.integer`) and measure the accuracy of the *integer*
network (what the hardware computes). The float eval forward (batch norm in float32) is
compared with it: samples where the two differ sit on a float tie and are reported. Saves the
``gatecomp.qnn`` v1 checkpoint.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import nn

from gatecomp.frontends.qnn.formats import save_qnn
from gatecomp.nn import (
    DIGITS_SPLIT,
    QuantLinear,
    QuantScores,
    UniformEncoding,
    load_split,
    training,
)

DEFAULT_WIDTHS = (128, 64)
DEFAULT_FAN_IN = 6
#: 2-bit pixel codes: round(x / 4) clipped to 0..3 (cuts near 2, 6, 10 like the thermometer code)
ENCODING = UniformEncoding(bits=2, scale=4.0, num_features=64)


def build_qnn(encoding: UniformEncoding, widths: Sequence[int], num_classes: int, *,
              fan_in: int | None, scores_fan_in: int | None, weight_bits: int, act_bits: int,
              seed: int) -> nn.Sequential:
    """``QuantLinear`` layers of the given widths, then a ``QuantScores`` classifier."""
    layers: list[nn.Module] = []
    in_dim, in_bits = encoding.num_features, encoding.bits
    for i, w in enumerate(widths):
        layers.append(QuantLinear(in_dim, w, weight_bits=weight_bits, act_bits=act_bits,
                                  in_bits=in_bits, fan_in=fan_in, seed=seed + i))
        in_dim, in_bits = w, layers[-1].out_bits
    layers.append(QuantScores(in_dim, num_classes, weight_bits=weight_bits, in_bits=in_bits,
                              fan_in=scores_fan_in, seed=seed + len(widths)))
    return nn.Sequential(*layers)


def float_eval_disagreements(model: nn.Sequential, x: torch.Tensor) -> int:
    """Samples whose float32 eval forward (batch norm, rounding) differs from the integer one."""
    model.eval()
    *hidden, scores = model  # QuantLinear layers, then the QuantScores classifier
    with torch.no_grad():
        h = x
        for m in hidden:
            h = m.float_forward(h)
        s_float = h @ scores.int_weight().to(torch.float32).T + scores.int_bias().to(torch.float32)
        s_int = model(x)
    return int((s_float.argmax(-1) != s_int.argmax(-1)).sum())


def train(output: str | Path | None = "digits_qnn.pt", widths: Sequence[int] = DEFAULT_WIDTHS,
          fan_in: int | None = DEFAULT_FAN_IN, scores_fan_in: int | None = None,
          weight_bits: int = 2, act_bits: int = 2, epochs: int = 100, batch_size: int = 64,
          lr: float = 0.01, seed: int = 0, threads: int | None = 2,
          log: Callable[[str], None] | None = print) -> dict:
    """Train the digits QNN and (unless ``output`` is None) save our checkpoint.

    Returns the metrics dict (also stored in the checkpoint): float-training and integer
    train/test accuracy, float-eval disagreements, sizes, fan-in, epochs, seconds.
    """
    log = log or (lambda _msg: None)
    training.seed_torch(seed, threads)
    encoding = ENCODING
    x_tr, y_tr, x_te, y_te = training.split_tensors(load_split(DIGITS_SPLIT), encoding.codes)

    model = build_qnn(encoding, widths, 10, fan_in=fan_in, scores_fan_in=scores_fan_in,
                      weight_bits=weight_bits, act_bits=act_bits, seed=seed)
    report = training.progress(log, "integer", training.accuracy, model, (x_tr, y_tr),
                               (x_te, y_te), train_mode=True)
    start = time.perf_counter()
    history = training.fit(model, x_tr, y_tr, epochs=epochs, batch_size=batch_size, lr=lr,
                           seed=seed, cosine=True, report=report)
    float_train_acc = history[-1].train_accuracy if history else 0.0
    model.eval()
    metrics = {
        "test_accuracy": training.accuracy(model, x_te, y_te),
        "train_accuracy": training.accuracy(model, x_tr, y_tr),
        "float_train_mode_accuracy_last_epoch": float_train_acc,
        "float_eval_disagreements_test": float_eval_disagreements(model, x_te),
        "test_samples": len(y_te),
        "layer_sizes": [encoding.num_features, *widths, 10],
        "fan_in": fan_in,
        "scores_fan_in": scores_fan_in,
        "weight_bits": weight_bits,
        "act_bits": act_bits,
        "input_bits": encoding.bits,
        "epochs": epochs,
        "train_seconds": round(time.perf_counter() - start, 1),
    }
    config = {"widths": list(widths), "fan_in": fan_in, "scores_fan_in": scores_fan_in,
              "weight_bits": weight_bits, "act_bits": act_bits, "epochs": epochs,
              "batch_size": batch_size, "lr": lr, "seed": seed, "optimizer": "Adam+cosine",
              "torch": str(torch.__version__)}
    return training.log_and_save(
        metrics, output, log, save_qnn, model, encoding=encoding.to_dict(), dataset=DIGITS_SPLIT,
        folding={"rule": "gatecomp.nn.quant (ceil; A < 0 negates)"}, training=config)


def _optional_int(text: str) -> int | None:
    return None if text.lower() in ("", "none", "dense") else int(text)


def main(argv: Sequence[str] | None = None) -> None:
    p = training.parser(__doc__, output="digits_qnn.pt", output_help="checkpoint to write",
                        widths=DEFAULT_WIDTHS, widths_help="comma-separated hidden layer widths")
    p.add_argument("--fan-in", type=_optional_int, default=DEFAULT_FAN_IN,
                   help="inputs per hidden neuron ('dense' for all)")
    p.add_argument("--scores-fan-in", type=_optional_int, default=None,
                   help="inputs per class score (default: dense)")
    p.add_argument("--weight-bits", type=int, default=2)
    p.add_argument("--act-bits", type=int, default=2)
    training.add_options(p, epochs=100, batch_size=64, lr=0.01)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    train(a.output, training.parse_widths(a.widths), a.fan_in, a.scores_fan_in, a.weight_bits,
          a.act_bits, a.epochs, a.batch_size, a.lr, a.seed, a.threads)


if __name__ == "__main__":
    main()
