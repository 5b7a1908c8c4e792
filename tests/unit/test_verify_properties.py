"""gatecomp prove: robustness and properties by SAT, checked against brute force on small nets.

The nets have 10 input bits, so every answer (robust or not, property holds or not) is
compared with an exhaustive simulation of all 1024 inputs, and every counterexample is
re-simulated.
"""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gatecomp.aig import simulate
from gatecomp.cli import main
from gatecomp.errors import GatecompError
from gatecomp.flow import compile_model
from gatecomp.frontends.dlgn.formats import save_dlgn
from gatecomp.verify.build_circuit import BuildCircuit, Word, load_build, model_reference
from gatecomp.verify.properties import (
    RobustQuery,
    distance,
    ge_clauses,
    le_clauses,
    prove_property,
    prove_robustness,
)
from gatecomp.verify.property_lang import holds, parse_property
from gatecomp.verify.robust_sim import ball_size
from tests.unit.dlgn_nets import random_dlgn
from tests.unit.qnn_nets import all_inputs, random_qnn


@pytest.fixture(scope="module")
def dlgn_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prove")
    ckpt = save_dlgn(tmp / "net.pt", random_dlgn([40, 30], in_dim=10, k=3, seed=4))
    compile_model(ckpt, tmp / "b")
    return tmp / "b"


@pytest.fixture(scope="module")
def qnn_build():
    """A small QNN's lowered circuit as a BuildCircuit (2-bit features), and its reference."""
    from gatecomp.frontends.registry import load_model

    layers = random_qnn([8], 5, 3, in_bits=2, levels=(3,), seed=5)
    fe, model = load_model(layers)
    net = fe.lower(model)
    words, at = [], 0
    for p in net.outputs:
        words.append(Word(p.name, at, p.width))
        at += p.width
    vectors = np.random.default_rng(0).integers(0, 2, (10, 10)).astype(bool)
    build = BuildCircuit(Path("qnn"), net.aig, (Word("x", 0, 10),), tuple(words), vectors, 2,
                         "in memory", {}, False)
    return build, (lambda bits: fe.reference(model, bits), "in-memory QNN")


def _brute_robust(build, x0, radius, metric):
    """Is every input within ``radius`` of ``x0`` classified like it (all 1024 inputs)?"""
    xs = all_inputs(build.aig.num_inputs)
    pred = build.classify(xs)
    near = np.array([distance(x0, x, metric, build.feature_bits) <= radius for x in xs])
    return bool(np.all(pred[near] == build.classify(x0[None])[0]))


def _check_results(build, queries, results):
    for q, r in zip(queries, results, strict=True):
        assert r.result == ("robust" if _brute_robust(build, q.x0, q.radius, q.metric)
                            else "counterexample"), (q.label, q.radius, r)
        if r.counterexample is not None:
            cex = np.array([c == "1" for c in r.counterexample])
            assert distance(q.x0, cex, q.metric, build.feature_bits) <= q.radius
            assert build.classify(cex[None])[0] != r.pred == build.classify(q.x0[None])[0]
            assert r.model is not None and r.model.agrees


@pytest.mark.parametrize("engine", ["sat", "auto"])
def test_hamming_robustness_equals_brute_force(dlgn_build, engine):
    build = load_build(dlgn_build)
    queries = [RobustQuery(f"v{i}", build.vectors[i], r) for r in (0, 1, 2, 3)
               for i in range(12)]
    results = prove_robustness(build, queries, engine=engine, reference=model_reference(build))
    _check_results(build, queries, results)
    kinds = {r.result for r in results}
    assert kinds == {"robust", "counterexample"}
    assert {r.engine for r in results} == ({"sat"} if engine == "sat" else {"enumeration"})


def test_linf_robustness_on_integer_features_equals_brute_force(qnn_build):
    build, reference = qnn_build
    queries = [RobustQuery(f"v{i}", build.vectors[i], r, "linf") for r in (0, 1, 2)
               for i in range(10)]
    results = prove_robustness(build, queries, reference=reference)
    _check_results(build, queries, results)
    assert {r.result for r in results} == {"robust", "counterexample"}


