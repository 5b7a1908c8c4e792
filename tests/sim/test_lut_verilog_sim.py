"""LUT-level Verilog in real tools: Icarus compiles it and simulates it against the AIG (the
source of the mapping, never the LUT network), and Verilator's ``--lint-only -Wall`` is clean.

The testbench reads input vectors with ``$readmemh``, applies one per time step and writes
the output bits with ``$fdisplay``; Python compares them with the AIG's bit-parallel simulation.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from gatecomp.aig import AIG, exhaustive_inputs, read_aiger, simulate, unpack_bits
from gatecomp.backends.lut_verilog import PortGroup, emit_lut_verilog, group_ports
from gatecomp.mapping.lutmap import LutMapParams, lutmap
from gatecomp.toolchain import find_verilator
from tests.conftest import EPFL, random_aig

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(shutil.which("iverilog") is None or shutil.which("vvp") is None,
                                 reason="iverilog not installed")]


def _connect(g: PortGroup, bus: str) -> str:
    bits = ", ".join(f"{bus}[{pos}]" for pos in reversed(g.bits))
    return f"    .{g.name}({{{bits}}})"


def make_testbench(dut: str, ins: list[PortGroup], outs: list[PortGroup], num_in: int,
              num_out: int, vectors: int) -> str:
    conns = [_connect(g, "cur") for g in ins] + [_connect(g, "res") for g in outs]
    return "\n".join([
        "module tb;",
        f"  reg [{num_in - 1}:0] vin [0:{vectors - 1}];",
        f"  reg [{num_in - 1}:0] cur;",
        f"  wire [{num_out - 1}:0] res;",
        "  integer i, f;",
        f"  {dut} dut (",
        ",\n".join(conns),
        "  );",
        "  initial begin",
        '    $readmemh("vin.hex", vin);',
        '    f = $fopen("out.hex", "w");',
        f"    for (i = 0; i < {vectors}; i = i + 1) begin",
        "      cur = vin[i];",
        "      #1 $fdisplay(f, \"%h\", res);",
        "    end",
        "    $fclose(f);",
        "    $finish;",
        "  end",
        "endmodule",
        "",
    ])


def run_icarus(tmp: Path, verilog: str, dut: str, in_names: list[str], out_names: list[str],
               bits: np.ndarray) -> np.ndarray:
    """Simulate ``verilog`` on a (samples, inputs) bool matrix; returns (samples, outputs)."""
    ins, outs = group_ports(in_names), group_ports(out_names)
    (tmp / "dut.v").write_text(verilog)
    (tmp / "tb.v").write_text(make_testbench(dut, ins, outs, len(in_names), len(out_names),
                                        len(bits)))
    weights = [1 << i for i in range(bits.shape[1])]
    lines = [format(sum(w for w, b in zip(weights, row, strict=True) if b), "x") for row in bits]
    (tmp / "vin.hex").write_text("\n".join(lines) + "\n")
    subprocess.run(["iverilog", "-Wall", "-o", "sim.vvp", "tb.v", "dut.v"], cwd=tmp,
                   check=True, capture_output=True, text=True)
    subprocess.run(["vvp", "-n", "sim.vvp"], cwd=tmp, check=True, capture_output=True,
                   text=True)
    words = [int(x, 16) for x in (tmp / "out.hex").read_text().split()]
    assert len(words) == len(bits)
    return np.array([[(w >> j) & 1 for j in range(len(out_names))] for w in words], dtype=bool)


def check_against_aig(tmp: Path, aig: AIG, in_names: list[str], out_names: list[str],
                      bits: np.ndarray, k: int = 6) -> str:
    net, _ = lutmap(aig, LutMapParams(k=k))
    text = emit_lut_verilog(net, "dut_top", in_names, out_names)
    got = run_icarus(tmp, text, "dut_top", in_names, out_names, bits)
    assert np.array_equal(got, simulate(aig, bits))
    return text


@pytest.mark.skipif(not EPFL.is_dir(), reason="EPFL benchmarks not available")
def test_icarus_epfl_cavlc_exhaustive(tmp_path):
    aig = read_aiger(EPFL / "cavlc.aig")
    bits = unpack_bits(exhaustive_inputs(aig.num_inputs), 1 << aig.num_inputs)
    check_against_aig(tmp_path, aig, list(aig.input_names), list(aig.output_names), bits)


@pytest.mark.parametrize("k", [2, 4, 6])
def test_icarus_random_aig_with_odd_names(tmp_path, k):
    aig = random_aig(8, 250, 6, seed=21 + k)
    ins = ["x[0]", "x[1]", "s", "x[2]", "a.b", "v[1]", "v[0]", "wire"]
    outs = ["y[0]", "n3", "y[1]", "lut2", "o$1", "\\q"]
    bits = unpack_bits(exhaustive_inputs(8), 256)
    check_against_aig(tmp_path, aig, ins, outs, bits, k=k)


def test_verilator_lint_is_clean(tmp_path):
    verilator = find_verilator()
    if verilator is None:
        pytest.skip("verilator not installed")
    aig = random_aig(10, 400, 8, seed=3)
    for k in (3, 6):
        net, _ = lutmap(aig, LutMapParams(k=k))
        path = tmp_path / f"lint{k}.v"
        path.write_text(emit_lut_verilog(net, f"lint{k}", [f"x[{i}]" for i in range(10)],
                                         [f"y[{i}]" for i in range(8)]))
        res = subprocess.run([str(verilator), "--lint-only", "-Wall", str(path)],
                             capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr[-2000:]
        assert "%Warning" not in res.stderr
