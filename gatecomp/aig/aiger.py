"""AIGER reading and writing (binary ``aig``; ASCII ``aag`` read too), with symbol tables.

The binary format is what ABC and Yosys read. Encoding and decoding of the delta-compressed AND
section is vectorised, so million-gate files take well under a second.

Sequential circuits (AIGER 1.9 latches, ``next init`` lines) are written from and read into a
combinational step AIG whose last ``L`` inputs are the latches' current values and whose last
``L`` outputs are their next values: AIGER numbers latches right after the inputs, so that AIG
*is* the file's variable numbering (see :mod:`gatecomp.aig.seq`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..outdir import write_atomic
from .aag_order import CycleError, and_order
from .graph import AIG, LIT_DTYPE


class AigerError(ValueError):
    """The file is not a combinational AIGER file we can read."""


#: inputs a file may declare: binary AIGER lists none of them, so a header alone could ask for
#: gigabytes (names, simulation words) before anything else of the file is read
MAX_INPUTS = 1 << 24


def _literals(line: bytes, count: int, what: str) -> list[int]:
    """The first ``count`` unsigned integers of ``line``, or an AigerError naming ``what``."""
    fields = line.split()
    if len(fields) < count:
        raise AigerError(f"{what}: expected {count} literal(s), got {line[:40]!r}")
    try:
        values = [int(x) for x in fields[:count]]
    except ValueError:
        raise AigerError(f"{what}: not a number in {line[:40]!r}") from None
    if min(values) < 0:
        raise AigerError(f"{what}: negative literal in {line[:40]!r}")
    return values


def _encode_varints(values: np.ndarray) -> bytes:
    values = np.asarray(values, dtype=np.uint64)
    nbytes = np.ones(len(values), dtype=np.int64)
    for k in range(1, 10):
        nbytes += values >= np.uint64(1 << (7 * k))
    start = np.concatenate(([0], np.cumsum(nbytes)[:-1]))
    out = np.zeros(int(nbytes.sum()), dtype=np.uint8)
    for k in range(int(nbytes.max(initial=1))):
        sel = nbytes > k
        byte = (values[sel] >> np.uint64(7 * k)) & np.uint64(0x7F)
        byte |= np.where(nbytes[sel] > k + 1, np.uint64(0x80), np.uint64(0))
        out[start[sel] + k] = byte.astype(np.uint8)
    return out.tobytes()


def _decode_varints(data: np.ndarray, count: int) -> tuple[np.ndarray, int]:
    """Decode ``count`` varints from the start of ``data``; returns values and bytes used."""
    if count == 0:
        return np.zeros(0, dtype=np.int64), 0
    ends = np.flatnonzero(data < 0x80)
    if len(ends) < count:
        raise AigerError("truncated AND section")
    used = int(ends[count - 1]) + 1
    body = data[:used].astype(np.int64)
    starts = np.concatenate(([0], ends[: count - 1] + 1))
    group = np.repeat(np.arange(count), np.diff(np.concatenate((starts, [used]))))
    shift = 7 * (np.arange(used) - starts[group])
    vals = np.add.reduceat((body & 0x7F) << shift, starts)
    return vals, used


def write_aiger(aig: AIG, path: str | Path | None = None, comment: str = "",
                latches: Sequence[int] | None = None) -> bytes:
    """Serialise to binary AIGER (with symbols and an optional comment); write if ``path``.

    ``latches`` (one reset value per latch: 0, 1, or None for uninitialized, AIGER 1.9's own
    literal) makes the last ``len(latches)`` inputs latch outputs and the last
    ``len(latches)`` outputs their next-state functions.
    """
    i, a = aig.num_inputs, aig.num_ands
    n_l = 0 if latches is None else len(latches)
    if n_l > min(i, aig.num_outputs) or any(v not in (0, 1, None) for v in latches or ()):
        raise AigerError(f"{n_l} latches need as many inputs and outputs and 0/1/None resets")
    o = aig.num_outputs - n_l
    header = f"aig {i + a} {i - n_l} {n_l} {o} {a}\n"
    nexts = aig.outputs[o:]
    own = 2 * np.arange(i - n_l + 1, i + 1)
    latch_lines = "".join(f"{int(nx)}\n" if v == 0 else f"{int(nx)} {1 if v else int(lt)}\n"
                          for nx, v, lt in zip(nexts, latches or (), own, strict=True))
    parts = [header.encode(), latch_lines.encode(),
             "".join(f"{int(x)}\n" for x in aig.outputs[:o]).encode()]
    lhs = 2 * np.arange(aig.first_and, aig.num_nodes, dtype=LIT_DTYPE)
    deltas = np.empty(2 * a, dtype=LIT_DTYPE)
    deltas[0::2] = lhs - aig.fanin0
    deltas[1::2] = aig.fanin0 - aig.fanin1
    if a and (deltas.min() < 0 or (deltas[0::2] == 0).any()):
        raise AigerError("AIG is not in AIGER order (fanin0 >= fanin1, fanins before gate)")
    parts.append(_encode_varints(deltas))
    symbols = [f"i{k} {n}" for k, n in enumerate(aig.input_names[:i - n_l])]
    symbols += [f"l{k} {n}" for k, n in enumerate(aig.input_names[i - n_l:])]
    symbols += [f"o{k} {n}" for k, n in enumerate(aig.output_names[:o])]
    parts.append(("\n".join(symbols) + "\n").encode() if symbols else b"")
    if comment:
        parts.append(f"c\n{comment}\n".encode())
    data = b"".join(parts)
    if path is not None:
        write_atomic(path, data)  # an interrupted `gatecomp opt -o` leaves no half a file
    return data


def read_aiger(source: str | Path | bytes) -> AIG:
    """Read a combinational AIGER file (binary or ASCII). Latches are rejected."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    nl = data.find(b"\n")
    fields = data[:nl].split() if nl >= 0 else []
    if len(fields) < 6 or fields[0] not in (b"aig", b"aag"):
        raise AigerError("not an AIGER file (header must start with 'aig' or 'aag')")
    try:
        m, i, latches, o, a = (int(x) for x in fields[1:6])
    except ValueError as exc:
        raise AigerError(f"bad AIGER header: {data[:nl]!r}") from exc
    if latches:
        raise AigerError(f"sequential AIGER ({latches} latches) is not supported")
    if i > MAX_INPUTS:
        raise AigerError(f"header declares {i:,} inputs; gatecomp reads at most {MAX_INPUTS:,}")
    binary = fields[0] == b"aig"
    pos = nl + 1

    def next_line() -> bytes:
        nonlocal pos
        end = data.find(b"\n", pos)
        if end < 0:
            raise AigerError(f"unexpected end of file (the header promises {i} inputs, "
                             f"{o} outputs and {a} ANDs)")
        line, pos = data[pos:end], end + 1
        return line

    if not binary:
        for k in range(i):
            if _literals(next_line(), 1, f"input {k}")[0] != 2 * (k + 1):
                raise AigerError("ASCII AIGER with non-consecutive inputs is not supported")
    outputs = np.array([_literals(next_line(), 1, f"output {k}")[0] for k in range(o)],
                       dtype=LIT_DTYPE)
    if binary:
        vals, used = _decode_varints(np.frombuffer(data, dtype=np.uint8, offset=pos), 2 * a)
        pos += used
        lhs = 2 * np.arange(i + 1, i + 1 + a, dtype=LIT_DTYPE)
        f0 = lhs - vals[0::2]
        f1 = f0 - vals[1::2]
    else:
        rows = np.array([_literals(next_line(), 3, f"AND {k}") for k in range(a)],
                        dtype=LIT_DTYPE).reshape(a, 3)
        if a and rows.max() >= 2 * (i + a + 1):
            k = int(np.flatnonzero((rows >= 2 * (i + a + 1)).any(axis=1))[0])
            raise AigerError(f"AND {k}: literal {int(rows[k].max())} out of range (the file "
                             f"has {i + a} variables)")
        rows, outputs = _ascii_in_order(rows, outputs, i)
        f0 = np.maximum(rows[:, 1], rows[:, 2])
        f1 = np.minimum(rows[:, 1], rows[:, 2])
    if m < i + a:
        raise AigerError(f"header M={m} smaller than I+A={i + a}")
    in_names = [f"i{k}" for k in range(i)]
    out_names = [f"o{k}" for k in range(o)]
    for line in data[pos:].split(b"\n"):
        if line.startswith(b"c"):
            break
        kind, _, rest = line.partition(b" ")
        if kind[:1] in (b"i", b"o") and kind[1:].isdigit():
            idx, name = int(kind[1:]), rest.decode(errors="replace")
            names = in_names if kind[:1] == b"i" else out_names
            if idx < len(names):
                names[idx] = name
    if a and (f1.min() < 0 or (f0 >= lhs_bound(i, a)).any()):
        raise AigerError("AND fanin refers to a later node")
    if len(outputs) and (outputs.min() < 0 or outputs.max() >= 2 * (i + a + 1)):
        raise AigerError("output literal out of range")
    return AIG(i, f0, f1, outputs, tuple(in_names), tuple(out_names))


