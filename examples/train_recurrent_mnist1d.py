"""Train a recurrent logic gate network that reads MNIST-1D signals a few samples per step.

MNIST-1D (PyPI ``mnist1d``, ``pip install 'gatecomp[datasets]'``) is generated offline with a
fixed seed: 4,000 training and 1,000 test signals of 40 samples, ten classes. Step ``t`` feeds
samples ``4t .. 4t+3`` (thermometer-coded with thresholds -1, -0.4, 0, 0.4, 1: 20 bits) and the
state of the step before through the step layers of a :class:`gatecomp.nn.recurrent.
RecurrentLogic`; after the 10th step its readout (logic layers + GroupSum) gives the class
counts. The initial state is learned. Training uses the relaxed gates (backpropagation through
all 10 steps); the metrics are those of the discrete (eval-mode) network, which the compiled
sequential circuit computes bit for bit. The bundled ``gatecomp/examples/mnist1d_recurrent.pt``
was made with the defaults::

    python examples/train_recurrent_mnist1d.py -o gatecomp/examples/mnist1d_recurrent.pt
    gatecomp compile gatecomp/examples/mnist1d_recurrent.pt -o build/m1d
    gatecomp verify build/m1d          # the 1,000 test signals, 4 samples per clock

``train(...)`` is importable so tests and other tools can call it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from gatecomp.frontends.recurrent import save_recurrent
from gatecomp.nn import (
    MNIST1D_LENGTH,
    MNIST1D_SPLIT,
    MNIST1D_THRESHOLDS,
    ThermometerEncoding,
    load_split,
    training,
)
from gatecomp.nn.recurrent import RecurrentLogic, rows_as_steps

SAMPLES_PER_STEP = 4  # 10 steps
DEFAULT_STEP_WIDTHS = (192,)
DEFAULT_READOUT_WIDTHS = (320,)


def step_encoding(samples_per_step: int = SAMPLES_PER_STEP) -> ThermometerEncoding:
    """The per-step input code: ``samples_per_step`` samples, thermometer-coded."""
    return ThermometerEncoding(MNIST1D_THRESHOLDS, samples_per_step)


def sequence_features(encoding: ThermometerEncoding) -> Callable[[np.ndarray], np.ndarray]:
    """Raw (signals, 40) samples -> (signals, steps, bits): one encoded chunk per step."""
    per_step = encoding.num_features

    def features(raw: np.ndarray) -> np.ndarray:
        chunks = rows_as_steps(raw, MNIST1D_LENGTH // per_step)
        return encoding.encode(chunks.reshape(-1, per_step)).reshape(*chunks.shape[:2], -1)

    return features


def train(output: str | Path | None = "mnist1d_recurrent.pt", state_dim: int = 96,
          step_widths: Sequence[int] = DEFAULT_STEP_WIDTHS,
          readout_widths: Sequence[int] = DEFAULT_READOUT_WIDTHS, tau: float = 8.0,
          epochs: int = 80, batch_size: int = 128, lr: float = 0.05, seed: int = 0,
          threads: int | None = 2, log: Callable[[str], None] | None = print,
          samples_per_step: int = SAMPLES_PER_STEP) -> dict:
    """Train the recurrent MNIST-1D network and (unless ``output`` is None) save our checkpoint.

    Returns the metrics (also stored in the checkpoint): discrete train/test accuracy, relaxed
    test accuracy, gates, state width, steps, epochs, seconds.
    """
    log = log or (lambda _msg: None)
    training.seed_torch(seed, threads)
    if MNIST1D_LENGTH % samples_per_step:
        raise ValueError(f"{samples_per_step} samples a step do not divide {MNIST1D_LENGTH}")
    steps = MNIST1D_LENGTH // samples_per_step
    encoding = step_encoding(samples_per_step)
    x_tr, y_tr, x_te, y_te = training.split_tensors(load_split(MNIST1D_SPLIT),
                                                    sequence_features(encoding))
    model = RecurrentLogic(encoding.width, state_dim, step_widths, readout_widths, 10, tau,
                           learn_init=True, seed=seed, init="residual")
    report = training.progress(log, "discrete", training.accuracy, model, (x_tr, y_tr),
                               (x_te, y_te))
    start = time.perf_counter()
    training.fit(model, x_tr, y_tr, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                 report=report, every=5)
    model.train()
    with torch.no_grad():
        relaxed = int((model(x_te).argmax(-1) == y_te).sum()) / len(y_te)
    model.eval()
    gates = sum(m.out_dim for m in (*model.step, *model.readout))
    metrics = {"test_accuracy": training.accuracy(model, x_te, y_te),
               "train_accuracy": training.accuracy(model, x_tr, y_tr),
               "relaxed_test_accuracy": relaxed, "test_samples": len(y_te),
               "logic_gates": int(gates), "state_width": state_dim, "steps": steps,
               "epochs": epochs, "train_seconds": round(time.perf_counter() - start, 1)}
    config = {"state_dim": state_dim, "step_widths": list(step_widths),
              "readout_widths": list(readout_widths), "tau": tau, "epochs": epochs,
              "batch_size": batch_size, "lr": lr, "seed": seed, "init": "residual",
              "learn_init": True, "optimizer": "Adam", "torch": str(torch.__version__)}
    return training.log_and_save(metrics, output, log, save_recurrent, model.eval(),
                                 steps=steps, encoding=encoding, dataset=MNIST1D_SPLIT,
                                 training=config)


def main(argv: Sequence[str] | None = None) -> None:
    p = training.parser(__doc__, output="mnist1d_recurrent.pt", output_help="checkpoint to write",
                        widths=DEFAULT_STEP_WIDTHS,
                        widths_help="comma-separated step layer widths before the last one "
                                    "(which has --state-dim gates)")
    p.add_argument("--state-dim", type=int, default=96, help="state bits (registers)")
    p.add_argument("--readout-widths", default=",".join(map(str, DEFAULT_READOUT_WIDTHS)),
                   help="comma-separated readout layer widths (last one divisible by 10)")
    p.add_argument("--tau", type=float, default=8.0, help="GroupSum temperature")
    training.add_options(p, epochs=80, batch_size=128, lr=0.05)
    p.add_argument("--samples-per-step", type=int, default=SAMPLES_PER_STEP,
                   help="signal samples fed per step (divides 40)")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    train(a.output, a.state_dim, training.parse_widths(a.widths),
          training.parse_widths(a.readout_widths), a.tau, a.epochs, a.batch_size, a.lr, a.seed,
          a.threads, samples_per_step=a.samples_per_step)


if __name__ == "__main__":
    main()
