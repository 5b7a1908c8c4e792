"""Accuracy against labels, the one figure every tier (IR, RTL, netlist, UART) reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def accuracy(pred: np.ndarray | None, labels: np.ndarray | None) -> float | None:
    """Share of labelled vectors (label >= 0) whose ``pred`` equals the label.

    None without labels, or when ``pred`` and ``labels`` differ in length (the vectors are not
    the labelled ones).
    """
    if pred is None or labels is None:
        return None
    pred, labels = np.asarray(pred), np.asarray(labels)
    known = labels >= 0
    if len(labels) != len(pred) or not known.any():
        return None
    return float(np.mean(pred[known] == labels[known]))


def accuracy_from_file(pred: np.ndarray | None, labels_file: Path) -> float | None:
    """:func:`accuracy` against the first ``len(pred)`` labels of a build's ``labels.npy``."""
    if pred is None or not labels_file.is_file():
        return None
    return accuracy(pred, np.load(labels_file)[:len(pred)])


def percent(value: float | None, missing: str = "n/a") -> str:
    """A fraction as a percentage with two decimals; ``missing`` for None."""
    return missing if value is None else f"{100 * value:.2f}%"
