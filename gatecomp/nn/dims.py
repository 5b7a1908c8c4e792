"""Layer widths read off a layer's (rows, in) weight tensor, for every layer class of ``nn``.

A layer names the tensor in ``_dims_tensor`` (``"weight"`` unless it says otherwise): its
columns are ``in_dim``, its rows ``out_dim`` (a hidden layer) or ``num_classes`` (a classifier).
"""

from __future__ import annotations


class InDim:
    """``in_dim``: the columns of the weight tensor named by ``_dims_tensor``."""

    _dims_tensor = "weight"

    @property
    def in_dim(self) -> int:
        return int(getattr(self, self._dims_tensor).shape[1])


class LayerDims(InDim):
    """``in_dim`` and ``out_dim`` (the weight's rows) of a hidden layer."""

    @property
    def out_dim(self) -> int:
        return int(getattr(self, self._dims_tensor).shape[0])


class ScoreDims(InDim):
    """``in_dim`` and ``num_classes`` (the weight's rows) of a classifier."""

    @property
    def num_classes(self) -> int:
        return int(getattr(self, self._dims_tensor).shape[0])
