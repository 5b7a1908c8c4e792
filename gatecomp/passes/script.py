"""Optimization scripts: ``"cleanup,balance{levels=1},rewrite"`` parsed and run in order.

Each step names a registered pass; ``{key=value,...}`` sets fields of its Params dataclass,
converted to the field's type. Unknown passes or options fail with a message listing what
exists, so a typo never silently skips a step.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..aig import AIG
from ..errors import GatecompError
from .balance import BalanceParams, balance
from .base import PassStats
from .cleanup import CleanupParams, cleanup
from .fraig import FraigParams, fraig
from .refactor import RefactorParams, refactor
from .resub import ResubParams, resub
from .rewrite import RewriteParams, rewrite


@dataclass(frozen=True)
class RegisteredPass:
    run: Callable[..., tuple[AIG, PassStats]]
    params: type


PASSES: dict[str, RegisteredPass] = {
    "cleanup": RegisteredPass(cleanup, CleanupParams),
    "balance": RegisteredPass(balance, BalanceParams),
    "rewrite": RegisteredPass(rewrite, RewriteParams),  # rewrite{zero_gain=true} = ABC rwz
    "refactor": RegisteredPass(refactor, RefactorParams),  # refactor{zero_gain=true} = rfz
    "resub": RegisteredPass(resub, ResubParams),  # resub{zero_gain=true} = rs -z
    "fraig": RegisteredPass(fraig, FraigParams),
}

DEFAULT_SCRIPT = "cleanup,balance"

#: one round of ABC's resyn2 (``b; rw; rf; b; rw; rwz; b; rfz; rwz; b``) with our passes
_RESYN2 = ("balance,rewrite,refactor,balance,rewrite,rewrite{zero_gain=true},balance,"
           "refactor{zero_gain=true},rewrite{zero_gain=true},balance")
#: the same round with resubstitution after each refactoring (ABC resyn2 has none)
_RESYN_ROUND = ("balance,rewrite,refactor,resub,balance,rewrite,rewrite{zero_gain=true},balance,"
                "refactor{zero_gain=true},resub,rewrite{zero_gain=true},balance")

#: scripts a user can name instead of spelling out (``-p resyn``): ``resyn2`` is ABC resyn2's
#: sequence; ``resyn``, two rounds of it with ``resub``, is 0.94x ABC resyn2's ANDs on the EPFL
#: circuits (no circuit above 1.01x) at about 1.5x its run time (``bench/qor.py``)
NAMED_SCRIPTS: dict[str, str] = {
    "default": DEFAULT_SCRIPT,
    "resyn": f"cleanup,{_RESYN_ROUND},{_RESYN_ROUND}",
    "resyn2": f"cleanup,{_RESYN2}",
}

_STEP = re.compile(r"\s*([A-Za-z_][\w-]*)\s*(?:\{([^{}]*)\})?\s*")


def parse_script(script: str) -> list[tuple[str, object]]:
    """Split a script (or the name of one in :data:`NAMED_SCRIPTS`) into (pass, params) steps."""
    steps: list[tuple[str, object]] = []
    pos = 0
    text = NAMED_SCRIPTS.get(script.strip(), script.strip())
    while pos < len(text):
        m = _STEP.match(text, pos)
        if not m or m.end() == pos:
            raise GatecompError(f"cannot parse pass script at {text[pos:]!r}")
        name, opts = m.group(1), m.group(2)
        if name not in PASSES:
            raise GatecompError(f"unknown pass {name!r}; available: {', '.join(sorted(PASSES))}")
        steps.append((name, _make_params(name, PASSES[name].params, opts or "")))
        pos = m.end()
        if pos < len(text):
            if text[pos] != ",":
                raise GatecompError(f"expected ',' between passes at {text[pos:]!r}")
            pos += 1
    if not steps:
        raise GatecompError("empty pass script")
    return steps


def _make_params(name: str, cls: type, opts: str) -> object:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, object] = {}
    for item in filter(None, (s.strip() for s in opts.split(","))):
        key, sep, raw = item.partition("=")
        key = key.strip()
        if key not in fields:
            known = ", ".join(fields) or "none"
            raise GatecompError(f"pass {name!r} has no option {key!r} (options: {known})")
        kind = fields[key].type if isinstance(fields[key].type, type) else str(fields[key].type)
        raw = raw.strip() if sep else "true"
        try:
            if kind in (bool, "bool"):
                if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
                    raise ValueError(raw)
                values[key] = raw.lower() in ("1", "true", "yes")
            elif kind in (int, "int"):
                values[key] = int(raw)
            elif kind in (float, "float"):
                values[key] = float(raw)
            else:
                values[key] = raw
        except ValueError:
            raise GatecompError(f"pass {name!r}: bad value {raw!r} for option {key!r}") from None
    try:
        return cls(**values)
    except ValueError as exc:
        raise GatecompError(f"pass {name!r}: {exc}") from None


def run_script(aig: AIG, script: str = DEFAULT_SCRIPT,
               progress: Callable[[str], None] | None = None) -> tuple[AIG, list[PassStats]]:
    """Run every step of ``script``; returns the final AIG and the stats of each step."""
    all_stats: list[PassStats] = []
    for name, params in parse_script(script):
        aig, stats = PASSES[name].run(aig, params)
        all_stats.append(stats)
        if progress:
            progress(f"{name}: {stats.ands_before} -> {stats.ands_after} ANDs, "
                     f"{stats.levels_before} -> {stats.levels_after} levels "
                     f"({stats.seconds:.2f} s)")
    return aig, all_stats
