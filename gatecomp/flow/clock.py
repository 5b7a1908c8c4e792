"""Progress for long work: each stage prints when it ends, with its detail and seconds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

Progress = Callable[[str], None]


@dataclass
class Stage:
    """What a stage reports when it ends (set ``detail`` inside the ``with`` block)."""

    detail: str = ""


@dataclass
class StageClock:
    """Times named stages, prints ``label: detail (s)`` and keeps the seconds by key."""

    progress: Progress | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def say(self, msg: str) -> None:
        if self.progress is not None:
            self.progress(msg)

    @contextmanager
    def stage(self, key: str, label: str | None = None) -> Iterator[Stage]:
        start, st = time.perf_counter(), Stage()
        yield st
        sec = time.perf_counter() - start
        self.say(f"{label or key}{': ' + st.detail if st.detail else ''} ({sec:.2f} s)")
        self.timings[key] = sec
