"""Refuse a flat compile that cannot fit in memory, before it starts, naming what it would need.

A flat compile holds the lowered and optimized AIGs, the check vectors' simulation and the
writers' buffers at once, so its peak grows with the trained gates. Measured peaks (issue 21,
torchlogix zoo with random weights): ClgnCifar10Small, 0.87 M gates, 0.98 GB; ClgnCifar10Medium,
about 7 M gates, 3.2 GB. The line through them (about 0.66 GB + 360 bytes a gate) is rounded up
below, so the estimate errs on the side of "it needs more", and a refusal happens only when
even a generous estimate exceeds what the machine has free: it is a message, not a guess.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from ..errors import GatecompError

#: the interpreter, torch and the frontends before any gate exists (measured 0.66 GB)
BASE_BYTES = 700_000_000
#: peak bytes per trained gate over the whole flat compile (measured about 360)
BYTES_PER_GATE = 450
#: overrides the free memory read from the machine: bytes, or a number with K/M/G/T
LIMIT_ENV = "GATECOMP_MEMORY_LIMIT"


@dataclass(frozen=True)
class MemoryEstimate:
    gates: int
    need_bytes: int
    free_bytes: int

    @property
    def fits(self) -> bool:
        return self.need_bytes <= self.free_bytes


def flat_peak_bytes(gates: int) -> int:
    """The estimated peak resident memory of a flat compile of ``gates`` trained gates."""
    return BASE_BYTES + BYTES_PER_GATE * gates


def free_bytes() -> int:
    """Memory this compile may use: ``$GATECOMP_MEMORY_LIMIT``, else MemAvailable, capped by
    the cgroup limit a container sets."""
    text = os.environ.get(LIMIT_ENV)
    if text:
        return parse_size(text)
    sizes = [s for s in (_meminfo_available(), _cgroup_free()) if s is not None]
    return min(sizes) if sizes else 1 << 62


def parse_size(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", text, re.IGNORECASE)
    if not m:
        raise GatecompError(f"{LIMIT_ENV}={text!r}: give bytes or a size such as 512M or 4G")
    scale = 1024 ** ("KMGT".find(m.group(2).upper()) + 1) if m.group(2) else 1
    return int(float(m.group(1)) * scale)


def check_flat_memory(model, conv_hint: bool) -> MemoryEstimate | None:
    """Refuse (one line) a flat compile whose estimated peak exceeds the free memory.

    Models that do not count trained gates (BNN, QNN, LUT nets) are not estimated."""
    gates = getattr(model, "logic_gates", None)
    if not isinstance(gates, int):
        return None
    est = MemoryEstimate(gates, flat_peak_bytes(gates), free_bytes())
    if not est.fits:
        hint = "; use --conv streaming" if conv_hint else ""
        raise GatecompError(
            f"a flat compile of {gates:,} trained gates needs about {_gb(est.need_bytes)} of "
            f"memory, {_gb(est.free_bytes)} is available{hint}")
    return est


def _gb(n: int) -> str:
    return f"{n / 1e9:.1f} GB"


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _cgroup_free() -> int | None:
    try:
        with open("/sys/fs/cgroup/memory.max") as fh:
            limit = fh.read().strip()
        if limit == "max":
            return None
        with open("/sys/fs/cgroup/memory.current") as fh:
            return int(limit) - int(fh.read().strip())
    except (OSError, ValueError):
        return None
