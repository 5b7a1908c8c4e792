"""``lutmap``: k-LUT technology mapping with priority cuts (depth first, then area recovery).

This decides FPGA area (LUT count) and depth (LUT levels). It follows ABC's ``if`` (Mishchenko
et al., "Combinational and sequential mapping with priority cuts", ICCAD 2007):

1. a delay round keeps, per node, the ``cuts_per_node`` best k-feasible cuts ranked by arrival
   (then size, then area flow) and picks the one with the smallest arrival: the mapped depth;
2. with ``preprocess``, a second delay round ranks equally fast cuts by area flow (ABC's
   ``-q`` runs this and an area-ranked one; measured on EPFL, the latter hurt here), then
   ``flow_rounds`` area-flow rounds and ``area_rounds`` exact-area rounds
   (reference counting) choose, among the cuts that meet each node's required time, the
   cheapest; the depth of step 1 (plus ``depth_slack`` levels, if given) is never exceeded;
3. with ``absorb``, every LUT whose readers all have room for its leaves is folded into them
   (``lutmap_absorb``: the step exact-area recovery cannot take while a LUT has two readers);
4. the cover is read from the outputs into a :class:`~gatecomp.mapping.lutnet.LutNetwork`.

Every cut carries its truth table (``uint64``, k <= 6); leaves the function does not depend on
are dropped (``minimize_support``), which ABC's ``if`` does only with ``-m``. The sweeps are
numba kernels over arrays (``lutmap_cuts``); per node only ``C`` cuts of at most ``k`` leaves
are stored, in slots recycled once all fanouts are mapped.

Measured by ``bench/lutmap.py`` on the 20 EPFL circuits against ABC ``if -K 6`` in the same run:
0.94x ABC's LUT count (geometric mean; worst circuit priority at 1.05x), the same depth except
hyp (+1 level), in about 1.1-2x ABC's run time (200k ANDs in ~5 s); 4-LUTs 0.975x.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..aig import AIG, depth, fanout_counts
from ..logic.truth_tables import MAX_TRUTH_VARS
from .lutmap_absorb import absorb_pass, update_arrivals
from .lutmap_cuts import INF_REQUIRED, assign_slots, map_round, mark_mapping
from .lutnet import LutNetwork

_TRUTH_MASKS = np.array([(1 << (1 << s)) - 1 for s in range(MAX_TRUTH_VARS + 1)], dtype=np.uint64)
_ROUND_NAMES = {0: "delay", 1: "flow", 2: "area"}


@dataclass(frozen=True)
class LutMapParams:
    """Options of :func:`lutmap`.

    Parameters
    ----------
    k:
        LUT inputs, 2..6.
    cuts_per_node:
        Priority cuts kept per node (ABC ``if -C``, default 8).
    flow_rounds:
        Area-flow recovery rounds (ABC ``-F``, default 1).
    area_rounds:
        Exact-area (reference counting) recovery rounds (ABC ``-A``, default 2).
    preprocess:
        A second delay round that ranks equally fast cuts by area flow (as in ABC ``-q``).
    minimize_support:
        Drop cut leaves the cut's function does not depend on (ABC ``-m``).
    depth_slack:
        LUT levels the area rounds may add to the best depth; ``None``: no bound (area-oriented,
        like ABC ``if -a``). A pipelined design registers every few LUT levels, so its depth
        costs latency, not clock rate, and trading depth for area pays there.
    absorb:
        After the rounds, drop every LUT whose readers all have room for its leaves
        (``lutmap_absorb``); never adds depth.
    """

    k: int = 6
    cuts_per_node: int = 8
    flow_rounds: int = 1
    area_rounds: int = 2
    preprocess: bool = True
    minimize_support: bool = True
    depth_slack: int | None = 0
    absorb: bool = True

    def __post_init__(self) -> None:
        if not 2 <= self.k <= MAX_TRUTH_VARS:
            raise ValueError(f"k must be in 2..{MAX_TRUTH_VARS}, got {self.k}")
        if self.cuts_per_node < 1:
            raise ValueError(f"cuts_per_node must be >= 1, got {self.cuts_per_node}")
        if self.flow_rounds < 0 or self.area_rounds < 0:
            raise ValueError("flow_rounds and area_rounds must be >= 0")
        if self.depth_slack is not None and self.depth_slack < 0:
            raise ValueError(f"depth_slack must be >= 0 or None, got {self.depth_slack}")


@dataclass
class LutMapStats:
    """What the mapper produced and how long it took.

    ``rounds`` lists, per mapping round, its kind (delay/flow/area), the cover's LUTs, depth and
    edges after it, and its seconds.
    """

    luts: int = 0
    depth: int = 0
    edges: int = 0
    ands: int = 0
    aig_levels: int = 0
    seconds: float = 0.0
    rounds: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"pass": "lutmap", "luts": self.luts, "depth": self.depth, "edges": self.edges,
                "ands": self.ands, "aig_levels": self.aig_levels,
                "seconds": round(self.seconds, 4), "rounds": self.rounds}


def _schedule(params: LutMapParams) -> list[tuple[int, int, bool]]:
    """(mode, sort mode, first round) per round; see ``lutmap_cuts`` for the modes."""
    rounds = [(0, 0, True)]
    if params.preprocess:
        rounds.append((0, 2, False))
    rounds += [(1, 1, False)] * params.flow_rounds
    rounds += [(2, 1, False)] * params.area_rounds
    return rounds


def lutmap(aig: AIG, params: LutMapParams | None = None) -> tuple[LutNetwork, LutMapStats]:
    """Map ``aig`` onto ``k``-input LUTs, minimizing depth first and then the LUT count.

    Parameters
    ----------
    aig:
        The AIG to map (not modified). Gates that reach no output are ignored.
    params:
        :class:`LutMapParams`; ``None`` means ``k=6``, 8 cuts per node, ABC's default rounds.

    Returns
    -------
    (LutNetwork, LutMapStats)
        The LUT cover (same inputs and outputs, same function) and its statistics.
    """
    params = params or LutMapParams()
    start = time.perf_counter()
    stats = LutMapStats(ands=aig.num_ands, aig_levels=depth(aig))
    n, K, C = aig.num_nodes, params.k, params.cuts_per_node
    aig_refs = fanout_counts(aig).astype(np.int64)
    slot, nslots = assign_slots(aig.fanin0, aig.fanin1, aig.num_inputs)
    best_leaves = np.full((n, K), -1, dtype=np.int32)
    best_size = np.zeros(n, dtype=np.int64)
    best_truth = np.zeros(n, dtype=np.uint64)
    arrival = np.zeros(n, dtype=np.int64)
    area = np.zeros(n, dtype=np.float64)
    edge = np.zeros(n, dtype=np.float64)
    refs = aig_refs.copy()
    est = np.zeros(n, dtype=np.float64)
    required = np.full(n, INF_REQUIRED, dtype=np.int64)
    luts = lvl = edges = 0
    target = -1  # outputs' required level: the delay round's depth (+ slack) once it is known
    for mode, sort_mode, first_round in _schedule(params):
        t0 = time.perf_counter()
        if mode == 0:
            refs[:] = aig_refs
        map_round(aig.fanin0, aig.fanin1, aig.num_inputs,
                  (K, C, mode, sort_mode, first_round, params.minimize_support), slot, nslots,
                  (best_leaves, best_size, best_truth, arrival, area, edge), (refs, est, required))
        luts, lvl, edges = mark_mapping(aig.num_inputs, aig.outputs, best_leaves, best_size,
                                        arrival, refs, required, target)
        if first_round:
            target = (INF_REQUIRED >> 1 if params.depth_slack is None
                      else int(lvl) + params.depth_slack)
            mark_mapping(aig.num_inputs, aig.outputs, best_leaves, best_size, arrival, refs,
                         required, target)
        stats.rounds.append({"round": _ROUND_NAMES[mode], "luts": int(luts), "depth": int(lvl),
                             "edges": int(edges), "seconds": round(time.perf_counter() - t0, 4)})
    if params.absorb:
        t0 = time.perf_counter()
        while absorb_pass(aig.num_inputs, aig.outputs, best_leaves, best_size, best_truth,
                          refs, K):
            update_arrivals(aig.num_inputs, best_leaves, best_size, refs, arrival)
            luts, lvl, edges = mark_mapping(aig.num_inputs, aig.outputs, best_leaves, best_size,
                                            arrival, refs, required, target)
        stats.rounds.append({"round": "absorb", "luts": int(luts), "depth": int(lvl),
                             "edges": int(edges), "seconds": round(time.perf_counter() - t0, 4)})
    net = _extract(aig, best_leaves, best_size, best_truth, refs, K)
    stats.luts, stats.depth, stats.edges = net.num_luts, int(lvl), int(edges)
    stats.seconds = time.perf_counter() - start
    return net, stats


def _extract(aig: AIG, leaves: np.ndarray, size: np.ndarray, truth: np.ndarray,
             refs: np.ndarray, k: int) -> LutNetwork:
    """Renumber the cover (ANDs with references) into a :class:`LutNetwork`."""
    first = aig.first_and
    mapped = np.flatnonzero(refs[first:] > 0) + first
    idmap = np.full(aig.num_nodes, -1, dtype=np.int64)
    idmap[:first] = np.arange(first)
    idmap[mapped] = first + np.arange(len(mapped))
    sizes = size[mapped]
    used = np.arange(k)[None, :] < sizes[:, None]
    fanins = np.where(used, idmap[np.where(used, leaves[mapped], 0)], -1)
    if (fanins[used] < 0).any():
        raise AssertionError("lutmap: a LUT reads a node outside the cover")
    tts = truth[mapped] & _TRUTH_MASKS[sizes]
    outs = aig.outputs
    return LutNetwork(aig.num_inputs, fanins, sizes, tts, idmap[outs >> 1], (outs & 1) == 1,
                      aig.input_names, aig.output_names, roots=mapped)