def test_constant_comparator_clauses_are_exact():
    bits = [1, 2, 3]
    for lo, hi in itertools.product(range(8), range(8)):
        clauses = ge_clauses(bits, lo) + le_clauses(bits, hi)
        for v in range(8):
            val = {b: (v >> k) & 1 for k, b in enumerate(bits)}
            sat = all(any((val[abs(x)] == 1) == (x > 0) for x in c) for c in clauses)
            assert sat == (lo <= v <= hi), (lo, hi, v)


def test_ball_size():
    assert ball_size(192, 1) == 193 and ball_size(192, 2) == 18529 and ball_size(3, 9) == 8


@pytest.mark.parametrize("text", [
    "pred <= 2",                                   # holds: 3 classes
    "pred != 1 when x[0:4] == 0",
    "count0 >= count1 or pred != 0",               # holds: pred 0 means count0 is largest
    "not (pred == 2 and count2 < count0)",         # holds: the winner is no smaller
    "pred == 0 when x[3] == 1 and x[7] == 0",
    "count1 < 5 when x == 0b1010101010",
])
def test_properties_equal_brute_force(dlgn_build, text):
    build = load_build(dlgn_build)
    prop = parse_property(text)
    xs = all_inputs(build.aig.num_inputs)
    words = build.output_words(simulate(build.aig, xs))

    def bits_of(name):
        w = build.word(name)
        if build.is_input(name):
            return xs[:, w.lsb:w.lsb + w.width]
        return ((words[name][:, None] >> np.arange(w.width)) & 1).astype(bool)

    expected = bool(holds(prop, bits_of).all())
    res = prove_property(build, prop, reference=model_reference(build))
    assert res.result == ("holds" if expected else "counterexample"), text
    if not expected:
        cex = np.array([c == "1" for c in res.counterexample])
        at = int(cex @ (1 << np.arange(len(cex))))
        assert not holds(prop, bits_of)[at]
        assert res.model.agrees


def _run(*args):
    return CliRunner().invoke(main, ["prove", *[str(a) for a in args]])


def test_cli_json_and_csv(dlgn_build, tmp_path):
    out, table = tmp_path / "r.json", tmp_path / "r.csv"
    res = _run(dlgn_build, "--vector", "0", "--robust", "2", "--json", out)
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["result"] in ("robust", "counterexample") and isinstance(data["seconds"], float)
    assert data["counterexample"] is None or set(data["counterexample"]) <= {"0", "1"}
    res = _run(dlgn_build, "--vector", "0-4,7", "--robust", "1", "--engine", "sat",
               "--json", out, "--csv", table)
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["summary"]["queries"] == 6 and len(data["results"]) == 6
    rows = list(csv.DictReader(table.open()))
    assert [r["query"] for r in rows] == [f"vector {i}" for i in (0, 1, 2, 3, 4, 7)]
    x0 = "".join("1" if b else "0" for b in load_build(dlgn_build).vectors[3])
    res = _run(dlgn_build, "--input", x0, "--robust", "1", "--json", out)
    assert res.exit_code == 0 and json.loads(out.read_text())["result"] == rows[3]["result"]
    res = _run(dlgn_build, "--property", "pred <= 2", "--json", out)
    assert res.exit_code == 0 and json.loads(out.read_text())["result"] == "holds"


@pytest.mark.parametrize("args, fragment", [
    (("--vector", "0"), "one of --robust"),
    (("--robust", "1"), "--vector I and --input"),
    (("--vector", "9999", "--robust", "1"), "vectors 0.."),
    (("--vector", "a", "--robust", "1"), "--vector takes"),
    (("--input", "012", "--robust", "1"), "0 and 1"),
    (("--input", "01", "--robust", "1"), "the circuit takes 10"),
    (("--vector", "0", "--robust", "1", "--metric", "linf"), "integer features"),
    (("--property", "pred = 3"), "column 6"),
    (("--property", "pred == 3 when"), "port name or a number"),
    (("--property", "y == 3"), "no port named 'y'"),
    (("--property", "x[4:40] == 0"), "out of range"),
    (("--property", "pred == 1", "--robust", "1"), "one of --robust"),
])
def test_cli_errors_are_one_line(dlgn_build, args, fragment):
    res = _run(dlgn_build, *args)
    assert res.exit_code == 1, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1 and fragment in lines[0], res.output


def test_not_a_build(tmp_path):
    with pytest.raises(GatecompError):
        load_build(tmp_path)
