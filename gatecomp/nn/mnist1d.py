"""MNIST-1D (Greydanus 2020, PyPI ``mnist1d``) as a reproducible split: 40-sample signals.

The package generates the data offline (``mnist1d.data.make_dataset``: ten 1-D digit templates
padded, shifted, scaled, sheared and noised with a fixed seed), so a checkpoint records the
generator's arguments (:data:`MNIST1D_SPLIT`) instead of a file. A sequence task for recurrent
nets: :func:`~gatecomp.nn.recurrent.rows_as_steps` feeds the signal a few samples per step,
thermometer-coded with :data:`MNIST1D_THRESHOLDS`.

``make_dataset`` seeds numpy's and Python's global RNGs; their states are restored afterwards
so loading a split does not change a caller's random numbers.
"""

from __future__ import annotations

import random
from functools import lru_cache

import numpy as np

#: the generator's arguments that a split may set (the rest are the package's defaults)
MNIST1D_SPLIT: dict = {"name": "mnist1d.data.make_dataset", "num_samples": 5000,
                       "train_split": 0.8, "seed": 42}
#: 40 samples, normalised to mean 0 / std 1 over the data set: thresholds near its deciles
MNIST1D_THRESHOLDS: tuple[float, ...] = (-1.0, -0.4, 0.0, 0.4, 1.0)
MNIST1D_LENGTH = 40
_KEYS = tuple(MNIST1D_SPLIT)


def load_mnist1d(spec: dict) -> dict[str, np.ndarray]:
    """``{"x_train", "y_train", "x_test", "y_test"}`` of the generator run ``spec`` names.

    Raises ``ValueError`` for unknown keys or a missing ``mnist1d`` package.
    """
    extra = sorted(set(spec) - set(_KEYS))
    if extra:
        raise ValueError(f"mnist1d split: unknown key {extra[0]!r} (known: {', '.join(_KEYS)})")
    args = tuple((k, spec.get(k, MNIST1D_SPLIT[k])) for k in _KEYS[1:])
    return {k: v.copy() for k, v in _generate(args).items()}


@lru_cache(maxsize=2)
def _generate(args: tuple[tuple[str, object], ...]) -> dict[str, np.ndarray]:
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError:
        raise ValueError("the mnist1d data set needs the mnist1d package "
                         "(pip install 'gatecomp[datasets]')") from None
    dargs = get_dataset_args()
    for key, value in args:
        setattr(dargs, key, value)
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(dargs)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return {"x_train": np.asarray(data["x"], dtype=np.float64),
            "y_train": np.asarray(data["y"], dtype=np.int64),
            "x_test": np.asarray(data["x_test"], dtype=np.float64),
            "y_test": np.asarray(data["y_test"], dtype=np.int64)}
