"""Reproducible dataset splits referred to by checkpoints (``"dataset"`` entry).

A checkpoint records how its data was split (:data:`DIGITS_SPLIT`, :data:`MNIST1D_SPLIT`);
:func:`load_split` re-creates the same arrays offline so the CLI can build test vectors for
verification.
"""

from __future__ import annotations

import numpy as np

DIGITS_SPLIT: dict = {"name": "sklearn.datasets.load_digits", "test_size": 0.2,
                      "random_state": 0, "stratify": True}


def load_split(spec: dict) -> dict[str, np.ndarray]:
    """Re-create a split: ``{"x_train", "y_train", "x_test", "y_test"}`` raw features/labels.

    Raises ``ValueError`` for a dataset name it does not know (or whose package is missing).
    """
    from .mnist1d import MNIST1D_SPLIT, load_mnist1d

    name = spec.get("name") if isinstance(spec, dict) else spec
    if name == MNIST1D_SPLIT["name"]:
        return load_mnist1d(spec)
    if name != DIGITS_SPLIT["name"]:
        raise ValueError(f"unknown dataset {name!r} (known: {DIGITS_SPLIT['name']}, "
                         f"{MNIST1D_SPLIT['name']})")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x, y = data.data.astype(np.float64), data.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=float(spec.get("test_size", 0.2)),
        random_state=int(spec.get("random_state", 0)),
        stratify=y if spec.get("stratify", True) else None)
    return {"x_train": x_tr, "y_train": y_tr, "x_test": x_te, "y_test": y_te}
