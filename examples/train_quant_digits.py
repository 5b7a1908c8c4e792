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

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import nn

from gatecomp.frontends.qnn.formats import save_qnn
from gatecomp.nn import DIGITS_SPLIT, QuantLinear, QuantScores, UniformEncoding, load_split

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


def integer_accuracy(model: nn.Sequential, x: torch.Tensor, y: torch.Tensor) -> float:
    """Accuracy of the eval-mode (integer) network: first-index argmax of the integer scores."""
    was = model.training
    model.eval()
    with torch.no_grad():
        acc = int((model(x).argmax(-1) == y).sum()) / len(y)
    model.train(was)
    return acc


def float_eval_disagreements(model: nn.Sequential, x: torch.Tensor) -> int:
    """Samples whose float32 eval forward (batch norm, rounding) differs from the integer one."""
    model.eval()
    with torch.no_grad():
        h_float, h_int = x, x
        for m in model:
            if isinstance(m, QuantLinear):
                h_float = m.float_forward(h_float)
                h_int = m(h_int)
                continue
            w = m.int_weight().to(torch.float32)
            s_float = h_float @ w.T + m.int_bias().to(torch.float32)
            s_int = m(h_int)
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
    if threads:
        torch.set_num_threads(int(threads))
    torch.manual_seed(seed)
    encoding = ENCODING
    split = load_split(DIGITS_SPLIT)
    x_tr = torch.from_numpy(encoding.codes(split["x_train"])).to(torch.float32)
    x_te = torch.from_numpy(encoding.codes(split["x_test"])).to(torch.float32)
    y_tr = torch.from_numpy(split["y_train"])
    y_te = torch.from_numpy(split["y_test"])

    model = build_qnn(encoding, widths, 10, fan_in=fan_in, scores_fan_in=scores_fan_in,
                      weight_bits=weight_bits, act_bits=act_bits, seed=seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    float_train_acc = 0.0
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(len(x_tr), generator=gen)
        total, correct = 0.0, 0
        for at in range(0, len(perm), batch_size):
            idx = perm[at:at + batch_size]
            logits = model(x_tr[idx])
            loss = loss_fn(logits, y_tr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            correct += int((logits.detach().argmax(-1) == y_tr[idx]).sum())
        sched.step()
        float_train_acc = correct / len(x_tr)
        if epoch % 10 == 0 or epoch == epochs:
            log(f"epoch {epoch:4d}  loss {total / len(x_tr):.4f}  "
                f"float(train mode) {float_train_acc:.4f}  "
                f"integer train {integer_accuracy(model, x_tr, y_tr):.4f}  "
                f"test {integer_accuracy(model, x_te, y_te):.4f}  "
                f"({time.perf_counter() - start:.0f} s)")
    model.eval()
    metrics = {
        "test_accuracy": integer_accuracy(model, x_te, y_te),
        "train_accuracy": integer_accuracy(model, x_tr, y_tr),
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
    log(json.dumps(metrics))
    if output is not None:
        save_qnn(output, model, encoding=encoding.to_dict(), dataset=DIGITS_SPLIT,
                 metrics=metrics, folding={"rule": "gatecomp.nn.quant (ceil; A < 0 negates)"},
                 training=config)
        log(f"saved {output}")
    return metrics


def _optional_int(text: str) -> int | None:
    return None if text.lower() in ("", "none", "dense") else int(text)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-o", "--output", default="digits_qnn.pt", help="checkpoint to write")
    p.add_argument("--widths", default=",".join(map(str, DEFAULT_WIDTHS)),
                   help="comma-separated hidden layer widths")
    p.add_argument("--fan-in", type=_optional_int, default=DEFAULT_FAN_IN,
                   help="inputs per hidden neuron ('dense' for all)")
    p.add_argument("--scores-fan-in", type=_optional_int, default=None,
                   help="inputs per class score (default: dense)")
    p.add_argument("--weight-bits", type=int, default=2)
    p.add_argument("--act-bits", type=int, default=2)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    train(a.output, tuple(int(w) for w in a.widths.split(",") if w), a.fan_in,
          a.scores_fan_in, a.weight_bits, a.act_bits, a.epochs, a.batch_size, a.lr, a.seed,
          a.threads)


if __name__ == "__main__":
    main()
