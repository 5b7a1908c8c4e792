"""LUT-aligned AIG: the logic re-laid so that pipeline registers fall on LUT boundaries.

Pipelining by AIG level cuts the logic where the FPGA mapper would rather put the middle of a
LUT: every register rank then splits LUT cones, and synthesis needs more LUTs per stage than the
mapping of the whole network (measured on the digits DLGN, ECP5: 3838 LUT4 pipelined every 8
AIG levels against 3384 in one LUT4 cover). Here the AIG is first mapped onto k-LUTs
(:func:`~gatecomp.mapping.lutmap.lutmap`); then the cone of every LUT of the cover (the ANDs
between the LUT's root and its cut leaves) is copied into a new AIG. Copies are structurally
hashed within a pipeline stage only: logic shared by LUTs of different stages is duplicated, as
the mapping assumes, instead of being registered halfway through a LUT. The result is therefore
not canonical (two ANDs of different stages may have the same fanins; ``check_aig(aig,
canonical=False)`` holds) and must not go through the optimization passes, which would merge
them again. Each copied node gets the level of its LUT in the cover, and
:func:`~gatecomp.mapping.stages.plan_pipeline` cuts stages on those levels: registers hold LUT
outputs only, and each stage is a whole number of LUT levels.

The copy computes the same function by construction (it is the same logic, duplicated);
callers still check it like any pass result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..aig import AIG, AIGBuilder
from .lutmap import LutMapParams, lutmap
from .lutnet import LutNetwork, _shannon
from .stages import PipelineParams, stage_span


@dataclass(frozen=True, eq=False)
class LutAlignment:
    """The aligned AIG and, per node, the LUT level its stage is cut by.

    Attributes
    ----------
    aig:
        Same inputs, outputs and function as the source AIG; ANDs grouped by LUT and stage.
    levels:
        Per node of ``aig`` (constant and inputs: 0): the level, in the k-LUT cover, of the
        LUT that computes it; never smaller than any fanin's. Pass it to ``plan_pipeline``
        with the same :class:`PipelineParams`.
    lut_nodes:
        The node of ``aig`` computing each LUT of the cover (ascending): the only ANDs a
        register rank may hold.
    stats:
        ``{"k", "luts", "depth", "depth_slack", "levels_per_stage", "ands_before", "ands_after",
        "duplicated", "seconds"}``.
    cover:
        The k-LUT cover the copy was made from (same function): LUT ``j`` sits in stage
        ``ceil(level / levels_per_stage)`` of it, which is what the FPGA backend writes as
        device LUT cells (:mod:`gatecomp.fpga.lut_cells`).
    """

    aig: AIG
    levels: np.ndarray
    lut_nodes: np.ndarray
    stats: dict
    cover: LutNetwork


def align_to_luts(aig: AIG, params: PipelineParams, k: int = 4) -> LutAlignment:
    """Map ``aig`` onto ``k``-LUTs and rebuild it LUT by LUT (see the module docstring).

    ``params`` counts levels in LUTs: ``levels_per_stage=3`` puts a register rank after every
    third LUT level, ``stages=S`` cuts the cover's depth into ``S`` slices. The cover is mapped
    for depth first; if its last stage is not full, it is mapped again with the missing levels
    as depth slack (the area rounds may use them), which saves LUTs at no cost in latency
    (digits DLGN, 3 LUT levels per stage: depth 25 -> 27, 3384 -> 3140 4-LUTs, 9 stages both).
    """
    start = time.perf_counter()
    net, _ = lutmap(aig, LutMapParams(k=k))
    depth = net.depth()
    stages, per = stage_span(depth, params)
    slack = 0 if params.combinational else stages * per - depth
    if slack:  # the last stage has room: let the mapper trade those levels for area
        net, _ = lutmap(aig, LutMapParams(k=k, depth_slack=slack))
    lut_level = net.levels()[net.first_lut:]
    depth = int(lut_level.max(initial=0))
    _, per = stage_span(depth, params)
    first, f0, f1 = aig.first_and, aig.fanin0.tolist(), aig.fanin1.tolist()
    roots = net.roots.tolist()
    leaf_ids = [net.fanins[j, :net.sizes[j]].tolist() for j in range(net.num_luts)]

    builder = AIGBuilder(aig.num_inputs, aig.input_names)
    node_level = [0] * first
    lit = list(range(0, 2 * first, 2))  # new literal of each input / LUT root (old node id)
    lit.extend([0] * (aig.num_nodes - first))
    cone_limit = 4 << k  # ANDs; a k-input cut's cone in a strashed AIG is far smaller
    for j, root in enumerate(roots):
        level = int(lut_level[j])
        builder.hash_scope(max(1, -(-level // per)) if per else 1)  # the LUT's stage
        leaves = {f if f < net.first_lut else roots[f - net.first_lut] for f in leaf_ids[j]}
        cone = _cone(root, leaves, first, f0, f1, cone_limit)
        if cone is None:  # the mapper dropped a leaf the structure uses: build the truth table
            fan = [lit[f if f < net.first_lut else roots[f - net.first_lut]]
                   for f in leaf_ids[j]]
            lit[root] = _shannon(builder, int(net.truth[j]), len(fan), fan, {})
        else:
            made: dict[int, int] = {}
            for n in cone:  # post-order: fanins first
                a, c = f0[n - first], f1[n - first]
                made[n] = builder.add_and(_source(a, leaves, made, lit),
                                          _source(c, leaves, made, lit))
            lit[root] = made[root]
        node_level += [level] * (first + builder.num_ands - len(node_level))  # the new gates
    lit_arr = np.asarray(lit, dtype=np.int64)
    outputs = lit_arr[aig.outputs >> 1] ^ (aig.outputs & 1)
    new = builder.build(outputs, aig.output_names)
    levels = np.asarray(node_level, dtype=np.int64)
    _make_monotone(new, levels)
    levels.setflags(write=False)
    stats = {"k": k, "luts": net.num_luts, "depth": depth, "depth_slack": slack,
             "levels_per_stage": per,
             "ands_before": aig.num_ands, "ands_after": new.num_ands,
             "duplicated": new.num_ands - aig.num_ands,
             "seconds": round(time.perf_counter() - start, 4)}
    lut_nodes = np.unique(lit_arr[np.asarray(roots, dtype=np.int64)] >> 1)
    return LutAlignment(new, levels, lut_nodes[lut_nodes >= first], stats, net)


def _cone(root: int, leaves: set[int], first: int, f0: list[int], f1: list[int],
          limit: int) -> list[int] | None:
    """The ANDs between ``root`` and ``leaves`` in post-order, or ``None`` if the structure
    reaches a primary input that is not a leaf or grows past ``limit`` (the cover dropped a
    leaf the function does not depend on, and the structure goes on below it)."""
    order: list[int] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        n = stack[-1]
        if n in seen:
            stack.pop()
            continue
        pending = []
        for x in (f0[n - first] >> 1, f1[n - first] >> 1):
            if x in leaves or x in seen or x == 0:
                continue
            if x < first or len(order) + len(stack) > limit:
                return None
            pending.append(x)
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        seen.add(n)
        order.append(n)
    return order


def _source(x: int, leaves: set[int], made: dict[int, int], lit: list[int]) -> int:
    """New literal for the old fanin literal ``x`` inside one LUT's cone."""
    n = x >> 1
    return (lit[n] if n in leaves or n not in made else made[n]) ^ (x & 1)


def _make_monotone(aig: AIG, levels: np.ndarray) -> None:
    """Lower fanins to their reader's level where one node serves several LUTs of a stage
    (structural hashing shares it; it must be ready for the earliest of them)."""
    first = aig.first_and
    f0, f1 = (aig.fanin0 >> 1).tolist(), (aig.fanin1 >> 1).tolist()
    lev = levels.tolist()
    for n in range(aig.num_nodes - 1, first - 1, -1):
        ln = lev[n]
        for f in (f0[n - first], f1[n - first]):
            if f >= first and lev[f] > ln:
                lev[f] = ln
    levels[:] = lev
