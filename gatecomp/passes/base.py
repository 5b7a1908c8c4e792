"""What every pass shares: a statistics record with time and size before/after."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..aig import AIG, depth


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
