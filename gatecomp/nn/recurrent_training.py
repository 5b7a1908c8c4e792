"""Training a :class:`~.recurrent.RecurrentLogic` on a recorded split: one recipe for every
sequence task (digits rows, MNIST-1D chunks), so the scripts differ only in how a sample
becomes steps of bits.

The recipe backpropagates through all steps with the relaxed gates and reports the metrics of
the discrete (eval-mode) network, which is what the compiled sequential circuit computes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch

from . import training
from .datasets import load_split
from .recurrent import RecurrentLogic


@dataclass(frozen=True)
class RecurrentRecipe:
    """The architecture and optimizer settings; recorded in the checkpoint as ``training``."""

    state_dim: int
    step_widths: tuple[int, ...]
    readout_widths: tuple[int, ...]
    tau: float
    epochs: int
    batch_size: int = 128
    lr: float = 0.05
    seed: int = 0


@dataclass(frozen=True)
class TrainedRecurrent:
    """The eval-mode model, its metrics and the recipe as the checkpoint records it."""

    model: RecurrentLogic
    metrics: dict
    config: dict


def train_recurrent(split_name: str, width: int, steps: int,
                    features: Callable[[np.ndarray], np.ndarray], recipe: RecurrentRecipe,
                    threads: int | None, log: Callable[[str], None]) -> TrainedRecurrent:
    """Fit a recurrent net with ``width`` input bits per step on ``split_name`` (raw samples ->
    ``features`` -> (samples, steps, width) bits); the initial state is learned."""
    training.seed_torch(recipe.seed, threads)
    x_tr, y_tr, x_te, y_te = training.split_tensors(load_split(split_name), features)
    model = RecurrentLogic(width, recipe.state_dim, recipe.step_widths, recipe.readout_widths,
                           10, recipe.tau, learn_init=True, seed=recipe.seed, init="residual")
    report = training.progress(log, "discrete", training.accuracy, model, (x_tr, y_tr),
                               (x_te, y_te))
    start = time.perf_counter()
    training.fit(model, x_tr, y_tr, epochs=recipe.epochs, batch_size=recipe.batch_size,
                 lr=recipe.lr, seed=recipe.seed, report=report, every=5)
    model.train()
    with torch.no_grad():
        relaxed = int((model(x_te).argmax(-1) == y_te).sum()) / len(y_te)
    model.eval()
    gates = sum(m.out_dim for m in (*model.step, *model.readout))
    metrics = {"test_accuracy": training.accuracy(model, x_te, y_te),
               "train_accuracy": training.accuracy(model, x_tr, y_tr),
               "relaxed_test_accuracy": relaxed, "test_samples": len(y_te),
               "logic_gates": int(gates), "state_width": recipe.state_dim, "steps": steps,
               "epochs": recipe.epochs,
               "train_seconds": round(time.perf_counter() - start, 1)}
    config = {**asdict(recipe), "step_widths": list(recipe.step_widths),
              "readout_widths": list(recipe.readout_widths), "init": "residual",
              "learn_init": True, "optimizer": "Adam", "torch": str(torch.__version__)}
    return TrainedRecurrent(model, metrics, config)


def widths(values: Sequence[int]) -> tuple[int, ...]:
    """Layer widths as the recipe stores them."""
    return tuple(int(v) for v in values)
