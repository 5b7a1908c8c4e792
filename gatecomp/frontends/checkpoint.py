"""Writing gatecomp's own checkpoints: plain dicts of tensors, readable with weights_only=True."""

from __future__ import annotations

from pathlib import Path

import torch


def save_checkpoint(path: str | Path, checkpoint: dict) -> Path:
    """``torch.save`` ``checkpoint`` to ``path``, creating its folder; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, path)
    return path
