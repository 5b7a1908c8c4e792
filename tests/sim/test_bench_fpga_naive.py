"""bench/fpga.py's naive DLGN emitter: its Verilog, simulated with iverilog, equals PyTorch.

The naive cores are the baseline of the FPGA benchmark, so they must compute the same counts and
prediction as the PyTorch eval-mode reference (every gate type, ties in the argmax included).
Marked ``sim`` (it runs iverilog directly, no cocotb) and skipped where iverilog is missing.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from gatecomp.frontends.dlgn import load_dlgn
from tests.bench_modules import load_bench
from tests.unit.dlgn_nets import random_dlgn

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")]


@pytest.fixture(scope="module")
def bench():
    return load_bench("fpga")


@pytest.fixture(scope="module")
def model_and_bits():
    model = load_dlgn(random_dlgn((64, 48, 40), 24, 4, seed=3))
    bits = np.random.default_rng(1).integers(0, 2, (96, 24)).astype(bool)
    # every difflogic gate type is exercised
    assert set(np.concatenate([s.gate_ids for s in model.layers]).tolist()) == set(range(16))
    return model, bits


@pytest.mark.parametrize("piped", [False, True])
def test_naive_matches_pytorch(bench, model_and_bits, tmp_path, piped):
    model, bits = model_and_bits
    text, latency = bench.naive_verilog(model, piped=piped)
    assert latency == (len(model.layers) + 3 if piped else 2)
    assert text.count("  wire g") == sum(s.out_dim for s in model.layers)
    path = tmp_path / "net.v"
    path.write_text(text)
    assert bench.check_naive(path, latency, model, bits, tmp_path) == len(bits)


def test_check_catches_a_wrong_gate(bench, model_and_bits, tmp_path):
    model, bits = model_and_bits
    text, latency = bench.naive_verilog(model)
    last = len(model.layers)
    line = next(ln for ln in text.splitlines() if ln.startswith(f"  wire g{last}_0 = "))
    name, expr = line.split(" = ", 1)
    path = tmp_path / "net.v"
    path.write_text(text.replace(line, f"{name} = ~({expr[:-1]});"))
    with pytest.raises(SystemExit, match="differ from PyTorch"):
        bench.check_naive(path, latency, model, bits, tmp_path)
