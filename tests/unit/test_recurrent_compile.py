"""A sequential compile: a recurrent checkpoint to a build directory (sequential Verilog, AIGER
with latches, the sequence regression, report), and the options it refuses."""

from __future__ import annotations

import json

import pytest

from gatecomp.aig.aiger import read_aiger_latches
from gatecomp.errors import GatecompError
from gatecomp.flow import CompileOptions, compile_model
from gatecomp.frontends.registry import load_model
from gatecomp.seq_sidecar import SeqSidecar

from .test_recurrent import STEPS, _save
from .test_report_html import shown_numbers


def test_sequential_compile_writes_a_build(tmp_path):
    path = _save(tmp_path)
    out = tmp_path / "b"
    report = compile_model(path, out, CompileOptions(max_vectors=40)).report
    seq_rec = report["sequential"]
    assert (seq_rec["state_width"], seq_rec["steps"], seq_rec["sequences_checked"]) == \
        (8, STEPS, 40)
    assert report["checks"]["equivalence"]["equivalent"] is True
    dsec = report["checks"]["abc_dsec"]
    assert dsec is None or dsec["equivalent"] is True
    side = SeqSidecar.read(out / "rtl" / "b.json")
    assert side.sequence.emit == "last" and side.latency == 1
    aig, init = read_aiger_latches(out / "b.aig")
    assert init == tuple(int(c) for c in seq_rec["init_state"])
    assert (out / "sim" / "sequences.npz").is_file() and (out / "sim" / "test_b.py").is_file()
    assert json.loads((out / "report.json").read_text())["sequential"] == seq_rec
    shown = {k: text for k, _, text in shown_numbers((out / "report.html").read_text())}
    model = load_model(path)[1]
    assert shown["report.sequential.state_width"] == str(model.state_width) == "8"
    assert shown["report.sequential.steps"] == str(STEPS)
    assert shown["report.sequential.init_state"] == "".join(map(str, model.init))


@pytest.mark.parametrize("flag", [{"pipeline_stages": 2}, {"levels_per_stage": 3},
                                  {"care_set": "train"}])
def test_sequential_compile_refuses_pipelining_and_care_sets(tmp_path, flag):
    with pytest.raises(GatecompError, match="sequential"):
        compile_model(_save(tmp_path), tmp_path / "b", CompileOptions(**flag))
    assert not (tmp_path / "b").exists()
