"""Pipeline stage assignment: which stage computes each AND, and what each register rank holds.

A plan with latency ``S`` has ``S`` register ranks. Stage ``b`` (``1..S``) computes the ANDs
whose logic level falls in its slice of levels and ends in register rank ``b``; the outputs are
read from rank ``S`` (so they leave the pipeline registered). A value is *available* in the stage
that computes it (primary inputs in stage 1); a consumer in stage ``c`` reading a value available
in stage ``a < c`` reads the copy held in rank ``c - 1``, and the value is carried through ranks
``a .. c - 1``. Outputs are consumers in stage ``S + 1``. Every input-to-output path therefore
crosses exactly ``S`` registers, including outputs that are a primary input wire. Constant
outputs (node 0) need no register: they have the same value at every latency.

With neither option the plan is combinational: one stage, no registers, latency 0.

This is an analysis, not a transformation: the AIG is unchanged and the backends read the plan.
Everything is numpy arrays (one pass over the fanins), so a million gates takes well under a
second.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..aig import AIG, levels


@dataclass(frozen=True)
class PipelineParams:
    """How to pipeline: give ``stages`` (register ranks), ``levels_per_stage``, or neither.

    ``stages=S`` cuts the logic every ``ceil(depth / S)`` levels; more stages than levels gives
    ``depth`` one-level stages followed by pass-through register ranks (latency is always ``S``).
    ``levels_per_stage=L`` cuts every ``L`` levels, giving ``max(1, ceil(depth / L))`` stages.
    ``stages=0`` is the same as neither: combinational, latency 0.
    """

    stages: int | None = None
    levels_per_stage: int | None = None

    def __post_init__(self) -> None:
        if self.stages is not None and self.levels_per_stage is not None:
            raise ValueError("give either stages or levels_per_stage, not both")
        for name in ("stages", "levels_per_stage"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        if self.stages is not None and self.stages < 0:
            raise ValueError(f"stages must be >= 0, got {self.stages}")
        if self.levels_per_stage is not None and self.levels_per_stage < 1:
            raise ValueError(f"levels_per_stage must be >= 1, got {self.levels_per_stage}")

    @property
    def combinational(self) -> bool:
        return self.levels_per_stage is None and not self.stages


@dataclass(frozen=True, eq=False)
class PipelinePlan:
    """Stage per node and the contents of every register rank.

    Attributes
    ----------
    latency:
        ``S``, the number of register ranks (0 = combinational).
    levels_per_stage:
        Logic levels per stage (the last computing stage may have fewer; 0 when the AIG has
        no levels and the plan is combinational).
    depth:
        Logic depth of the AIG (largest level of any node).
    stage:
        Per node (constant, inputs, ANDs): the stage where its value is available, ``1..max(S, 1)``
        (constant and inputs: 1).
    last_use:
        Per node: the latest stage that reads it (outputs read in stage ``S + 1``); 0 if unused.
        The constant node is always 0 here: it is never registered.
    registers:
        ``registers[b - 1]`` holds the node indices (ascending) held in rank ``b``: those with
        ``stage <= b < last_use``.
    stats:
        ``{"stages", "levels_per_stage", "depth", "registers", "registers_per_rank",
        "seconds"}``.
    """

    latency: int
    levels_per_stage: int
    depth: int
    stage: np.ndarray
    last_use: np.ndarray
    registers: tuple[np.ndarray, ...]
    stats: dict = field(default_factory=dict)

    @property
    def num_registers(self) -> int:
        return int(sum(len(r) for r in self.registers))

    def register_position(self, rank: int, nodes: np.ndarray) -> np.ndarray:
        """Bit positions of ``nodes`` inside rank ``rank`` (1-based); raises if one is absent."""
        held = self.registers[rank - 1]
        nodes = np.asarray(nodes, dtype=np.int64)
        pos = np.searchsorted(held, nodes)
        if len(nodes) and (pos.max(initial=0) >= len(held) or (held[pos] != nodes).any()):
            raise ValueError(f"register rank {rank} does not hold every requested node")
        return pos


def stage_span(depth: int, params: PipelineParams) -> tuple[int, int]:
    """``(latency, levels per stage)`` for logic ``depth`` levels deep under ``params``."""
    if params.combinational:
        return 0, max(depth, 0)
    if params.stages is not None:
        return params.stages, max(1, -(-depth // params.stages))
    return max(1, -(-depth // params.levels_per_stage)), params.levels_per_stage


def plan_pipeline(aig: AIG, params: PipelineParams | None = None,
                  node_levels: np.ndarray | None = None) -> PipelinePlan:
    """Assign every AND a stage from its logic level and list what each register rank holds.

    Parameters
    ----------
    aig:
        The (optimized) AIG; it is not modified.
    params:
        :class:`PipelineParams`; ``None`` means combinational.
    node_levels:
        The level each node's stage is cut by, never smaller than its fanins' (default: the
        AIG logic level). :func:`~gatecomp.mapping.lut_align.align_to_luts` gives LUT levels, so
        registers fall on LUT boundaries.

    Returns
    -------
    PipelinePlan
        Stage per node, nodes per register rank, latency and register count.
    """
    start = time.perf_counter()
    params = params or PipelineParams()
    lev = levels(aig) if node_levels is None else np.asarray(node_levels, dtype=np.int64)
    if len(lev) != aig.num_nodes:
        raise ValueError(f"node_levels has {len(lev)} entries for {aig.num_nodes} nodes")
    d = int(lev.max(initial=0))
    latency, per = stage_span(d, params)

    # stage where each value becomes available: inputs/constant in stage 1, ANDs by level
    if latency == 0:
        stage = np.ones(aig.num_nodes, dtype=np.int64)
    else:
        stage = np.maximum(1, (lev + per - 1) // per)

    # latest consumer stage per node; outputs are consumed in stage S + 1
    last = np.zeros(aig.num_nodes, dtype=np.int64)
    and_stage = stage[aig.first_and:]
    np.maximum.at(last, aig.fanin0 >> 1, and_stage)
    np.maximum.at(last, aig.fanin1 >> 1, and_stage)
    last[aig.outputs >> 1] = latency + 1
    last[0] = 0  # the constant is never registered

    registers = []
    if latency:
        carried = np.flatnonzero(last > stage)
        first_rank, last_rank = stage[carried], last[carried] - 1
        for rank in range(1, latency + 1):
            held = carried[(first_rank <= rank) & (last_rank >= rank)]
            held.setflags(write=False)
            registers.append(held)
    for arr in (stage, last):
        arr.setflags(write=False)
    per_rank = [len(r) for r in registers]
    stats = {"stages": latency, "levels_per_stage": per, "depth": d,
             "registers": int(sum(per_rank)), "registers_per_rank": per_rank,
             "seconds": round(time.perf_counter() - start, 4)}
    return PipelinePlan(latency, per, d, stage, last, tuple(registers), stats)


def level_groups(aig: AIG, plan: PipelinePlan
                 ) -> tuple[list[np.ndarray], list[str], list[int]]:
    """The ANDs in groups of one logic level and one stage, in build order; their names; their
    logic levels.

    The backends build one vector per group. A plan cut by logic level puts each level in one
    stage (groups ``l1, l2, ...``); a plan cut on other boundaries (LUT levels) can spread a
    level over stages, whose groups are then named ``l5s1``, ``l5s2``, ...
    """
    lev = levels(aig)[aig.first_and:]
    stage = plan.stage[aig.first_and:]
    key = stage * (int(lev.max(initial=0)) + 1) + lev
    order = np.argsort(key, kind="stable")
    if not len(order):
        return [], [], []
    cuts = np.flatnonzero(np.diff(key[order])) + 1
    groups = [g + aig.first_and for g in np.split(order, cuts)]
    first = np.array([g[0] for g in groups], dtype=np.int64) - aig.first_and
    split = np.bincount(lev[first]) > 1
    names = [f"l{lev[i]}s{stage[i]}" if split[lev[i]] else f"l{lev[i]}" for i in first.tolist()]
    return groups, names, lev[first].tolist()
