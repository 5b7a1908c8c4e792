"""AIGER round trips through our reader/writer and through ABC (the field's reference tool)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from gatecomp.aig import AigerError, exhaustive_inputs, read_aiger, simulate_words, write_aiger
from tests.conftest import EPFL, random_aig


def test_roundtrip_preserves_everything(small_aig):
    back = read_aiger(write_aiger(small_aig, comment="hello"))
    assert back.num_inputs == small_aig.num_inputs
    assert np.array_equal(back.fanin0, small_aig.fanin0)
    assert np.array_equal(back.fanin1, small_aig.fanin1)
    assert np.array_equal(back.outputs, small_aig.outputs)
    assert back.input_names == small_aig.input_names


def test_large_deltas_roundtrip():
    aig = random_aig(300, 3000, 10, seed=2)  # deltas need several varint bytes
    back = read_aiger(write_aiger(aig))
    assert np.array_equal(back.fanin0, aig.fanin0) and np.array_equal(back.fanin1, aig.fanin1)


def test_ascii_aag_is_read():
    aig = read_aiger(b"aag 3 2 0 1 1\n2\n4\n7\n6 4 2\ni0 a\ni1 b\no0 nand\n")
    assert aig.output_names == ("nand",) and aig.num_ands == 1
    out = simulate_words(aig, exhaustive_inputs(2))
    assert int(out[0, 0]) & 0xF == 0b0111


@pytest.mark.parametrize("data, msg", [
    (b"hello world\n", "not an AIGER"),
    (b"aig 3 1 1 1 1\n", "latches"),
    (b"aig 3 2 0 1 1\n6\n", "truncated"),
])
def test_reader_rejects_bad_files(data, msg):
    with pytest.raises(AigerError, match=msg):
        read_aiger(data)


@pytest.mark.skipif(not shutil.which("berkeley-abc"), reason="berkeley-abc not installed")
def test_abc_reads_what_we_write_and_proves_it_equal(tmp_path, small_aig):
    ours = tmp_path / "ours.aig"
    write_aiger(small_aig, ours)
    theirs = tmp_path / "abc.aig"
    script = f"read {ours}; print_stats; strash; write_aiger -s {theirs}; cec {ours} {theirs}"
    res = subprocess.run(["berkeley-abc", "-c", script], capture_output=True, text=True,
                         check=True)
    assert "Networks are equivalent" in res.stdout, res.stdout
    back = read_aiger(theirs)
    ins = exhaustive_inputs(small_aig.num_inputs)
    assert np.array_equal(simulate_words(back, ins), simulate_words(small_aig, ins))


@pytest.mark.skipif(not EPFL.exists(), reason="EPFL benchmarks not present")
def test_reads_epfl_benchmark():
    aig = read_aiger(EPFL / "adder.aig")
    assert aig.num_inputs == 256 and aig.num_outputs == 129
    assert np.array_equal(read_aiger(write_aiger(aig)).fanin0, aig.fanin0)
