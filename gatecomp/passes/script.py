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

#: one round of ABC's resyn2 (``b; rw; rf; b; rw; rwz; b; rfz; rwz; b``) with our passes
_RESYN2 = ("balance,rewrite,refactor,balance,rewrite,rewrite{zero_gain=true},balance,"
           "refactor{zero_gain=true},rewrite{zero_gain=true},balance")
#: the same round with resubstitution after each refactoring (ABC resyn2 has none)
_RESYN_ROUND = ("balance,rewrite,refactor,resub,balance,rewrite,rewrite{zero_gain=true},balance,"
                "refactor{zero_gain=true},resub,rewrite{zero_gain=true},balance")
#: ABC's dc2 (``Dar_ManCompress2``: ``b; rw; drf; b; rwz; drfz``): refactoring over MFFC
#: supports of up to 12 leaves, which finds what cut-based refactoring misses (EPFL ``bar``:
#: 3141 -> 2952 ANDs)
_DRF = "refactor{mffc_cut=true,cut_size=12}"
_DC2 = (f"balance,rewrite,{_DRF},balance,rewrite{{zero_gain=true}},"
        f"{_DRF[:-1]},zero_gain=true}}")
#: ABC's compress2rs: resubstitution with growing windows (6..12 leaves, 1 then 2 new nodes)
#: between rewriting and refactoring, levels preserved
_COMPRESS2RS = ",".join([
    "balance", "resub{cut_size=6,max_added=1}", "rewrite", "resub{cut_size=6}", "refactor",
    "resub{cut_size=8,max_added=1}", "balance", "resub{cut_size=8}", "rewrite",
    "resub{cut_size=10,max_added=1}", "rewrite{zero_gain=true}", "resub{cut_size=10}", "balance",
    "resub{cut_size=12,max_added=1}", "refactor{zero_gain=true}", "resub{cut_size=12}",
    "rewrite{zero_gain=true}", "balance"])



def free_levels(script: str) -> str:
    """``script`` with ``preserve_levels=false`` on every rewrite, refactor and resub step.

    ABC's ``dc2`` and ``compress2rs`` run without level updates (``-l``): a node may grow
    deeper where that saves ANDs, and the balancing between the steps takes the depth back.
    Fixed required levels of the input are a tighter bound than ABC's, and cost most where a
    first balance has already made the graph shallow (EPFL ``voter``: 8588 ANDs with them,
    7933 without, at 2 levels fewer)."""
    steps = re.findall(r"[A-Za-z_][\w-]*(?:\{[^{}]*\})?", script)
    out = []
    for step in steps:
        name, _, opts = step.partition("{")
        if name in ("rewrite", "refactor", "resub"):
            opts = opts.rstrip("}")
            step = f"{name}{{{opts + ',' if opts else ''}preserve_levels=false}}"
        out.append(step)
    return ",".join(out)


FAST_SCRIPT = "cleanup,balance"
#: the strong script of an earlier version, levels preserved in every step (``-p strong-lp``)
_STRONG_LP = (f"cleanup,{_RESYN_ROUND},{_DC2},{_DC2},{_RESYN_ROUND},resub{{cut_size=10}},"
              f"{_DC2}")


def _zero_gain_options(script: str, options: str) -> str:
    """``script`` with ``options`` added to every zero-gain rewrite."""
    return script.replace("rewrite{zero_gain=true,", f"rewrite{{zero_gain=true,{options},")


#: ``--effort default`` up to 300k ANDs: a resyn round, two dc2, another round, deeper resub,
#: a dc2 and a compress2rs, levels free as in ABC's dc2/compress2rs, then a last balance.
#: Zero-gain rewrites try 8 structures per cut (ABC drw: 5), which finds sharing; in the
#: compress2rs part they may not deepen a node, which keeps the depth at ABC heavy's (EPFL:
#: about 0.99x ABC heavy's ANDs at its depth, ``bench/results/qor.md``)
STRONG_SCRIPT = (
    _zero_gain_options(free_levels(_STRONG_LP), "structures=8") + ","
    + _zero_gain_options(free_levels(_COMPRESS2RS), "structures=8,zero_gain_deepens=false")
    + ",balance")
#: ``--effort high``: ABC's ``resyn2; dc2; dc2; compress2rs; resyn2; compress2rs`` with our passes
HEAVY_SCRIPT = f"cleanup,{_RESYN2},{_DC2},{_DC2},{_COMPRESS2RS},{_RESYN2},{_COMPRESS2RS}"

