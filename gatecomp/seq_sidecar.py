"""The sidecar of a sequential build: :class:`~gatecomp.sidecar.Sidecar` plus its protocol.

``rtl/NAME.json`` of a sequential circuit has every key of a combinational one (so the port
map, widths and size read the same way) and one more, ``sequence``: the state width, the
registers' reset value, the flag that ends a sequence and when outputs come. It is a separate
type so combinational sidecars keep their keys (and their bytes); ``Sidecar.read`` refuses a
sequential file by its unknown key, and :meth:`SeqSidecar.read` reads it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .sidecar import Sidecar

#: the input that marks the last step of a sequence
LAST_PORT = "in_last"


@dataclass(frozen=True)
class SequenceInfo:
    """The sequential protocol: ``state_width`` registers reset to ``init`` (bit 0 first) at
    reset and after every beat with ``in_last`` set; outputs after the last step
    (``emit == "last"``) or after every step (``"each"``), ``latency`` edges after the beat;
    ``steps`` is the sequence length the model was trained on (None: not recorded)."""

    state_width: int
    init: str
    emit: str
    steps: int | None
    last: str


@dataclass(frozen=True)
class SeqSidecar(Sidecar):
    """A sequential module's sidecar: the combinational keys, then ``sequence``."""

    sequence: SequenceInfo


def is_sequential_sidecar(path: Path) -> bool:
    """Whether the JSON file ``path`` is a sequential sidecar (has the ``sequence`` key)."""
    try:
        return "sequence" in json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return False
