"""The training loop, data tensors and command-line options the example training scripts share.

``examples/train_*.py`` train different networks (logic gates, binary, quantized, Brevitas) on
the same digits split with the same recipe: seed torch, turn the split into float32 tensors,
then Adam (optionally with a cosine schedule) over seeded minibatch permutations, with a hook
after each optimizer step (weight clamping, fan-in masks). :func:`fit` is that loop; the RNG
it consumes, and the order it consumes it in, are fixed, so a seed gives the same weights.
:func:`progress` logs a run's epochs, :func:`log_and_save` its metrics and checkpoint, and
:func:`parser` / :func:`add_options` give the scripts their common command-line options.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn


def seed_torch(seed: int, threads: int | None = None) -> None:
    """Set torch's thread count (unless ``threads`` is None or 0) and seed its global RNG."""
    if threads:
        torch.set_num_threads(int(threads))
    torch.manual_seed(seed)


def split_tensors(split: dict[str, np.ndarray], features: Callable[[np.ndarray], np.ndarray]
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x_train, y_train, x_test, y_test)`` of a :func:`~gatecomp.nn.load_split` split.

    ``features`` maps the raw pixels to the network's input (an encoding, a scaling); its
    result becomes a float32 tensor, the labels int64 tensors.
    """
    def x(raw: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.asarray(features(raw)).astype(np.float32))

    return (x(split["x_train"]), torch.from_numpy(split["y_train"]),
            x(split["x_test"]), torch.from_numpy(split["y_test"]))


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *,
             float32_mean: bool = False) -> float:
    """Accuracy of the eval-mode forward (first-index argmax); the model's mode is restored.

    The fraction is ``correct / len(y)`` in Python floats, or with ``float32_mean`` the mean
    of the hits in float32 (what the Brevitas examples have always recorded).
    """
    was = model.training
    model.eval()
    with torch.no_grad():
        hits = model(x).argmax(-1) == y
        acc = float(hits.float().mean()) if float32_mean else int(hits.sum()) / len(y)
    model.train(was)
    return acc


@dataclass(frozen=True)
class EpochStats:
    """One epoch of :func:`fit`."""

    epoch: int
    #: mean training loss over the epoch's samples
    loss: float
    #: loss of the epoch's last minibatch
    last_loss: float
    #: accuracy of the training-mode forward on the epoch's minibatches
    train_accuracy: float
    #: seconds since :func:`fit` started
    seconds: float


def fit(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int,
        lr: float, seed: int, cosine: bool = False, after_step: Callable[[], None] | None = None,
        report: Callable[[EpochStats], None] | None = None, every: int = 10
        ) -> list[EpochStats]:
    """Train ``model`` with Adam and cross-entropy on minibatches of ``(x, y)``.

    Each epoch puts the model in training mode and visits the samples in the order of
    ``torch.randperm`` from a generator seeded with ``seed`` (the global RNG is left to the
    model). ``cosine`` anneals the learning rate over ``epochs``; ``after_step`` runs under
    ``torch.no_grad()`` after every optimizer step; ``report`` gets every ``every``-th epoch's
    statistics and the last one's. Returns the statistics of all epochs.
    """
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs) if cosine else None
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    history: list[EpochStats] = []
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(len(x), generator=gen)
        total, correct, last = 0.0, 0, 0.0
        for at in range(0, len(perm), batch_size):
            idx = perm[at:at + batch_size]
            logits = model(x[idx])
            loss = loss_fn(logits, y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if after_step is not None:
                with torch.no_grad():
                    after_step()
            last = float(loss.detach())
            total += last * len(idx)
            correct += int((logits.detach().argmax(-1) == y[idx]).sum())
        if sched is not None:
            sched.step()
        stats = EpochStats(epoch, total / len(x), last, correct / len(x),
                           time.perf_counter() - start)
        history.append(stats)
        if report is not None and (epoch % every == 0 or epoch == epochs):
            report(stats)
    return history


Split = tuple[torch.Tensor, torch.Tensor]


def progress(log: Callable[[str], None], name: str,
             evaluate: Callable[[nn.Module, torch.Tensor, torch.Tensor], float],
             model: nn.Module, train: Split, test: Split, *, train_mode: bool = False
             ) -> Callable[[EpochStats], None]:
    """A ``report`` for :func:`fit` that logs ``epoch E  loss L  NAME train A  test A  (S s)``.

    ``evaluate(model, x, y)`` gives the accuracies on the ``train`` and ``test`` tensors;
    ``train_mode`` also logs the epoch's training-mode accuracy (``float(train mode) A``).
    """
    def report(s: EpochStats) -> None:
        float_part = f"float(train mode) {s.train_accuracy:.4f}  " if train_mode else ""
        log(f"epoch {s.epoch:4d}  loss {s.loss:.4f}  {float_part}"
            f"{name} train {evaluate(model, *train):.4f}  "
            f"test {evaluate(model, *test):.4f}  ({s.seconds:.0f} s)")

    return report


def log_and_save(metrics: dict, output: str | Path | None, log: Callable[[str], None],
                 save: Callable[..., object], *args: object, **kwargs: object) -> dict:
    """Log ``metrics`` as JSON; then, unless ``output`` is None, call
    ``save(output, *args, metrics=metrics, **kwargs)`` (a checkpoint writer such as
    :func:`gatecomp.frontends.bnn.formats.save_bnn`) and log the path. Returns ``metrics``."""
    log(json.dumps(metrics))
    if output is not None:
        save(output, *args, metrics=metrics, **kwargs)
        log(f"saved {output}")
    return metrics


def parser(doc: str, *, output: str, widths: Sequence[int], output_help: str | None = None,
           widths_help: str | None = None) -> argparse.ArgumentParser:
    """A script's parser (described by its docstring's first line) with ``-o/--output`` and
    ``--widths`` (comma-separated, see :func:`parse_widths`)."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("-o", "--output", default=output, help=output_help)
    p.add_argument("--widths", default=",".join(map(str, widths)), help=widths_help)
    return p


def add_options(parser: argparse.ArgumentParser, *, epochs: int, batch_size: int | None = None,
                lr: float | None = None, seed: int = 0) -> None:
    """``--epochs``, ``--batch-size`` and ``--lr`` (where given a default) and ``--seed``."""
    parser.add_argument("--epochs", type=int, default=epochs)
    if batch_size is not None:
        parser.add_argument("--batch-size", type=int, default=batch_size)
    if lr is not None:
        parser.add_argument("--lr", type=float, default=lr)
    parser.add_argument("--seed", type=int, default=seed)


def parse_widths(text: str) -> tuple[int, ...]:
    """``"128,64"`` -> ``(128, 64)`` (empty items skipped)."""
    return tuple(int(w) for w in text.split(",") if w)