#: ``--effort`` levels: (most ANDs, script) tiers, the first that fits the input is run. The
#: strong script costs ~30-60 s per 100k ANDs on one core (EPFL multiplier, 27k ANDs: 16 s on
#: this loaded machine), so big nets get cheaper ones.
EFFORTS: dict[str, tuple[tuple[int | None, str], ...]] = {
    "fast": ((None, FAST_SCRIPT),),
    "default": ((300_000, STRONG_SCRIPT), (2_000_000, f"cleanup,{_RESYN2}"), (None, FAST_SCRIPT)),
    "high": ((1_000_000, HEAVY_SCRIPT), (None, STRONG_SCRIPT)),
}
#: the script ``compile`` and ``opt`` run without ``-p``/``--effort``: ``--effort default``
DEFAULT_SCRIPT = "default"

#: scripts a user can name instead of spelling out (``-p resyn``): ``resyn2`` is ABC resyn2's
#: sequence; ``resyn``, two rounds of it with ``resub``, is 0.94x ABC resyn2's ANDs on the EPFL
#: circuits (no circuit above 1.01x) at about 1.5x its run time (``bench/qor.py``); ``dc2``,
#: ``compress2rs`` as ABC's; ``strong``/``heavy`` the scripts of ``--effort default``/``high``
#: at every size; ``strong-lp`` the strong script with levels preserved in every step.
#: ``fast``, ``default`` and ``high`` are the effort levels (by input size).
NAMED_SCRIPTS: dict[str, str] = {
    "resyn": f"cleanup,{_RESYN_ROUND},{_RESYN_ROUND}",
    "resyn2": f"cleanup,{_RESYN2}",
    "dc2": f"cleanup,{_DC2}",
    "compress2rs": f"cleanup,{_COMPRESS2RS}",
    "strong": STRONG_SCRIPT,
    "strong-lp": _STRONG_LP,
    "heavy": HEAVY_SCRIPT,
}


def effort_script(effort: str, num_ands: int | None = None) -> str:
    """The script of an ``--effort`` level for an input of ``num_ands`` ANDs (None: the
    first tier)."""
    if effort not in EFFORTS:
        raise GatecompError(f"unknown effort {effort!r}; available: {', '.join(EFFORTS)}")
    for limit, script in EFFORTS[effort]:
        if num_ands is None or limit is None or num_ands <= limit:
            return script
    raise AssertionError("the last tier has no limit")


def expand_script(script: str, num_ands: int | None = None) -> str:
    """``script`` with a named script or effort level replaced by its passes."""
    name = script.strip()
    if name in EFFORTS:
        return effort_script(name, num_ands)
    return NAMED_SCRIPTS.get(name, name)


_STEP = re.compile(r"\s*([A-Za-z_][\w-]*)\s*(?:\{([^{}]*)\})?\s*")


def parse_script(script: str, num_ands: int | None = None) -> list[tuple[str, object]]:
    """Split a script (or the name of one in :data:`NAMED_SCRIPTS`, or an effort level of
    :data:`EFFORTS` for an input of ``num_ands`` ANDs) into (pass, params) steps."""
    steps: list[tuple[str, object]] = []
    pos = 0
    text = expand_script(script, num_ands)
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
    """Run every step of ``script`` (an effort level picks its tier by ``aig``'s size);
    returns the final AIG and the stats of each step. ``progress`` gets one line per pass:
    its number, sizes, levels, its time and the time so far."""
    steps = parse_script(script, aig.num_ands)
    all_stats: list[PassStats] = []
    if progress and len(steps) > 1:
        name = script.strip()
        named = f"'{name}'" if name in EFFORTS or name in NAMED_SCRIPTS else "script"
        progress(f"{named}: {len(steps)} passes on {aig.num_ands} ANDs")
    total = 0.0
    width = len(str(len(steps)))
    for i, (name, params) in enumerate(steps, 1):
        aig, stats = PASSES[name].run(aig, params)
        all_stats.append(stats)
        total += stats.seconds
        if progress:
            progress(f"[{i:>{width}}/{len(steps)}] {stats.name}: {stats.ands_before} -> "
                     f"{stats.ands_after} ANDs, {stats.levels_before} -> {stats.levels_after} "
                     f"levels ({stats.seconds:.2f} s, {total:.1f} s so far)")
    return aig, all_stats
