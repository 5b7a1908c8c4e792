"""Sequential AIGER files (latches, AIGER 1.9 reset values) as a step AIG plus latch inits.

AIGER numbers latches right after the inputs, so a file's variables *are* a combinational step
AIG whose last ``L`` inputs are the latches' current values and whose last ``L`` outputs their
next values (the layout :func:`~gatecomp.aig.aiger.write_aiger` writes with ``latches``). The
reader moves the latch lines behind the outputs and reads that combinational file, so one
parser serves both. A latch's reset value is 0, 1 or, in AIGER 1.9, its own literal:
uninitialized, kept as ``None`` so a rewritten file keeps it.

What the step does not capture is refused: bad-state, invariant-constraint, justice and
fairness sections (properties, not logic; an optimizer would drop them silently).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .aiger import AigerError, read_aiger
from .graph import AIG

#: the AIGER 1.9 header fields after M I L O A, in order
PROPERTY_SECTIONS = ("bad-state", "invariant-constraint", "justice", "fairness")


@dataclass(frozen=True, eq=False)
class LatchedAig:
    """A step AIG (last ``len(init)`` inputs/outputs = latch values/next values) + resets.

    ``init[k]`` is latch ``k``'s reset value: 0, 1, or None (uninitialized).
    """

    step: AIG
    init: tuple[int | None, ...]

    @property
    def num_latches(self) -> int:
        return len(self.init)

    def init_counts(self) -> dict[str, int]:
        """How many latches reset to 0, to 1, and are uninitialized."""
        return {"0": self.init.count(0), "1": self.init.count(1),
                "uninitialized": self.init.count(None)}


@dataclass(frozen=True)
class _Header:
    binary: bool
    m: int
    i: int
    latches: int
    o: int
    a: int
    properties: tuple[int, ...]


def _header(line: bytes) -> _Header:
    fields = line.split()
    if len(fields) < 6 or fields[0] not in (b"aig", b"aag"):
        raise AigerError("not an AIGER file (header must start with 'aig' or 'aag')")
    if len(fields) > 10:
        raise AigerError(f"bad AIGER header (more than 9 numbers): {line[:80]!r}")
    try:
        nums = [int(x) for x in fields[1:]]
    except ValueError:
        raise AigerError(f"bad AIGER header: {line[:80]!r}") from None
    if min(nums) < 0:
        raise AigerError(f"bad AIGER header (negative count): {line[:80]!r}")
    m, i, n_l, o, a = nums[:5]
    if m < i + n_l + a:
        raise AigerError(f"header M={m} smaller than I+L+A={i + n_l + a}")
    props = tuple(nums[5:]) + (0,) * (4 - len(nums[5:]))
    return _Header(fields[0] == b"aig", m, i, n_l, o, a, props)


def read_latched_aiger(source: str | Path | bytes, bad_as_outputs: bool = False) -> LatchedAig:
    """Read an AIGER file (with or without latches) as a :class:`LatchedAig`.

    ``bad_as_outputs`` reads bad-state properties as plain outputs (what gatecomp's own report
    tolerates); by default they are refused like the other property sections.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    head, _, rest = data.partition(b"\n")
    h = _header(head)
    props = h.properties if not bad_as_outputs else (0, *h.properties[1:])
    given = [f"{n} {name}" for n, name in zip(props, PROPERTY_SECTIONS, strict=True) if n]
    if given:
        raise AigerError(f"AIGER {', '.join(given)} section(s) are not supported (only inputs, "
                         "latches, outputs and ANDs)")
    o = h.o + (h.properties[0] if bad_as_outputs else 0)
    lines = rest.split(b"\n")
    ins = [] if h.binary else lines[:h.i]
    latch = [ln.split() for ln in lines[len(ins):len(ins) + h.latches]]
    outs = lines[len(ins) + h.latches:len(ins) + h.latches + o]
    body = b"\n".join(lines[len(ins) + h.latches + o:])
    if len(latch) < h.latches or any(len(f) < (1 if h.binary else 2) for f in latch):
        raise AigerError("truncated latch section")
    cur = [] if h.binary else [f[0] for f in latch]
    nexts = [f[0] if h.binary else f[1] for f in latch]
    init = tuple(_reset_value(k, f, h) for k, f in enumerate(latch))
    new_head = b"%s %d %d 0 %d %d" % (head.split()[0], h.m, h.i + h.latches,
                                       o + h.latches, h.a)
    body = _latch_symbols_as_inputs(body, h.i)
    step = read_aiger(b"\n".join([new_head, *ins, *cur, *outs, *nexts, body]))
    return LatchedAig(step, init)


def _reset_value(k: int, fields: list[bytes], h: _Header) -> int | None:
    """Latch ``k``'s reset: 0 when absent, 0/1, None when it is the latch's own literal."""
    at = 1 if h.binary else 2
    if len(fields) > at + 1:
        raise AigerError(f"latch {k}: more than {at + 1} numbers on its line")
    raw = fields[at] if len(fields) > at else b"0"
    own = 2 * (h.i + k + 1) if h.binary else _int(fields[0], k)
    value = _int(raw, k)
    if value in (0, 1):
        return value
    if value == own:
        return None
    raise AigerError(f"latch {k}: reset value {value} is none of 0, 1 or its own literal {own}")


def _int(raw: bytes, k: int) -> int:
    try:
        return int(raw)
    except ValueError:
        raise AigerError(f"latch {k}: not a number: {raw[:20]!r}") from None


def _latch_symbols_as_inputs(body: bytes, num_inputs: int) -> bytes:
    """``l<k> name`` symbol lines renamed to ``i<num_inputs + k> name`` (before the comment)."""
    out, in_comment = [], False
    for line in body.split(b"\n"):
        in_comment = in_comment or line == b"c"
        if not in_comment and line[:1] == b"l" and line[1:].split(b" ")[0].isdigit():
            k, _, name = line[1:].partition(b" ")
            line = b"i%d %s" % (num_inputs + int(k), name)
        out.append(line)
    return b"\n".join(out)
