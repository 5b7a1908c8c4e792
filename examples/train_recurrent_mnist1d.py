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

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from gatecomp.frontends.recurrent import save_recurrent
from gatecomp.nn import (
    MNIST1D_LENGTH,
    MNIST1D_SPLIT,
    MNIST1D_THRESHOLDS,
    ThermometerEncoding,
    training,
)
from gatecomp.nn.recurrent import rows_as_steps
from gatecomp.nn.recurrent_training import RecurrentRecipe, train_recurrent, widths

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
    if MNIST1D_LENGTH % samples_per_step:
        raise ValueError(f"{samples_per_step} samples a step do not divide {MNIST1D_LENGTH}")
    steps = MNIST1D_LENGTH // samples_per_step
    encoding = step_encoding(samples_per_step)
    recipe = RecurrentRecipe(state_dim, widths(step_widths), widths(readout_widths), tau, epochs,
                             batch_size, lr, seed)
    run = train_recurrent(MNIST1D_SPLIT, encoding.width, steps, sequence_features(encoding),
                          recipe, threads, log)
    return training.log_and_save(run.metrics, output, log, save_recurrent, run.model,
                                 steps=steps, encoding=encoding, dataset=MNIST1D_SPLIT,
                                 training=run.config)


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
