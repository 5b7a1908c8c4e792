"""Bad input through the real command line: malformed checkpoints and AIGER files, requests too
big to honour. Each gets one ``Error:`` line, exit status 1, and no output (issue 23 part 4)."""

from __future__ import annotations

import pickle
import zipfile

import pytest
import torch
from click.testing import CliRunner

from gatecomp.cli import main
from gatecomp.frontends.dlgn.formats import save_dlgn
from tests.unit.dlgn_nets import random_dlgn
from tests.unit.faults import assert_one_line_error, gatecomp, siblings


class _RunsCode:
    """Unpickling this would create a file: a weights-only load must refuse it by name."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _checkpoint(tmp_path, kind: str):
    model = tmp_path / f"{kind}.pt"
    if kind == "directory":
        model.mkdir()
    elif kind == "empty":
        model.write_bytes(b"")
    elif kind == "truncated":
        good = save_dlgn(tmp_path / "good.pt", random_dlgn([20], in_dim=8, k=2)).read_bytes()
        model.write_bytes(good[: len(good) // 2])
    elif kind == "zip of garbage":
        with zipfile.ZipFile(model, "w") as zf:
            zf.writestr("net/data.pkl", b"\x80\x02garbage" * 20)
            zf.writestr("net/version", b"3\n")
    elif kind == "foreign class":
        torch.save({"format": "gatecomp.dlgn", "x": _RunsCode(tmp_path / "ran")}, model)
    elif kind == "plain pickle":
        model.write_bytes(pickle.dumps({"a": 1}, protocol=4))
    return model


@pytest.mark.parametrize("kind, fragment", [
    ("directory", "model path is not a file"),
    ("empty", "empty file (0 bytes)"),
    ("truncated", "truncated torch.save archive"),
    ("zip of garbage", "its pickle is corrupt or holds code a weights-only load refuses"),
    ("foreign class", "unsupported layer or object type io.open"),
])
def test_malformed_checkpoints_are_refused_in_one_line(tmp_path, kind, fragment):
    """In-process (a subprocess would import torch again for each, 3-5 s here)."""
    model, out = _checkpoint(tmp_path, kind), tmp_path / "new" / "out"
    res = CliRunner().invoke(main, ["-q", "compile", str(model), "-o", str(out)])
    assert res.exit_code == 1 and "Traceback" not in res.output, res.output
    assert res.stderr.startswith("Error:") and fragment in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert not out.parent.exists()  # nothing written: no temp dir, lock or folder made for it
    assert not (tmp_path / "ran").exists()  # the foreign class was never called


def test_a_plain_pickle_gets_one_line_and_no_warning(tmp_path):
    """A fresh process, where torch's pickle-protocol warning would print first."""
    model, out = _checkpoint(tmp_path, "plain pickle"), tmp_path / "out"
    assert_one_line_error(gatecomp("compile", model, "-o", out),
                          "its pickle is corrupt or holds code a weights-only load refuses")
    assert siblings(out) == []


def _aiger(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


GOOD_BINARY = b"aig 3 2 0 1 1\n6\n\x02\x02"  # o0 = i0 & i1


@pytest.mark.parametrize("name, data, fragment", [
    ("counts.aag", b"aag 3 2 0 2 1\n2\n4\n6\n6 2 4\n",
     "unexpected end of file (the header promises 2 inputs, 2 outputs and 1 ANDs)"),
    ("range.aag", b"aag 3 2 0 1 1\n2\n4\n6\n6 2 40\n", "AND 0: literal 40 out of range"),
    ("short.aag", b"aag 3 2 0 1 1\n2\n4\n6\n6 2\n", "AND 0: expected 3 literal(s)"),
    ("cycle.aag", b"aag 4 2 0 1 2\n2\n4\n8\n6 2 8\n8 6 4\n", "combinational cycle"),
    ("output.aag", b"aag 3 2 0 1 1\n2\n4\n60\n6 2 4\n", "output literal out of range"),
    ("cut.aig", GOOD_BINARY[:-1], "truncated AND section"),
    ("header.aig", b"aig 3 2 0\n", "not an AIGER file"),
    ("empty.aig", b"", "not an AIGER file"),
    ("small-m.aig", b"aig 1 2 0 1 1\n6\n\x02\x02", "header M=1 smaller than I+L+A=3"),
])
def test_malformed_aiger_is_refused_in_one_line(tmp_path, name, data, fragment):
    out = tmp_path / "out.aig"
    res = gatecomp("opt", _aiger(tmp_path, name, data), "-o", out, "-p", "cleanup")
    assert_one_line_error(res, fragment)
    assert siblings(out) == []


def test_a_header_asking_for_gigabytes_is_refused_before_allocating(tmp_path):
    """Binary AIGER lists no input lines: 300 M inputs fit in a 30-byte file. Under a 2 GB
    address-space cap the refusal must come before any allocation (else MemoryError, exit 2)."""
    path = _aiger(tmp_path, "huge.aig", b"aig 300000000 300000000 0 1 0\n2\n")
    res = gatecomp("opt", path, "-o", tmp_path / "out.aig", limit_gb=2)
    assert_one_line_error(res, "header declares 300,000,000 inputs; gatecomp reads at most")


def test_an_aiger_file_is_not_taken_for_a_checkpoint(tmp_path):
    res = CliRunner().invoke(main, ["info", str(_aiger(tmp_path, "net.aig", GOOD_BINARY))])
    assert res.exit_code == 1 and "neither a torch.save archive nor a pickle" in res.stderr


def test_a_directory_given_as_the_circuit_is_named_so(tmp_path):
    (tmp_path / "net.aig").mkdir()
    res = gatecomp("opt", tmp_path / "net.aig", "-o", tmp_path / "out.aig")
    assert_one_line_error(res, "net.aig: not a file")
