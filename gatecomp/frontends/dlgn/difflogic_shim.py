"""Stand-ins for difflogic's classes so whole pickled difflogic models load without difflogic.

Official difflogic checkpoints are often ``torch.save(model)`` of an ``nn.Sequential`` of
``torch.nn.Flatten``, ``difflogic.difflogic.LogicLayer`` and ``difflogic.difflogic.GroupSum``.
Unpickling those normally imports difflogic (and its CUDA extension). Here they are loaded with
``torch.load(weights_only=True)`` and an explicit allow-list that maps the pickled class names to
the two small classes below (:data:`SAFE_GLOBALS`); nothing else can be instantiated.

The pickled attributes are difflogic's: ``LogicLayer`` has the ``weights`` Parameter (out, 16),
``indices`` (a tuple ``(a, b)`` of long tensors, a plain attribute, not a buffer), ``in_dim``,
``out_dim``, ``device``, ``grad_factor``, ``implementation``, ``connections``,
``num_neurons``/``num_weights`` (and, for ``implementation='cuda'``, two helper index tensors);
``GroupSum`` has ``k``, ``tau``, ``device``. The forwards below follow difflogic's python
implementation operator by operator (``bin_op``), independently of :mod:`gatecomp.nn`, so tests
can use them as a second reference.
"""

from __future__ import annotations

import torch
from torch import nn


def _bin_op(a: torch.Tensor, b: torch.Tensor, i: int) -> torch.Tensor:
    """difflogic's relaxed operator ``i`` (same formulas, same order)."""
    ops = (
        lambda: torch.zeros_like(a), lambda: a * b, lambda: a - a * b, lambda: a,
        lambda: b - a * b, lambda: b, lambda: a + b - 2 * a * b, lambda: a + b - a * b,
        lambda: 1 - (a + b - a * b), lambda: 1 - (a + b - 2 * a * b), lambda: 1 - b,
        lambda: 1 - b + a * b, lambda: 1 - a, lambda: 1 - a + a * b, lambda: 1 - a * b,
        lambda: torch.ones_like(a),
    )
    return ops[i]()


class LogicLayer(nn.Module):
    """Attribute-compatible stand-in for ``difflogic.difflogic.LogicLayer`` (python forward)."""

    def __init__(self, in_dim: int, out_dim: int, indices: tuple[torch.Tensor, torch.Tensor],
                 weights: torch.Tensor | None = None):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(out_dim, 16) if weights is None else weights)
        self.in_dim = in_dim
        self.out_dim = out_dim
        self.device = "cpu"
        self.grad_factor = 1.0
        self.implementation = "python"
        self.connections = "random"
        self.indices = indices
        self.num_neurons = out_dim
        self.num_weights = out_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = x[..., self.indices[0]], x[..., self.indices[1]]
        if self.training:
            w = torch.softmax(self.weights, dim=-1)
        else:
            w = torch.nn.functional.one_hot(self.weights.argmax(-1), 16).to(torch.float32)
        r = torch.zeros_like(a)
        for i in range(16):
            r = r + w[..., i] * _bin_op(a, b, i)
        return r


class GroupSum(nn.Module):
    """Attribute-compatible stand-in for ``difflogic.difflogic.GroupSum``."""

    def __init__(self, k: int, tau: float = 1.0):
        super().__init__()
        self.k = k
        self.tau = tau
        self.device = "cpu"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(*x.shape[:-1], self.k, x.shape[-1] // self.k).sum(-1) / self.tau


#: every attribute a pickled difflogic LogicLayer carries (``given_x_indices_of_y*``: the CUDA
#: implementation's reverse wiring, derived from ``indices``); the reader refuses any other
LOGIC_LAYER_ATTRIBUTES: tuple[str, ...] = (
    "in_dim", "out_dim", "device", "grad_factor", "implementation", "connections", "indices",
    "num_neurons", "num_weights", "given_x_indices_of_y_start", "given_x_indices_of_y",
)

#: The allow-list for ``torch.serialization.safe_globals`` when reading a pickled model.
SAFE_GLOBALS: list = [
    nn.Sequential,
    nn.Flatten,
    (LogicLayer, "difflogic.difflogic.LogicLayer"),
    (GroupSum, "difflogic.difflogic.GroupSum"),
    (LogicLayer, "difflogic.LogicLayer"),
    (GroupSum, "difflogic.GroupSum"),
]