def _ascii_in_order(rows: np.ndarray, outputs: np.ndarray, num_inputs: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """ASCII AND rows (lhs, rhs0, rhs1) renumbered into topological order, with the outputs.

    ASCII AIGER may list an AND before its fanins; a cycle is refused (:mod:`.aag_order`).
    """
    i, a = num_inputs, len(rows)
    lhs = 2 * np.arange(i + 1, i + 1 + a)
    if a and not np.array_equal(np.sort(rows[:, 0]), lhs):
        raise AigerError("ASCII AIGER ANDs must be the variables right after the inputs")
    if np.array_equal(rows[:, 0], lhs) and (np.maximum(rows[:, 1], rows[:, 2]) < lhs).all():
        return rows, outputs
    try:
        order = and_order(rows[:, 0] >> 1, rows[:, 1], rows[:, 2], i)
    except CycleError as exc:
        raise AigerError(str(exc)) from None
    var_map = np.arange(i + 1 + a, dtype=LIT_DTYPE)
    var_map[rows[order, 0] >> 1] = np.arange(i + 1, i + 1 + a, dtype=LIT_DTYPE)

    def renumber(lits: np.ndarray) -> np.ndarray:
        if len(lits) and lits.max() >= 2 * (i + a + 1):
            raise AigerError("literal out of range")
        return 2 * var_map[lits >> 1] | (lits & 1)

    return renumber(rows[order]), renumber(outputs)


def lhs_bound(num_inputs: int, num_ands: int) -> np.ndarray:
    """Exclusive upper bound for the fanin literals of each AND (its own literal)."""
    return 2 * np.arange(num_inputs + 1, num_inputs + 1 + num_ands, dtype=LIT_DTYPE)


def read_aiger_latches(source: str | Path | bytes) -> tuple[AIG, tuple[int, ...]]:
    """Read a sequential AIGER file as its step AIG and the latches' 0/1 reset values.

    The step AIG's last ``L`` inputs are the latches (named by the ``l`` symbols) and its last
    ``L`` outputs their next-state literals (see :mod:`gatecomp.aig.aiger_seq`, which also
    reads uninitialized latches). Bad-state properties read as outputs; a latch without a
    reset value is refused here: the hardware resets every register.
    """
    from .aiger_seq import read_latched_aiger

    res = read_latched_aiger(source, bad_as_outputs=True)
    if None in res.init:
        k = res.init.index(None)
        raise AigerError(f"latch {k} has no reset value (uninitialized)")
    return res.step, tuple(int(v) for v in res.init)
