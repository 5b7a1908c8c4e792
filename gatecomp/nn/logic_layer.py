"""``LogicLayer``: a trainable layer of two-input logic gates (difflogic semantics).

Each of the ``out_dim`` gates reads two inputs ``A = x[indices[0]]`` and ``B = x[indices[1]]``
and learns which of the 16 two-input Boolean functions it computes. Gate IDs follow difflogic:
ID ``i`` is the truth table ``(f00, f01, f10, f11)`` read as a 4-bit number with ``f00`` the most
significant bit (``f_ab`` = output for ``A=a, B=b``), see :data:`GATE_NAMES`.

Two parametrisations:

``raw`` (difflogic)
    ``weights`` (out, 16) logits over the 16 functions. Training mixes the relaxed functions with
    ``softmax(weights)``; eval applies the ``argmax`` function (first index on ties).
``light``
    ``weights`` (out, 4) logits of the truth-table entries ``(f00, f01, f10, f11)``. Training uses
    ``sigmoid(weights)`` as a relaxed truth table; eval uses the entries with ``weights > 0``
    (``sigmoid > 0.5``), as torchlogix's light parametrisation does.

``warp`` (torchlogix's Walsh-Hadamard parametrisation)
    ``weights`` (out, 4) coefficients ``w`` of the Walsh basis ``(1, B', A', A'B')`` with
    ``A' = 1 - 2a``, ``B' = 1 - 2b``; eval outputs 1 where ``w0 + w1 B' + w2 A' + w3 A'B' < 0``,
    summed in float in that order as torchlogix does, so sums that round to zero agree. Training
    uses ``sigmoid(-sum)`` at the four corners as the relaxed truth table.

All three relax a gate to the multilinear extension of its (probabilistic) truth table
``t00 (1-a)(1-b) + t01 (1-a) b + t10 a (1-b) + t11 a b``, which is exactly difflogic's
``bin_op_s`` mixture. In eval mode the truth table is 0/1 and the polynomial has small integer
coefficients, so on {0, 1} inputs the float forward is exact: this is the bit-exact reference
the compiler is checked against. The wiring is a registered buffer ``indices`` (2, out) so a
``state_dict`` describes the layer completely.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

GATE_NAMES: tuple[str, ...] = (
    "FALSE", "AND", "A_AND_NOT_B", "A", "NOT_A_AND_B", "B", "XOR", "OR",
    "NOR", "XNOR", "NOT_B", "A_OR_NOT_B", "NOT_A", "NOT_A_OR_B", "NAND", "TRUE",
)
"""Names of gate IDs 0..15 (difflogic order)."""

#: (16, 4) truth tables: ``TRUTH_TABLES[i] = (f00, f01, f10, f11)`` of gate ID ``i``.
TRUTH_TABLES: np.ndarray = ((np.arange(16)[:, None] >> np.array([3, 2, 1, 0])) & 1).astype(np.uint8)
TRUTH_TABLES.setflags(write=False)
_TT = torch.tensor(TRUTH_TABLES.tolist(), dtype=torch.float32)
#: (4, 2) ``(A', B')`` = ``(1 - 2a, 1 - 2b)`` of the truth-table entries ``00, 01, 10, 11``
_WALSH_CORNERS = torch.tensor([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])


def walsh_sums(weights: torch.Tensor) -> torch.Tensor:
    """(out, 4) torchlogix warp sums at the corners ``00, 01, 10, 11`` (its float order)."""
    c = _WALSH_CORNERS.to(dtype=weights.dtype, device=weights.device)
    a, b = c[:, 0], c[:, 1]
    w = weights[:, :, None].unbind(1)
    return w[0] * 1 + w[1] * b + w[2] * a + w[3] * (a * b)

PARAMETRIZATIONS = ("raw", "light", "warp")
CONNECTIONS = ("random", "unique")
INITS = ("random", "residual")


def truth_tables_to_ids(tables: np.ndarray) -> np.ndarray:
    """Gate IDs of (n, 4) 0/1 truth tables ``(f00, f01, f10, f11)``."""
    tables = np.asarray(tables, dtype=np.int64)
    return tables @ np.array([8, 4, 2, 1], dtype=np.int64)


def random_connections(in_dim: int, out_dim: int,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """difflogic's ``random`` wiring: every input used about equally often, (2, out_dim) long."""
    _check_coverage(in_dim, out_dim)
    c = torch.randperm(2 * out_dim, generator=generator) % in_dim
    c = torch.randperm(in_dim, generator=generator)[c]
    return c.reshape(2, out_dim).to(torch.int64)


