"""Pass scripts: parsing, option typing and the errors for typos."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import exhaustive_inputs, simulate_words
from gatecomp.errors import GatecompError
from gatecomp.passes.script import free_levels, parse_script, run_script
from tests.conftest import needs_abc, random_aig
from tests.unit.pass_checks import check_abc_proves


def test_parse_and_run():
    steps = parse_script("cleanup, cleanup{}")
    assert [s[0] for s in steps] == ["cleanup", "cleanup"]
    aig = random_aig(8, 200, 4, seed=4)
    out, stats = run_script(aig, "cleanup,cleanup")
    assert len(stats) == 2 and stats[1].ands_before == stats[1].ands_after == out.num_ands
    ins = exhaustive_inputs(8)
    assert np.array_equal(simulate_words(out, ins), simulate_words(aig, ins))


@pytest.mark.parametrize("script, msg", [
    ("cleanup,balanse", "unknown pass 'balanse'"),
    ("cleanup{cut=4}", "no option 'cut'"),
    ("cleanup cleanup", "expected ','"),
    ("", "empty"),
])
def test_script_errors(script, msg):
    with pytest.raises(GatecompError, match=msg):
        parse_script(script)


def test_named_scripts_expand():
    from gatecomp.passes.script import NAMED_SCRIPTS

    assert [s[0] for s in parse_script("resyn")] == [
        s[0] for s in parse_script(NAMED_SCRIPTS["resyn"])]
    aig = random_aig(8, 200, 4, seed=6)
    out, stats = run_script(aig, "resyn")
    assert [s.name for s in stats][:3] == ["cleanup", "balance", "rewrite"]
    ins = exhaustive_inputs(8)
    assert np.array_equal(simulate_words(out, ins), simulate_words(aig, ins))
    assert out.num_ands <= aig.num_ands


def test_effort_levels_pick_a_script_by_size():
    from gatecomp.passes.script import (
        DEFAULT_SCRIPT,
        EFFORTS,
        FAST_SCRIPT,
        HEAVY_SCRIPT,
        STRONG_SCRIPT,
        effort_script,
        expand_script,
    )

    assert DEFAULT_SCRIPT == "default" and set(EFFORTS) == {"fast", "default", "high"}
    assert effort_script("fast", 10) == FAST_SCRIPT == "cleanup,balance"
    assert effort_script("default", 10_000) == STRONG_SCRIPT
    assert effort_script("default", 10**6) == expand_script("resyn2")
    assert effort_script("default", 10**7) == FAST_SCRIPT
    assert effort_script("high", 10_000) == HEAVY_SCRIPT
    assert effort_script("high", 10**7) == STRONG_SCRIPT
    for name in ("fast", "default", "high", "dc2", "compress2rs", "strong", "heavy"):
        assert parse_script(name)
    with pytest.raises(GatecompError, match="unknown effort"):
        effort_script("max")


@pytest.mark.parametrize("effort", ["fast", "default", "high"])
def test_effort_scripts_keep_the_function(effort):
    aig = random_aig(9, 300, 6, seed=11)
    lines: list[str] = []
    out, stats = run_script(aig, effort, progress=lines.append)
    ins = exhaustive_inputs(9)
    assert np.array_equal(simulate_words(out, ins), simulate_words(aig, ins))
    assert out.num_ands <= aig.num_ands
    # one progress line per pass, numbered, with its time and the time so far
    assert len(lines) == len(stats) + (len(stats) > 1)
    assert lines[-1].startswith(f"[{len(stats)}/{len(stats)}]") and "so far" in lines[-1]


def test_free_levels_frees_every_sweep_and_only_those():
    script = "cleanup,balance,rewrite,refactor{zero_gain=true},resub{cut_size=10}"
    steps = parse_script(free_levels(script))
    assert [name for name, _ in steps] == ["cleanup", "balance", "rewrite", "refactor", "resub"]
    for name, params in steps[2:]:
        assert params.preserve_levels is False, name
    assert steps[3][1].zero_gain and steps[4][1].cut_size == 10
    assert parse_script("strong-lp")[1][0] == "balance"


@needs_abc
def test_default_script_proved_by_abc_on_epfl_ctrl_and_int2float():
    for name in ("ctrl", "int2float"):
        check_abc_proves(name, "default")
