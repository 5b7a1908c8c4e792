"""A cycle model of the streaming hardware's control (no data): when each result leaves.

It mirrors :mod:`gatecomp.backends.streaming` register for register (the raster counters, the
skid buffers, the collector, the tail's valid shift register) with ``out_ready`` held at 1 and
a pixel offered every clock, so the report's latency and images-per-clock are the RTL's own
(the unit tests hold the Amaranth simulation to it, cycle for cycle).
"""

from __future__ import annotations

from dataclasses import dataclass

from .layers import Geometry


@dataclass
class _Layer:
    g: Geometry
    y: int = 0
    x: int = 0
    main_v: bool = False
    skid_v: bool = False

    def pad(self) -> bool:
        g, p = self.g, self.g.pad
        return not (p <= self.y < p + g.height and p <= self.x < p + g.width)

    def emits(self) -> bool:
        g = self.g
        return all(i >= g.field - 1 and (i - g.field + 1) % g.stride == 0
                   and (i - g.field + 1) // g.stride < n
                   for i, n in ((self.y, g.out_height), (self.x, g.out_width)))

    def room(self) -> bool:
        return not self.emits() or not self.skid_v


@dataclass(frozen=True)
class Timing:
    latency: int  # clocks from image 0's first pixel taken to its result (out_valid)
    interval: int  # clocks between results in the steady state
    first_pixel: list[int]
    results: list[int]


def simulate_control(geoms: list[Geometry], tail_latency: int, images: int = 3) -> Timing:
    """Result cycles for ``images`` images offered back to back (``out_ready`` = 1)."""
    layers = [_Layer(g) for g in geoms]
    last = geoms[-1]
    positions, per_image = last.positions, geoms[0].height * geoms[0].width
    full, pos, tail = False, 0, [False] * tail_latency
    taken, first, results, cycle = 0, [], [], 0
    while len(results) < images and cycle < 100 * per_image * images + 1000:
        ready = [not lay.pad() and lay.room() for lay in layers]
        out_ready = [*ready[1:], not full]
        offered = taken < per_image * images
        in_valid = [offered, *(lay.main_v for lay in layers[:-1])]
        if tail_latency == 0 and full or tail_latency and tail[-1]:
            results.append(cycle)
        if offered and ready[0]:
            if taken % per_image == 0:
                first.append(cycle)
            taken += 1
        collect = layers[-1].main_v and not full
        tail = [full, *tail[:-1]] if tail_latency else tail
        full = False if full else full
        for lay, v, o in zip(layers, in_valid, out_ready, strict=True):
            _clock(lay, v, o)
        if collect:
            pos, full = (0, True) if pos == positions - 1 else (pos + 1, False)
        cycle += 1
    interval = results[-1] - results[-2] if len(results) > 1 else 0
    return Timing(results[0] - first[0], interval, first, results)


def _clock(lay: _Layer, in_valid: bool, out_ready: bool) -> None:
    """One rising edge of a window layer and its skid buffer."""
    step = (lay.pad() or in_valid) and lay.room()
    push = step and lay.emits()
    if out_ready or not lay.main_v:
        if lay.skid_v:
            lay.main_v, lay.skid_v = True, False
        else:
            lay.main_v = push
    elif push and not lay.skid_v:
        lay.skid_v = True
    if step:
        g = lay.g
        hp, wp = g.height + 2 * g.pad, g.width + 2 * g.pad
        if lay.x == wp - 1:
            lay.x, lay.y = 0, (0 if lay.y == hp - 1 else lay.y + 1)
        else:
            lay.x += 1
