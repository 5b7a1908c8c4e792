"""Small random DLGNs for the nn/frontend tests, and an independent integer forward.

``independent_forward`` evaluates a network from its truth tables with numpy table lookups; it
shares no code with ``gatecomp.nn`` (whose float polynomial forward is the reference), so the
two agreeing checks the gate-ID order and the wiring convention.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from gatecomp.nn import GroupSum, LogicLayer

# difflogic's table (AB = 00, 01, 10, 11), copied from its documentation
DIFFLOGIC_TABLE = {
    0: (0, 0, 0, 0), 1: (0, 0, 0, 1), 2: (0, 0, 1, 0), 3: (0, 0, 1, 1),
    4: (0, 1, 0, 0), 5: (0, 1, 0, 1), 6: (0, 1, 1, 0), 7: (0, 1, 1, 1),
    8: (1, 0, 0, 0), 9: (1, 0, 0, 1), 10: (1, 0, 1, 0), 11: (1, 0, 1, 1),
    12: (1, 1, 0, 0), 13: (1, 1, 0, 1), 14: (1, 1, 1, 0), 15: (1, 1, 1, 1),
}


def peaked_raw_weights(out: int, rng: np.random.Generator, gates=None) -> torch.Tensor:
    """(out, 16) logits whose argmax is ``gates`` (random if None), with some exact ties."""
    gates = rng.integers(0, 16, out) if gates is None else np.asarray(gates)
    w = rng.normal(size=(out, 16)).astype(np.float32)
    w[np.arange(out), gates] = 5.0 + rng.random(out).astype(np.float32)
    # exact ties: the first index must win (torch.argmax rule)
    tie = rng.random(out) < 0.2
    later = np.minimum(gates + 1 + rng.integers(0, 3, out), 15)
    tie &= later > gates
    w[np.flatnonzero(tie), later[tie]] = w[np.flatnonzero(tie), gates[tie]]
    return torch.from_numpy(w)


def light_weights(out: int, rng: np.random.Generator) -> torch.Tensor:
    return torch.from_numpy(rng.normal(size=(out, 4)).astype(np.float32))


def random_dlgn(widths, in_dim: int, k: int, seed: int = 0, parametrization: str = "raw",
                tau: float = 3.0) -> nn.Sequential:
    """A random eval-mode DLGN of our layers (every gate type appears for width >= ~50)."""
    rng = np.random.default_rng(seed)
    layers: list[nn.Module] = []
    for i, out in enumerate(widths):
        w = peaked_raw_weights(out, rng) if parametrization == "raw" else light_weights(out, rng)
        idx = rng.integers(0, in_dim, size=(2, out))
        layers.append(LogicLayer(in_dim, out, parametrization=parametrization, indices=idx,
                                 weights=w, seed=seed + i))
        in_dim = out
    layers.append(GroupSum(k, tau))
    return nn.Sequential(*layers).eval()


def tables_of(weights: torch.Tensor) -> np.ndarray:
    """(out, 4) 0/1 truth tables from raw (argmax) or light (> 0) weights."""
    w = weights.detach().numpy()
    if w.shape[1] == 16:
        return np.array([DIFFLOGIC_TABLE[int(g)] for g in np.argmax(w, axis=1)], dtype=np.int64)
    return (w > 0).astype(np.int64)


def independent_forward(layers, x_bits: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Counts and first-index argmax from ``[(weights, (2, out) indices), ...]``."""
    h = np.asarray(x_bits, dtype=np.int64)
    for weights, idx in layers:
        tables = tables_of(weights)
        idx = np.asarray(idx)
        a, b = h[:, idx[0]], h[:, idx[1]]
        h = tables[np.arange(tables.shape[0])[None, :], 2 * a + b]
    counts = h.reshape(len(h), k, -1).sum(-1)
    out = {f"count{c}": counts[:, c] for c in range(k)}
    out["pred"] = np.argmax(counts, axis=1)  # numpy: first maximum, like torch.argmax
    return out


def layers_of(module: nn.Sequential):
    return [(m.weights, m.indices) for m in module if isinstance(m, LogicLayer)]
