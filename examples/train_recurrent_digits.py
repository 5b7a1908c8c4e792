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

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from gatecomp.frontends.recurrent import save_recurrent
from gatecomp.nn import DIGITS_SPLIT, DIGITS_THRESHOLDS, ThermometerEncoding, training
from gatecomp.nn.recurrent import rows_as_steps
from gatecomp.nn.recurrent_training import RecurrentRecipe, train_recurrent, widths

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
    encoding = row_encoding()
    recipe = RecurrentRecipe(state_dim, widths(step_widths), widths(readout_widths), tau, epochs,
                             batch_size, lr, seed)
    run = train_recurrent(DIGITS_SPLIT, encoding.width, STEPS, sequence_features(encoding),
                          recipe, threads, log)
    return training.log_and_save(run.metrics, output, log, save_recurrent, run.model,
                                 steps=STEPS, encoding=encoding, dataset=DIGITS_SPLIT,
                                 training=run.config)


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
