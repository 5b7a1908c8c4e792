"""What every pass shares: a statistics record with time and size before/after, and the frame
of the DAG-aware sweeps (``rewrite``, ``refactor``, ``resub``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..aig import AIG, depth
from ..logic.dag_edit import clean_arrays, result_aig


@dataclass
class PassStats:
    """Size and depth before/after a pass, its run time, and pass-specific counters."""

    name: str
    ands_before: int = 0
    ands_after: int = 0
    levels_before: int = 0
    levels_after: int = 0
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"pass": self.name, "ands_before": self.ands_before,
                "ands_after": self.ands_after, "levels_before": self.levels_before,
                "levels_after": self.levels_after, "seconds": round(self.seconds, 4),
                **self.extra}


@contextmanager
def measured(name: str, before: AIG) -> Iterator[PassStats]:
    """Context that fills a :class:`PassStats`; the body sets ``stats.after`` via ``finish``."""
    stats = PassStats(name, ands_before=before.num_ands, levels_before=depth(before))
    start = time.perf_counter()
    yield stats
    stats.seconds = time.perf_counter() - start


def finish(stats: PassStats, after: AIG) -> PassStats:
    stats.ands_after = after.num_ands
    stats.levels_after = depth(after)
    return stats


def run_sweep(aig: AIG, name: str, zero_gain: bool, kernel: Callable, counters: tuple[str, ...]
              ) -> tuple[AIG, PassStats]:
    """One DAG-aware sweep: ``aig`` cleaned up (constants folded, hashed, dead gates removed),
    ``kernel(f0, f1, outputs, extra)`` run on it with room for ``extra`` new nodes, its result
    cleaned up (and, without ``zero_gain``, the input kept where the result is larger).
    ``stats.extra`` names the kernel's counters; the pass is named ``name{zero_gain}`` with it.
    """
    with measured(name + ("{zero_gain}" if zero_gain else ""), aig) as stats:
        f0, f1, outs = clean_arrays(aig)
        g0, g1, gouts, c = kernel(f0, f1, outs, len(f0) // 2 + 1024)
        result = result_aig(aig, g0, g1, gouts, None if zero_gain else (f0, f1, outs))
        stats.extra = {key: int(c[i]) for i, key in enumerate(counters)}
    return result, finish(stats, result)
