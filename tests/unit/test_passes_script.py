"""Pass scripts: parsing, option typing and the errors for typos."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.aig import exhaustive_inputs, simulate_words
from gatecomp.errors import GatecompError
from gatecomp.passes.script import parse_script, run_script
from tests.conftest import random_aig


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
