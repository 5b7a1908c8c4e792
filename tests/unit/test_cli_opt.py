"""``gatecomp opt``: AIGER in, script, proof, AIGER out (names kept), one-line errors."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner

from gatecomp.aig import AIG, random_inputs, read_aiger, simulate_words, write_aiger
from gatecomp.cli import main
from tests.conftest import random_aig


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _named(aig: AIG) -> AIG:
    return AIG(aig.num_inputs, aig.fanin0, aig.fanin1, aig.outputs,
               tuple(f"x[{k}]" for k in range(aig.num_inputs)),
               tuple(f"y[{k}]" for k in range(aig.num_outputs)))


def _one_line_error(res, fragment: str) -> None:
    assert res.exit_code == 1, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1 and fragment in lines[0], res.output
    assert "Traceback" not in res.output


def test_opt_optimizes_proves_and_keeps_names(tmp_path):
    aig = _named(random_aig(20, 800, 6, seed=3))
    src, dst = tmp_path / "in.aig", tmp_path / "out.aig"
    write_aiger(aig, src)
    res = _run("opt", src, "-o", dst, "-p", "cleanup,fraig,balance")
    assert res.exit_code == 0, res.output
    assert "equivalence: proved" in res.output
    for name in ("cleanup", "fraig", "balance", "total"):
        assert any(line.startswith(name) for line in res.output.splitlines()), res.output
    out = read_aiger(dst)
    assert out.input_names == aig.input_names and out.output_names == aig.output_names
    assert out.num_ands < aig.num_ands
    words = random_inputs(20, 32)
    assert np.array_equal(simulate_words(out, words), simulate_words(aig, words))


def test_opt_default_script_and_no_verify(tmp_path):
    src, dst = tmp_path / "in.aig", tmp_path / "out.aig"
    write_aiger(random_aig(10, 200, 3, seed=1), src)
    res = _run("opt", src, "-o", dst, "--no-verify")
    assert res.exit_code == 0, res.output
    assert "not checked" in res.output and dst.is_file()


def test_opt_one_line_errors(tmp_path):
    bad = tmp_path / "bad.aig"
    bad.write_text("this is not aiger\n")
    _one_line_error(_run("opt", bad, "-o", tmp_path / "o.aig"), "not an AIGER file")
    _one_line_error(_run("opt", tmp_path / "missing.aig", "-o", tmp_path / "o.aig"),
                    "no such file")
    src = tmp_path / "in.aig"
    write_aiger(random_aig(6, 40, 2), src)
    _one_line_error(_run("opt", src, "-o", tmp_path / "o.aig", "-p", "cleanup,nosuch"),
                    "unknown pass")
    assert not (tmp_path / "o.aig").exists()
