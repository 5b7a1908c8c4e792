"""The sidecar ``rtl/NAME.json``: the port map, latency and size of one build's RTL, typed.

The backend creates a :class:`Sidecar` beside the Verilog; the verifier, the FPGA flow and the
report read its attributes. Only :meth:`Sidecar.to_json` and :meth:`Sidecar.read` meet the
JSON, so its keys, their order and its formatting are decided here alone, and a file with a
missing or unknown key is refused in one line. It lives beside the package's other shared
types (not in ``backends/``) because importing ``backends`` imports Amaranth, which the
verifier does not need. ``sim/stream_test.py`` reads the same file as plain JSON: it runs
inside cocotb, without gatecomp.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from types import MappingProxyType, UnionType
from typing import Any, get_args, get_origin, get_type_hints

from .errors import GatecompError


@dataclass(frozen=True)
class InputField:
    """One LogicNet input port: bits ``[lsb, lsb + width)`` of ``in_data``."""

    name: str
    lsb: int
    width: int


@dataclass(frozen=True)
class InData:
    """The ``in_data`` word: its width and the input ports packed into it, LSB first."""

    width: int
    fields: tuple[InputField, ...]


@dataclass(frozen=True)
class OutputPort:
    """The HDL port ``port`` (``out_<name>``) carrying the LogicNet output ``name``."""

    port: str
    name: str
    width: int


@dataclass(frozen=True)
class SizeStats:
    """ANDs, logic levels and pipeline register bits of the emitted module; None where they
    are not known (a core gatecomp did not generate, e.g. bench/fpga.py's naive baseline)."""

    ands: int | None
    levels: int | None
    registers: int | None


@dataclass(frozen=True)
class Sidecar:
    """What tools need of one RTL module; fields in the order the JSON file lists them."""

    module: str
    generator: str
    source: str
    #: the compile options, recorded verbatim (read-only; not part of the hash)
    options: Mapping[str, Any] = field(hash=False)
    latency: int
    clock: str
    reset: str
    in_data: InData
    outputs: tuple[OutputPort, ...]
    stats: SizeStats
    construction: str

    def __post_init__(self) -> None:
        # a read-only copy, so a frozen sidecar cannot change through the caller's dict
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    def output(self, port: str) -> OutputPort:
        """The output whose HDL port is ``port``."""
        return next(o for o in self.outputs if o.port == port)

    def to_dict(self) -> dict:
        """The JSON object, keys in field order (as the file has always listed them)."""
        return _plain(self)

    def to_json(self) -> str:
        """The file's text: ``to_dict`` indented by 2, with a final newline."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def write(self, path: Path) -> None:
        Path(path).write_text(self.to_json())

    @classmethod
    def from_dict(cls, data: Any, where: str = "sidecar") -> Sidecar:
        """The sidecar ``data`` describes; a one-line GatecompError naming ``where`` and the
        first key that is missing, unknown or of the wrong type."""
        return _parse(cls, data, where, "")

    @classmethod
    def read(cls, path: Path) -> Sidecar:
        """The sidecar in the file ``path`` (one-line GatecompError if it is not one)."""
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise GatecompError(f"cannot read sidecar {path}: {exc}") from None
        return cls.from_dict(data, f"sidecar {path}")


def _plain(value: Any) -> Any:
    """Dataclasses -> dicts, tuples -> lists, the options mapping -> a dict (as given)."""
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return dict(value)
    return value


def _parse(cls: type, data: Any, where: str, key: str) -> Any:
    """``cls`` from the JSON object ``data`` at ``key``, every key read or refused."""
    if not isinstance(data, dict):
        raise GatecompError(f"{where}: {_name(key) or 'the file'} is not a JSON object")
    names = [f.name for f in fields(cls)]
    for k in names:
        if k not in data:
            raise GatecompError(f"{where} lacks the key {_name(_join(key, k))}")
    for k in data:
        if k not in names:
            raise GatecompError(f"{where} has an unknown key {_name(_join(key, k))}")
    hints = get_type_hints(cls)
    return cls(**{k: _value(hints[k], data[k], where, _join(key, k)) for k in names})


def _value(hint: Any, value: Any, where: str, key: str) -> Any:
    """``value`` checked against the field type ``hint`` (a dataclass, tuple, mapping, int,
    str, or ``X | None``)."""
    if isinstance(hint, UnionType):
        inner = next(a for a in get_args(hint) if a is not type(None))
        return None if value is None else _value(inner, value, where, key)
    if is_dataclass(hint):
        return _parse(hint, value, where, key)
    origin = get_origin(hint)
    if origin is tuple:
        _expect(isinstance(value, list), where, key, "a list")
        return tuple(_value(get_args(hint)[0], v, where, f"{key}[{i}]")
                     for i, v in enumerate(value))
    if origin is Mapping:
        _expect(isinstance(value, dict), where, key, "a JSON object")
        return value
    if hint is int:
        _expect(isinstance(value, int) and not isinstance(value, bool), where, key,
                "an integer")
    else:
        _expect(isinstance(value, str), where, key, "a string")
    return value


def _expect(ok: bool, where: str, key: str, what: str) -> None:
    if not ok:
        raise GatecompError(f"{where}: the key {_name(key)} is not {what}")


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _name(key: str) -> str:
    return repr(key) if key else ""
