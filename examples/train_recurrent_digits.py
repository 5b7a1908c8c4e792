"""Train a recurrent logic gate network that reads scikit-learn's 8x8 digits one row per step.

Offline and deterministic like ``train_digits.py``. Each digit is a sequence of 8 steps; step
``t`` feeds row ``t`` (8 pixels, thermometer-coded with thresholds 2, 6, 10: 24 bits) and the
state of the step before through the step layers of a :class:`gatecomp.nn.recurrent.
RecurrentLogic`; after the 8th step its readout (logic layers + GroupSum) gives the class
counts. The initial state is learned. Training uses the relaxed gates (backpropagation through
all 8 steps); the metrics are those of the discrete (eval-mode) network, which the compiled
sequential circuit computes bit for bit. The bundled ``gatecomp/examples/digits_recurrent.pt``
was made with the defaults::

    python examples/train_recurrent_digits.py -o gatecomp/examples/digits_recurrent.pt
    gatecomp compile gatecomp/examples/digits_recurrent.pt -o build/rnn
    gatecomp verify build/rnn          # the whole test set, one row per clock

``train(...)`` is importable so tests and other tools can call it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from gatecomp.frontends.recurrent import save_recurrent
from gatecomp.nn import DIGITS_SPLIT, DIGITS_THRESHOLDS, ThermometerEncoding, load_split, training
from gatecomp.nn.recurrent import RecurrentLogic, rows_as_steps

STEPS = 8  # rows of a digit
ROW_PIXELS = 8
DEFAULT_STEP_WIDTHS = (256,)
DEFAULT_READOUT_WIDTHS = (400, 400)


def row_encoding(thresholds: Sequence[float] = DIGITS_THRESHOLDS) -> ThermometerEncoding:
    """The per-step input code: one row's 8 pixels, thermometer-coded."""
    return ThermometerEncoding(tuple(thresholds), ROW_PIXELS)


def sequence_features(encoding: ThermometerEncoding) -> Callable[[np.ndarray], np.ndarray]:
    """Raw (samples, 64) pixels -> (samples, 8, 24) bits: one encoded row per step."""
    def features(raw: np.ndarray) -> np.ndarray:
        rows = rows_as_steps(raw, STEPS)
        return encoding.encode(rows.reshape(-1, ROW_PIXELS)).reshape(len(raw), STEPS, -1)

    return features


def train(output: str | Path | None = "digits_recurrent.pt", state_dim: int = 128,
          step_widths: Sequence[int] = DEFAULT_STEP_WIDTHS,
          readout_widths: Sequence[int] = DEFAULT_READOUT_WIDTHS, tau: float = 10.0,
          epochs: int = 30, batch_size: int = 128, lr: float = 0.05, seed: int = 0,
          threads: int | None = 2, log: Callable[[str], None] | None = print) -> dict:
    """Train the recurrent digits network and (unless ``output`` is None) save our checkpoint.

    Returns the metrics (also stored in the checkpoint): discrete train/test accuracy, relaxed
    test accuracy, gates, state width, steps, epochs, seconds.
    """
    log = log or (lambda _msg: None)
    training.seed_torch(seed, threads)
    encoding = row_encoding()
    x_tr, y_tr, x_te, y_te = training.split_tensors(load_split(DIGITS_SPLIT),
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
               "logic_gates": int(gates), "state_width": state_dim, "steps": STEPS,
               "epochs": epochs, "train_seconds": round(time.perf_counter() - start, 1)}
    config = {"state_dim": state_dim, "step_widths": list(step_widths),
              "readout_widths": list(readout_widths), "tau": tau, "epochs": epochs,
              "batch_size": batch_size, "lr": lr, "seed": seed, "init": "residual",
              "learn_init": True, "optimizer": "Adam", "torch": str(torch.__version__)}
    return training.log_and_save(metrics, output, log, save_recurrent, model.eval(),
                                 steps=STEPS, encoding=encoding, dataset=DIGITS_SPLIT,
                                 training=config)


def main(argv: Sequence[str] | None = None) -> None:
    p = training.parser(__doc__, output="digits_recurrent.pt", output_help="checkpoint to write",
                        widths=DEFAULT_STEP_WIDTHS,
                        widths_help="comma-separated step layer widths before the last one "
                                    "(which has --state-dim gates)")
    p.add_argument("--state-dim", type=int, default=128, help="state bits (registers)")
    p.add_argument("--readout-widths", default=",".join(map(str, DEFAULT_READOUT_WIDTHS)),
                   help="comma-separated readout layer widths (last one divisible by 10)")
    p.add_argument("--tau", type=float, default=10.0, help="GroupSum temperature")
    training.add_options(p, epochs=30, batch_size=128, lr=0.05)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    train(a.output, a.state_dim, training.parse_widths(a.widths),
          training.parse_widths(a.readout_widths), a.tau, a.epochs, a.batch_size, a.lr, a.seed,
          a.threads)


if __name__ == "__main__":
    main()
