"""Train a small difflogic-style logic gate network on scikit-learn's 8x8 digits.

Offline (the digits ship with scikit-learn), deterministic (fixed seeds, fixed split) and small
enough for a laptop CPU: the bundled ``gatecomp/examples/digits_dlgn.pt`` was made with the
defaults::

    python examples/train_digits.py -o gatecomp/examples/digits_dlgn.pt

Pipeline: thermometer-encode the 64 pixels (values 0..16) into 192 bits, train a stack of
:class:`gatecomp.nn.LogicLayer` + :class:`gatecomp.nn.GroupSum` with Adam on the relaxed gates,
then measure the accuracy of the *discrete* (eval-mode) network, which is what the hardware
computes, and save our checkpoint format (``gatecomp.dlgn`` v1) with the metrics.

``train(...)`` is importable so other tools can call it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gatecomp.frontends.dlgn.formats import save_dlgn
from gatecomp.nn import DIGITS_SPLIT, GroupSum, LogicLayer, digits_encoding, load_split, training

DEFAULT_WIDTHS = (1200, 1200, 1200, 1000)


def build_dlgn(input_width: int, widths: Sequence[int], num_classes: int, tau: float,
               seed: int, parametrization: str = "raw", init: str = "random") -> nn.Sequential:
    """A stack of logic layers (first one with ``unique`` wiring) followed by a GroupSum."""
    layers: list[nn.Module] = []
    in_dim = input_width
    for i, width in enumerate(widths):
        layers.append(LogicLayer(in_dim, width, connections="unique" if i == 0 else "random",
                                 seed=seed + i, parametrization=parametrization, init=init))
        in_dim = width
    layers.append(GroupSum(num_classes, tau))
    return nn.Sequential(*layers)


def discrete_accuracy(model: nn.Sequential, x: torch.Tensor, y: torch.Tensor) -> float:
    """Accuracy of the eval-mode (discrete gate) network, argmax of the integer counts."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        h = x
        for layer in list(model)[:-1]:
            h = layer(h)
        counts = model[-1].counts(h)
        acc = int((counts.argmax(-1) == y).sum()) / len(y)
    model.train(was_training)
    return acc


def train(output: str | Path | None = "digits_dlgn.pt", widths: Sequence[int] = DEFAULT_WIDTHS,
          tau: float = 5.0, epochs: int = 150, batch_size: int = 128, lr: float = 0.01,
          seed: int = 0, thresholds: Sequence[float] | None = None,
          parametrization: str = "raw", init: str = "random", threads: int | None = 2,
          validation: float = 0.0, log: Callable[[str], None] | None = print) -> dict:
    """Train the digits DLGN and (unless ``output`` is None) save our checkpoint.

    ``validation`` > 0 holds out that fraction of the training split (stratified, seeded) and
    reports its discrete accuracy: use it, not the test split, to choose hyperparameters.
    Returns the metrics dict (also stored in the checkpoint): discrete train/test accuracy,
    relaxed test accuracy, gate count, epochs, seconds.
    """
    log = log or (lambda _msg: None)
    training.seed_torch(seed, threads)
    encoding = digits_encoding(tuple(thresholds)) if thresholds else digits_encoding()
    split = load_split(DIGITS_SPLIT)
    x_val = y_val = None
    if validation > 0:
        from sklearn.model_selection import train_test_split

        x_train, x_val, y_train, y_val = train_test_split(
            split["x_train"], split["y_train"], test_size=validation, random_state=seed,
            stratify=split["y_train"])
        split = {**split, "x_train": x_train, "y_train": y_train}
        x_val = torch.from_numpy(encoding.encode(x_val).astype(np.float32))
        y_val = torch.from_numpy(y_val)
    x_tr, y_tr, x_te, y_te = training.split_tensors(split, encoding.encode)

    model = build_dlgn(encoding.width, widths, 10, tau, seed, parametrization, init)
    report = training.progress(log, "discrete", discrete_accuracy, model, (x_tr, y_tr),
                               (x_te, y_te))
    start = time.perf_counter()
    training.fit(model, x_tr, y_tr, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                 report=report, every=25)
    model.train()
    with torch.no_grad():
        relaxed = int((model(x_te).argmax(-1) == y_te).sum()) / len(y_te)
    model.eval()
    metrics = {
        "test_accuracy": discrete_accuracy(model, x_te, y_te),
        "train_accuracy": discrete_accuracy(model, x_tr, y_tr),
        "relaxed_test_accuracy": relaxed,
        "test_samples": len(y_te),
        "logic_gates": int(sum(widths)),
        "epochs": epochs,
        "train_seconds": round(time.perf_counter() - start, 1),
    }
    if x_val is not None:
        metrics["validation_accuracy"] = discrete_accuracy(model, x_val, y_val)
    config = {"widths": list(widths), "tau": tau, "epochs": epochs, "batch_size": batch_size,
              "lr": lr, "seed": seed, "parametrization": parametrization, "init": init,
              "optimizer": "Adam", "torch": str(torch.__version__)}
    return training.log_and_save(metrics, output, log, save_dlgn, model, encoding=encoding,
                                 dataset=DIGITS_SPLIT, training=config)


def main(argv: Sequence[str] | None = None) -> None:
    p = training.parser(__doc__, output="digits_dlgn.pt", output_help="checkpoint to write",
                        widths=DEFAULT_WIDTHS,
                        widths_help="comma-separated logic layer widths (last one divisible by 10)")
    p.add_argument("--tau", type=float, default=5.0, help="GroupSum temperature")
    training.add_options(p, epochs=150, batch_size=128, lr=0.01)
    p.add_argument("--thresholds", default=None,
                   help="comma-separated thermometer thresholds (default 2,6,10)")
    p.add_argument("--parametrization", choices=("raw", "light"), default="raw")
    p.add_argument("--init", choices=("random", "residual"), default="random")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--validation", type=float, default=0.0,
                   help="hold out this fraction of the training split for model selection")
    p.add_argument("--metrics-json", default=None, help="also write the metrics to this file")
    a = p.parse_args(argv)
    metrics = train(a.output, tuple(int(w) for w in a.widths.split(",")), a.tau, a.epochs,
                    a.batch_size, a.lr, a.seed,
                    tuple(float(t) for t in a.thresholds.split(",")) if a.thresholds else None,
                    a.parametrization, a.init, a.threads, a.validation)
    if a.metrics_json:
        summary = {"checkpoint": Path(a.output).name, "metrics": metrics}
        if a.output:
            summary["hardware"] = gate_counts(a.output)
        Path(a.metrics_json).write_text(json.dumps(summary, indent=2) + "\n")


def gate_counts(checkpoint: str | Path) -> dict:
    """AND-gate counts of the compiled network (lowered, and after the cleanup pass)."""
    from gatecomp.aig import depth
    from gatecomp.frontends.dlgn import load_dlgn, lower_dlgn
    from gatecomp.passes import cleanup

    net = lower_dlgn(load_dlgn(checkpoint))
    clean, _ = cleanup(net.aig)
    return {"ands_lowered": net.aig.num_ands, "ands_after_cleanup": clean.num_ands,
            "levels_after_cleanup": depth(clean), "input_bits": net.aig.num_inputs}


if __name__ == "__main__":
    main()
