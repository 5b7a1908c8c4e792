"""The grid file: one list of values per ``compile`` option, and the points of its product.

A grid is spelled like the command line, so nothing new has to be learnt::

    pipeline-stages = [0, 1, 2]
    passes = ["cleanup", "default"]
    board = ["default", "icebreaker"]   # "default": the option left out
    vectors = 200                       # a plain value: the same for every point

The keys and their checks come from the ``compile`` command itself (:func:`keys_from_command`),
so an option added to ``gatecomp compile`` can be swept with no change here, and a value is
refused with the same message the command line gives.
"""

from __future__ import annotations

import itertools
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from ..errors import GatecompError
from ..flow import CompileOptions

#: the value that leaves an option out of a point, as if it were not on the command line
DEFAULT = "default"

#: compile options that name the build, not the hardware: the sweep sets them itself
NOT_SWEPT = frozenset({"model", "out_dir", "name", "force"})

@dataclass(frozen=True)
class GridKey:
    """One sweepable option: its spelling in the grid, its click parameter, its field."""

    key: str
    param: click.Parameter

    @property
    def field(self) -> str:
        return self.param.name or self.key.replace("-", "_")

    def convert(self, value: Any, command: click.Command) -> Any:
        """``value`` checked and converted as the command line would (None for "default")."""
        if isinstance(value, str) and value == DEFAULT:
            return None
        if isinstance(value, dict | list) and self.param.type == click.STRING:
            value = json.dumps(value)  # e.g. arch-kwargs = [{thresholds = [0.5]}]
        if isinstance(self.param.type, click.types.BoolParamType) and not isinstance(value, bool):
            raise GatecompError(f"grid key '{self.key}': {value!r} is not true or false")
        try:
            out = self.param.process_value(click.Context(command), value)
        except click.BadParameter as exc:
            raise GatecompError(f"grid key '{self.key}': {exc.message}") from None
        return out.resolve() if isinstance(out, Path) else out


def keys_from_command(command: click.Command) -> dict[str, GridKey]:
    """The grid keys of ``command`` (``gatecomp compile``): every long option, dashes dropped,
    except those that name the build directory."""
    keys: dict[str, GridKey] = {}
    for param in command.params:
        if not isinstance(param, click.Option) or param.name in NOT_SWEPT:
            continue
        for opt in param.opts:
            if opt.startswith("--"):
                keys[opt[2:]] = GridKey(opt[2:], param)
    return keys


@dataclass(frozen=True)
class Point:
    """One point of the grid: the value of each grid key (None: left out), in grid order."""

    index: int
    values: dict[str, Any]
    fields: dict[str, Any] = field(repr=False)

    def label(self) -> str:
        """``passes=cleanup, pipeline-stages=1``: the point as the grid spells it."""
        return ", ".join(f"{k}={show(v)}" for k, v in self.values.items())

    def options(self) -> CompileOptions:
        """The CompileOptions of this point (what ``gatecomp compile`` would build)."""
        given = {k: v for k, v in self.fields.items() if v is not None}
        effort = given.pop("effort", None)
        if "script" not in given and effort is not None:
            given["script"] = effort
        return CompileOptions(**given)


@dataclass(frozen=True)
class Grid:
    """The grid's keys (file order) and the points of their product (last key fastest)."""

    keys: tuple[str, ...]
    points: tuple[Point, ...]


def show(value: Any) -> str:
    """A value as a CSV cell and a label: "" for left out, paths and JSON as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def parse_grid(table: dict[str, Any], command: click.Command) -> Grid:
    """The points of ``table`` (a parsed grid file); unknown keys and bad values are
    one-line GatecompErrors naming what is accepted."""
    known = keys_from_command(command)
    unknown = [k for k in table if k not in known]
    if unknown:
        raise GatecompError(f"unknown grid key{'s' if len(unknown) > 1 else ''} "
                            f"{', '.join(repr(k) for k in unknown)}; the grid takes the options "
                            f"of gatecomp compile without their dashes: {', '.join(known)}")
    if not table:
        raise GatecompError(f"the grid is empty: give at least one of {', '.join(known)}")
    fields_seen: dict[str, str] = {}
    columns = []
    for key, raw in table.items():
        gk = known[key]
        if gk.field in fields_seen:
            raise GatecompError(f"grid keys '{fields_seen[gk.field]}' and '{key}' set the same "
                                f"option: give one of them")
        fields_seen[gk.field] = key
        values = raw if isinstance(raw, list) else [raw]
        if not values:
            raise GatecompError(f"grid key '{key}' has no values")
        columns.append([gk.convert(v, command) for v in values])
    points = []
    for i, combo in enumerate(itertools.product(*columns)):
        values = dict(zip(table, combo, strict=True))
        fields = {known[k].field: v for k, v in values.items()}
        points.append(Point(i, values, fields))
    return Grid(tuple(table), tuple(points))


def load_grid(path: str | Path, command: click.Command) -> Grid:
    """:func:`parse_grid` of a TOML file."""
    path = Path(path)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GatecompError(f"cannot read the grid {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise GatecompError(f"{path} is not TOML: {exc}") from None
    return parse_grid(table, command)
