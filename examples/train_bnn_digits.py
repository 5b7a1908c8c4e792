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

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gatecomp.frontends.bnn.formats import save_bnn
from gatecomp.nn import DIGITS_SPLIT, BinaryLinear, BinaryScores, digits_encoding, load_split

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


def integer_accuracy(model: nn.Sequential, x: torch.Tensor, y: torch.Tensor) -> float:
    """Accuracy of the eval-mode (integer) network: argmax of the popcounts, first index."""
    was = model.training
    model.eval()
    with torch.no_grad():
        acc = int((model(x).argmax(-1) == y).sum()) / len(y)
    model.train(was)
    return acc


def float_eval_disagreements(model: nn.Sequential, x: torch.Tensor) -> int:
    """Samples whose float32 eval forward (batch norm, sign) differs from the integer one."""
    model.eval()
    with torch.no_grad():
        h_float, h_int = x, x
        for m in model:
            if isinstance(m, BinaryLinear):
                y = (2 * h_float - 1) @ torch.where(m.weight >= 0, 1.0, -1.0).T
                h_float = (m.bn(y) >= 0).to(torch.float32)
            else:
                h_float = ((2 * h_float - 1) @ torch.where(m.weight >= 0, 1.0, -1.0).T)
            h_int = m(h_int)
        scores_int = 2 * h_int - model[-1].in_dim  # counts -> +-1 dot products
    return int((h_float != scores_int.to(h_float.dtype)).any(-1).sum())


def train(output: str | Path | None = "digits_bnn.pt", widths: Sequence[int] = DEFAULT_WIDTHS,
          epochs: int = 60, batch_size: int = 64, lr: float = 0.01, seed: int = 0,
          threads: int | None = 2, log: Callable[[str], None] | None = print) -> dict:
    """Train the digits BNN and (unless ``output`` is None) save our checkpoint.

    Returns the metrics dict (also stored in the checkpoint): integer train/test accuracy,
    float-eval disagreements on the test split, sizes, epochs, seconds.
    """
    log = log or (lambda _msg: None)
    if threads:
        torch.set_num_threads(int(threads))
    torch.manual_seed(seed)
    encoding = digits_encoding()
    split = load_split(DIGITS_SPLIT)
    x_tr = torch.from_numpy(encoding.encode(split["x_train"]).astype(np.float32))
    x_te = torch.from_numpy(encoding.encode(split["x_test"]).astype(np.float32))
    y_tr = torch.from_numpy(split["y_train"])
    y_te = torch.from_numpy(split["y_test"])

    model = build_bnn(encoding.width, widths, 10, seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    latent = [m.weight for m in model if isinstance(m, (BinaryLinear, BinaryScores))]
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(len(x_tr), generator=gen)
        total = 0.0
        for at in range(0, len(perm), batch_size):
            idx = perm[at:at + batch_size]
            loss = loss_fn(model(x_tr[idx]), y_tr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():  # BinaryConnect: keep latent weights where signs can flip
                for w in latent:
                    w.clamp_(-1.0, 1.0)
            total += float(loss.detach()) * len(idx)
        sched.step()
        if epoch % 10 == 0 or epoch == epochs:
            log(f"epoch {epoch:4d}  loss {total / len(x_tr):.4f}  "
                f"integer train {integer_accuracy(model, x_tr, y_tr):.4f}  "
                f"test {integer_accuracy(model, x_te, y_te):.4f}  "
                f"({time.perf_counter() - start:.0f} s)")
    model.eval()
    metrics = {
        "test_accuracy": integer_accuracy(model, x_te, y_te),
        "train_accuracy": integer_accuracy(model, x_tr, y_tr),
        "float_eval_disagreements_test": float_eval_disagreements(model, x_te),
        "test_samples": len(y_te),
        "layer_sizes": [encoding.width, *widths, 10],
        "epochs": epochs,
        "train_seconds": round(time.perf_counter() - start, 1),
    }
    config = {"widths": list(widths), "epochs": epochs, "batch_size": batch_size, "lr": lr,
              "seed": seed, "optimizer": "Adam+cosine", "torch": str(torch.__version__)}
    log(json.dumps(metrics))
    if output is not None:
        save_bnn(output, model, encoding=encoding, dataset=DIGITS_SPLIT, metrics=metrics,
                 training=config)
        log(f"saved {output}")
    return metrics


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-o", "--output", default="digits_bnn.pt", help="checkpoint to write")
    p.add_argument("--widths", default=",".join(map(str, DEFAULT_WIDTHS)),
                   help="comma-separated hidden layer widths")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    train(a.output, tuple(int(w) for w in a.widths.split(",") if w), a.epochs, a.batch_size,
          a.lr, a.seed, a.threads)


if __name__ == "__main__":
    main()
