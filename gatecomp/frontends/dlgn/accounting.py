"""Where a trained DLGN's gates go: constants, wires, unused, merged duplicates, real logic.

Trained DLGNs are full of gates that cost nothing in hardware. Lowering folds them away as it
builds (the AIG builder folds constants and hashes structure), so this module reconstructs the
account per trained gate from the literals each gate was lowered to, for the report.
"""

from __future__ import annotations

import numpy as np

from ...nn import TRUTH_TABLES

# which gate IDs depend on A and on B; columns of TRUTH_TABLES are f00 f01 f10 f11
USES_A = (TRUTH_TABLES[:, 0] != TRUTH_TABLES[:, 2]) | (TRUTH_TABLES[:, 1] != TRUTH_TABLES[:, 3])
USES_B = (TRUTH_TABLES[:, 0] != TRUTH_TABLES[:, 1]) | (TRUTH_TABLES[:, 2] != TRUTH_TABLES[:, 3])
WIRE_IDS = np.array([3, 5, 10, 12])  # A, B, ~B, ~A: a wire or an inverter


def account_gates(layers, layer_lits: list[np.ndarray], num_inputs: int) -> dict[str, int]:
    """Classify every trained gate once, in this order of precedence.

    ``constant``: FALSE/TRUE, or folded to a constant (e.g. ``A & ~A`` after wiring);
    ``wire``: A, B, ~A, ~B; ``unused``: no class output depends on it; ``merged``: computes a
    signal that an earlier gate (or an input) already provides; ``logic``: everything else,
    the gates that become AND nodes of their own.
    """
    total = sum(len(s.gate_ids) for s in layers)
    const = [(lits <= 1) | np.isin(s.gate_ids, (0, 15)) for s, lits in zip(layers, layer_lits,
                                                                              strict=True)]
    wire = [np.isin(s.gate_ids, WIRE_IDS) & ~c for s, c in zip(layers, const, strict=True)]
    used = [np.zeros(len(s.gate_ids), dtype=bool) for s in layers]
    used[-1][:] = True  # GroupSum reads every gate of the last layer
    for i in range(len(layers) - 1, 0, -1):
        s, live = layers[i], used[i] & ~const[i]
        g = s.gate_ids
        used[i - 1][s.a[live & USES_A[g]]] = True
        used[i - 1][s.b[live & USES_B[g]]] = True
    logic_mask = [u & ~c & ~w for u, c, w in zip(used, const, wire, strict=True)]
    nodes = np.concatenate([lits[m] >> 1 for lits, m in zip(layer_lits, logic_mask, strict=True)])
    first_of_node = np.unique(nodes, return_index=True)[1]
    is_first = np.zeros(len(nodes), dtype=bool)
    is_first[first_of_node] = True
    merged = int((~is_first | (nodes <= num_inputs)).sum())
    n_const = int(sum(c.sum() for c in const))
    n_wire = int(sum(w.sum() for w in wire))
    n_unused = int(sum((~u & ~c & ~w).sum() for u, c, w in zip(used, const, wire, strict=True)))
    return {"trained": total, "constant": n_const, "wire": n_wire, "unused": n_unused,
            "merged": merged, "logic": total - n_const - n_wire - n_unused - merged}
