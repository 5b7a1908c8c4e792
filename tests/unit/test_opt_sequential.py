"""``gatecomp opt`` on AIGER files with latches: a recurrent build's AIGER optimized and proven
(ABC dsec, sequences simulated against the model's own references), uninitialized latches kept,
property sections, bad latch lines and cycles refused in one line; ASCII ANDs out of order."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from gatecomp.aig import AIG, exhaustive_inputs, read_aiger, simulate_words
from gatecomp.aig.aiger import AigerError
from gatecomp.aig.aiger_seq import read_latched_aiger
from gatecomp.aig.seq import run_sequences
from gatecomp.cli import main
from gatecomp.flow import CompileOptions, compile_model
from gatecomp.frontends.registry import load_model
from gatecomp.toolchain import find_abc
from gatecomp.verify.abc_dsec import abc_dsec

from .test_recurrent import _save, sequences

needs_abc = pytest.mark.skipif(find_abc() is None, reason="ABC not installed")


def _opt(*args):
    return CliRunner().invoke(main, ["opt", *[str(a) for a in args]])


def _one_line_error(res, fragment: str) -> None:
    assert res.exit_code == 1, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("Error:")]
    assert len(lines) == 1 and fragment in lines[0], res.output
    assert "Traceback" not in res.output


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """A recurrent checkpoint, its SeqNet and its compiled build's ``b.aig`` (with latches)."""
    tmp = tmp_path_factory.mktemp("seqopt")
    path = _save(tmp)
    compile_model(path, tmp / "b", CompileOptions(max_vectors=20))
    frontend, model = load_model(path)
    return frontend, model, frontend.lower(model), tmp / "b" / "b.aig"


def test_opt_keeps_the_latches_and_the_sequences(build, tmp_path):
    frontend, model, seq, aig_file = build
    out = tmp_path / "o.aig"
    res = _opt(aig_file, "-o", out, "-p", "resyn2")
    assert res.exit_code == 0, res.output
    assert f"latches: {seq.state_width} kept" in res.output
    assert "equivalence: proved" in res.output
    back = read_latched_aiger(out)
    assert back.init == seq.init
    assert back.step.input_names == read_latched_aiger(aig_file).step.input_names
    bits = sequences(200)
    got = run_sequences(seq.with_step(seq.step.with_aig(back.step)), bits).emitted(seq.emit)
    ref = frontend.reference(model, bits)
    own = frontend.own_forward(model, bits).outputs
    for port in ref:
        assert np.array_equal(got[port], ref[port]) and np.array_equal(got[port], own[port])


@needs_abc
def test_opt_result_is_proved_by_abc_dsec(build, tmp_path):
    _, _, seq, aig_file = build
    out = tmp_path / "o.aig"
    res = _opt(aig_file, "-o", out, "-p", "resyn2")
    assert "ABC cec: networks are equivalent" in res.output
    assert "ABC dsec: sequential circuits are equivalent" in res.output
    before, after = read_latched_aiger(aig_file), read_latched_aiger(out)
    assert abc_dsec(before.step, after.step, seq.init).equivalent is True
    broken = after.step
    flipped = broken.outputs.copy()
    flipped[0] ^= 1
    broken = AIG(broken.num_inputs, broken.fanin0, broken.fanin1, flipped,
                 broken.input_names, broken.output_names)  # ABC's miter pairs by name
    assert abc_dsec(before.step, broken, seq.init).equivalent is False


def test_uninitialized_latches_are_written_back(tmp_path):
    # 1 input a, latches q0 (uninitialized) and q1 (reset 1): q0' = a & q1, q1' = q0; out = q0
    src = tmp_path / "u.aag"
    src.write_text("aag 4 1 2 1 1\n2\n4 8 4\n6 4 1\n4\n8 2 6\ni0 a\nl0 q0\nl1 q1\n")
    circuit = read_latched_aiger(src)
    assert circuit.init == (None, 1)
    res = _opt(src, "-o", tmp_path / "o.aig", "-p", "cleanup")
    assert res.exit_code == 0, res.output
    assert "uninitialized: 1" in res.output
    lines = (tmp_path / "o.aig").read_bytes().split(b"\n")
    assert lines[0].split()[3] == b"2" and lines[1].split()[1] == b"4"  # own literal 2*2
    assert lines[2].split()[1:] == [b"1"]
    back = read_latched_aiger(tmp_path / "o.aig")
    assert back.init == (None, 1) and back.step.input_names == ("a", "q0", "q1")
    ins = exhaustive_inputs(3)
    assert np.array_equal(simulate_words(back.step, ins), simulate_words(circuit.step, ins))


@pytest.mark.parametrize("header, fragment", [
    ("aig 3 1 1 1 1 1", "1 bad-state section"),
    ("aig 3 1 1 1 1 0 1", "invariant-constraint"),
    ("aig 3 1 1 1 1 0 0 1", "justice"),
    ("aig 3 1 1 1 1 0 0 0 1", "fairness"),
    ("aig 3 1 1 1 1 0 0 0 0 0", "more than 9 numbers"),
    ("aig 1 1 1 1 1", "smaller than I+L+A"),
    ("aig 3 1 x 1 1", "bad AIGER header"),
])
def test_opt_refuses_bad_headers_in_one_line(tmp_path, header, fragment):
    src = tmp_path / "bad.aig"
    src.write_bytes(header.encode() + b"\n4\n6\n")
    _one_line_error(_opt(src, "-o", tmp_path / "o.aig"), fragment)
    assert not (tmp_path / "o.aig").exists()


@pytest.mark.parametrize("text, fragment", [
    ("aag 2 1 1 1 0\n2\n4 2 5\n4\n", "reset value 5"),
    ("aag 2 1 1 1 0\n2\n4 2 0 7\n4\n", "more than 3 numbers"),
    ("aag 4 2 0 1 2\n2\n4\n6\n6 8 2\n8 6 4\n", "combinational cycle"),
])
def test_opt_refuses_bad_latches_and_cycles(tmp_path, text, fragment):
    src = tmp_path / "bad.aag"
    src.write_text(text)
    _one_line_error(_opt(src, "-o", tmp_path / "o.aig"), fragment)
    assert not (tmp_path / "o.aig").exists()


def test_ascii_ands_out_of_order_are_renumbered():
    # y = (a & b) & ~c listed before a & b; expected by hand, not by the reader
    aig = read_aiger(b"aag 5 3 0 1 2\n2\n4\n6\n10\n10 8 7\n8 2 4\n")
    assert aig.num_ands == 2
    ins = exhaustive_inputs(3)
    got = int(simulate_words(aig, ins)[0, 0]) & 0xFF
    want = sum(1 << v for v in range(8) if (v & 1) and (v >> 1 & 1) and not (v >> 2 & 1))
    assert got == want
    with pytest.raises(AigerError, match="cycle"):
        read_aiger(b"aag 3 1 0 1 2\n2\n4\n4 6 2\n6 4 2\n")


def test_written_file_is_read_by_the_report_reader(build, tmp_path):
    """gatecomp's own readers take what opt writes: same inputs, latches after them."""
    from gatecomp.aig.aiger import read_aiger_latches

    _, _, seq, aig_file = build
    out = tmp_path / "o.aig"
    assert _opt(aig_file, "-o", out, "-p", "cleanup,balance").exit_code == 0
    step, init = read_aiger_latches(out)
    assert init == seq.init and step.num_inputs == seq.aig.num_inputs
