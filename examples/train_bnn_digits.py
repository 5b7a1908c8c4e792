"""Train a small binary (XNOR-popcount) network on scikit-learn's 8x8 digits.

Offline, deterministic, a few seconds on a laptop CPU. The bundled
``gatecomp/examples/digits_bnn.pt`` was made with the defaults::

    python examples/train_bnn_digits.py -o gatecomp/examples/digits_bnn.pt

Pipeline: thermometer-encode the 64 pixels into 192 bits (as ``examples/train_digits.py``),
train ``BinaryLinear`` layers (sign weights and activations, straight-through estimators, batch
norm) and a ``BinaryScores`` classifier with Adam, then fold every batch norm into integer
thresholds and measure the accuracy of the *integer* network (what the hardware computes). The
float eval forward (batch norm in float32, then sign) is compared with it too: samples where the
two differ sit on a float tie and are reported. Saves the ``gatecomp.bnn`` v1 checkpoint.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import nn

from gatecomp.frontends.bnn.formats import save_bnn
from gatecomp.nn import (
    DIGITS_SPLIT,
    BinaryLinear,
    BinaryScores,
    digits_encoding,
    load_split,
    training,
)

DEFAULT_WIDTHS = (64,)


def build_bnn(input_width: int, widths: Sequence[int], num_classes: int, seed: int
              ) -> nn.Sequential:
    """``BinaryLinear`` layers of the given widths, then a ``BinaryScores`` classifier."""
    layers: list[nn.Module] = []
    in_dim = input_width
    for i, w in enumerate(widths):
        layers.append(BinaryLinear(in_dim, w, seed=seed + i))
        in_dim = w
    layers.append(BinaryScores(in_dim, num_classes, seed=seed + len(widths)))
    return nn.Sequential(*layers)


def float_eval_disagreements(model: nn.Sequential, x: torch.Tensor) -> int:
    """Samples whose float32 eval forward (batch norm, sign) differs from the integer one."""
    model.eval()
    with torch.no_grad():
        scores_int = 2 * model(x) - model[-1].in_dim  # counts -> +-1 dot products
        h = x
        for m in model:
            y = (2 * h - 1) @ torch.where(m.weight >= 0, 1.0, -1.0).T
            h = (m.bn(y) >= 0).to(torch.float32) if isinstance(m, BinaryLinear) else y
    return int((h != scores_int.to(h.dtype)).any(-1).sum())


def train(output: str | Path | None = "digits_bnn.pt", widths: Sequence[int] = DEFAULT_WIDTHS,
          epochs: int = 60, batch_size: int = 64, lr: float = 0.01, seed: int = 0,
          threads: int | None = 2, log: Callable[[str], None] | None = print) -> dict:
    """Train the digits BNN and (unless ``output`` is None) save our checkpoint.

    Returns the metrics dict (also stored in the checkpoint): integer train/test accuracy,
    float-eval disagreements on the test split, sizes, epochs, seconds.
    """
    log = log or (lambda _msg: None)
    training.seed_torch(seed, threads)
    encoding = digits_encoding()
    x_tr, y_tr, x_te, y_te = training.split_tensors(load_split(DIGITS_SPLIT), encoding.encode)

    model = build_bnn(encoding.width, widths, 10, seed)
    latent = [m.weight for m in model if isinstance(m, (BinaryLinear, BinaryScores))]

    def clamp_latent() -> None:  # BinaryConnect: keep latent weights where signs can flip
        for w in latent:
            w.clamp_(-1.0, 1.0)

    report = training.progress(log, "integer", training.accuracy, model, (x_tr, y_tr),
                               (x_te, y_te))
    start = time.perf_counter()
    training.fit(model, x_tr, y_tr, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                 cosine=True, after_step=clamp_latent, report=report)
    model.eval()
    metrics = {
        "test_accuracy": training.accuracy(model, x_te, y_te),
        "train_accuracy": training.accuracy(model, x_tr, y_tr),
        "float_eval_disagreements_test": float_eval_disagreements(model, x_te),
        "test_samples": len(y_te),
        "layer_sizes": [encoding.width, *widths, 10],
        "epochs": epochs,
        "train_seconds": round(time.perf_counter() - start, 1),
    }
    config = {"widths": list(widths), "epochs": epochs, "batch_size": batch_size, "lr": lr,
              "seed": seed, "optimizer": "Adam+cosine", "torch": str(torch.__version__)}
    return training.log_and_save(metrics, output, log, save_bnn, model, encoding=encoding,
                                 dataset=DIGITS_SPLIT, training=config)


def main(argv: Sequence[str] | None = None) -> None:
    p = training.parser(__doc__, output="digits_bnn.pt", output_help="checkpoint to write",
                        widths=DEFAULT_WIDTHS, widths_help="comma-separated hidden layer widths")
    training.add_options(p, epochs=60, batch_size=64, lr=0.01)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    train(a.output, training.parse_widths(a.widths), a.epochs, a.batch_size, a.lr, a.seed,
          a.threads)


if __name__ == "__main__":
    main()
