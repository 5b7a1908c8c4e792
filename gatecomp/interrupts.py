"""SIGTERM handled like Ctrl-C while outputs are being written, so their cleanup runs.

Python turns SIGINT into KeyboardInterrupt, and the writers (:mod:`gatecomp.outdir`, the FPGA
flow) remove what they had half-written on the way out. SIGTERM, what ``kill`` and job
schedulers send, would end the process on the spot and leave temp files behind; inside
:func:`terminate_as_interrupt` it raises :class:`Terminated` (a KeyboardInterrupt) instead.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived (raised like Ctrl-C's KeyboardInterrupt, so the same cleanup runs)."""


def _raise_terminated(_signum, _frame) -> None:
    raise Terminated("terminated (SIGTERM)")


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block (main thread only: signals go there), SIGTERM raises Terminated."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