def unique_connections(in_dim: int, out_dim: int,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """difflogic's ``unique`` wiring on a random relabelling of the inputs, (2, out_dim) long.

    Pairs ``(0,1), (2,3), ...`` (plus the last input, if ``in_dim`` is odd) then
    ``(1,2), (3,4), ...`` then pairs at offsets 2, 3, ... are taken until ``out_dim`` gates are
    wired, so every input is used (``2 * out_dim >= in_dim + 1``) and no pair repeats while
    ``out_dim`` allows. Unlike difflogic the inputs are first permuted at random (as torchlogix's
    ``random-unique`` does) so neighbouring input bits (e.g. the thresholds of one pixel) are
    not systematically paired.
    """
    _check_coverage(in_dim, out_dim)
    a, b = _pair_schedule(in_dim, out_dim)
    a, b = torch.from_numpy(a), torch.from_numpy(b)
    perm_out = torch.randperm(out_dim, generator=generator)
    relabel = torch.randperm(in_dim, generator=generator)
    return torch.stack([relabel[a[perm_out]], relabel[b[perm_out]]]).to(torch.int64)


def _pair_schedule(in_dim: int, out_dim: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``out_dim`` pairs of the unique schedule (deduplicated, repeated if short)."""
    x = np.arange(in_dim)
    rounds = [(x[0:-1:2], x[1::2])]
    if in_dim % 2 and in_dim > 1:  # odd: pair the last input too, so every input is used
        rounds.append((x[-2:-1], x[-1:]))
    rounds.append((x[1:-1:2], x[2::2]))
    have = sum(len(r[0]) for r in rounds)
    offset = 2
    while have < out_dim + in_dim and offset < in_dim:
        rounds.append((x[:-offset], x[offset:]))
        have += in_dim - offset
        offset += 1
    a = np.concatenate([r[0] for r in rounds]) if in_dim > 1 else np.zeros(1, np.int64)
    b = np.concatenate([r[1] for r in rounds]) if in_dim > 1 else np.zeros(1, np.int64)
    key = np.minimum(a, b) * in_dim + np.maximum(a, b)
    _, first = np.unique(key, return_index=True)
    keep = np.sort(first)
    a, b = a[keep], b[keep]
    reps = -(-out_dim // len(a))
    return np.tile(a, reps)[:out_dim].astype(np.int64), np.tile(b, reps)[:out_dim].astype(np.int64)


def _check_coverage(in_dim: int, out_dim: int) -> None:
    if in_dim < 1 or out_dim < 1:
        raise ValueError(f"in_dim ({in_dim}) and out_dim ({out_dim}) must be positive")
    if 2 * out_dim < in_dim:
        raise ValueError(f"out_dim ({out_dim}) must be at least half of in_dim ({in_dim}) "
                         "so that every input can be used")


class LogicLayer(nn.Module):
    """A layer of ``out_dim`` learnable two-input logic gates.

    Parameters
    ----------
    in_dim, out_dim:
        Input and output widths.
    connections:
        ``"random"`` or ``"unique"`` wiring (see :func:`random_connections`,
        :func:`unique_connections`); ignored when ``indices`` is given.
    seed:
        Seed of the wiring (and of the weight initialisation); ``None`` uses torch's global RNG.
    parametrization:
        ``"raw"`` (16 logits per gate, difflogic), ``"light"`` (4 truth-table logits) or
        ``"warp"`` (4 Walsh coefficients, torchlogix).
    init:
        ``"random"`` (standard normal logits, difflogic) or ``"residual"`` (biased towards the
        pass-through gate ``A``, which helps deeper networks train).
    indices:
        Explicit (2, out_dim) wiring.
    weights:
        Explicit (out_dim, 16) (raw) or (out_dim, 4) (light, warp) weights; kept in their
        dtype.
    """

    def __init__(self, in_dim: int, out_dim: int, connections: str = "random",
                 seed: int | None = None, parametrization: str = "raw", init: str = "random",
                 indices: torch.Tensor | np.ndarray | None = None,
                 weights: torch.Tensor | None = None):
        super().__init__()
        if parametrization not in PARAMETRIZATIONS:
            raise ValueError(f"parametrization must be one of {PARAMETRIZATIONS}, "
                             f"got {parametrization!r}")
        if connections not in CONNECTIONS:
            raise ValueError(f"connections must be one of {CONNECTIONS}, got {connections!r}")
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        self.in_dim = int(in_dim)
        self.out_dim = int(out_dim)
        self.connections = connections
        self.parametrization = parametrization
        gen = None if seed is None else torch.Generator().manual_seed(int(seed))
        if indices is None:
            make = random_connections if connections == "random" else unique_connections
            idx = make(self.in_dim, self.out_dim, gen)
        else:
            idx = torch.as_tensor(np.asarray(indices), dtype=torch.int64)
            if idx.shape != (2, self.out_dim):
                raise ValueError(f"indices must have shape (2, {self.out_dim}), "
                                 f"got {tuple(idx.shape)}")
            if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= self.in_dim):
                raise ValueError(f"indices out of range 0..{self.in_dim - 1}")
        self.register_buffer("indices", idx.clone().contiguous())
        if weights is None:
            weights = self._init_weights(init, gen)
        else:
            n = 16 if parametrization == "raw" else 4
            weights = torch.as_tensor(weights).detach().clone()
            if tuple(weights.shape) != (self.out_dim, n) or not weights.is_floating_point():
                raise ValueError(f"weights must be floating point ({self.out_dim}, {n}), "
                                 f"got {tuple(weights.shape)} {weights.dtype}")
        self.weights = nn.Parameter(weights)

    def _init_weights(self, init: str, gen: torch.Generator | None) -> torch.Tensor:
        n = 16 if self.parametrization == "raw" else 4
        w = torch.randn(self.out_dim, n, generator=gen)
        if init == "residual":
            if self.parametrization == "raw":
                w = 0.1 * w
                w[:, 3] += 4.0  # gate "A": the output starts as a copy of its first input
            elif self.parametrization == "light":
                w = w + torch.tensor([-3.0, -3.0, 3.0, 3.0])
            else:  # warp: sum = w2 * (1 - 2a) < 0 exactly when a = 1
                w = 0.1 * w + torch.tensor([0.0, 0.0, 3.0, 0.0])
        return w

    # -- the discrete gates ----------------------------------------------------------------
    def gate_ids(self) -> torch.Tensor:
        """(out,) long: the gate ID each gate computes in eval mode."""
        w = self.weights.detach()
        if self.parametrization == "raw":
            return w.argmax(-1)
        tables = (w > 0) if self.parametrization == "light" else (walsh_sums(w) < 0)
        return tables.to(torch.int64) @ torch.tensor([8, 4, 2, 1], dtype=torch.int64)

    def truth_tables(self) -> torch.Tensor:
        """(out, 4) truth tables ``(t00, t01, t10, t11)``: relaxed in training, 0/1 in eval."""
        if self.training:
            if self.parametrization == "raw":
                tt = _TT.to(dtype=self.weights.dtype, device=self.weights.device)
                return torch.softmax(self.weights, dim=-1) @ tt
            if self.parametrization == "warp":
                return torch.sigmoid(-walsh_sums(self.weights))
            return torch.sigmoid(self.weights)
        tt = _TT.to(dtype=self.weights.dtype, device=self.weights.device)
        return tt[self.gate_ids().to(self.weights.device)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.in_dim:
            raise ValueError(f"expected input width {self.in_dim}, got {x.shape[-1]}")
        t = self.truth_tables().to(x.dtype)
        a = x[..., self.indices[0]]
        b = x[..., self.indices[1]]
        t00, t01, t10, t11 = t.unbind(-1)
        return t00 + (t10 - t00) * a + (t01 - t00) * b + (t00 - t01 - t10 + t11) * (a * b)

    def extra_repr(self) -> str:
        return (f"{self.in_dim}, {self.out_dim}, parametrization={self.parametrization!r}, "
                f"{'train' if self.training else 'eval'}")
