"""LUT-level Verilog text: structure, names, determinism, and (read back by a small Python
evaluator of the emitted assignments) the same function as the source AIG.

The simulator check (Icarus runs the text against the AIG) is tests/sim/test_lut_verilog_sim.py.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from gatecomp.aig import AIGBuilder, exhaustive_inputs, simulate, unpack_bits
from gatecomp.backends.lut_verilog import emit_lut_verilog, group_ports
from gatecomp.errors import GatecompError
from gatecomp.mapping.lutmap import LutMapParams, lutmap
from tests.conftest import random_aig

_ASSIGN = re.compile(r"\s*assign (\S+) = (.*);\Z")
_CALL = re.compile(r"lut_*(\d)\((\d+)'([bh])([0-9a-f]+), \{(.*)\}\)\Z")


def evaluate_text(text: str, in_refs: list[str], bits: np.ndarray, out_refs: list[str]):
    """Evaluate the emitted assigns on a (samples, inputs) bool matrix (a reader, not a sim)."""
    env = {ref.strip(): bits[:, i] for i, ref in enumerate(in_refs)}
    n = len(bits)
    for line in text.splitlines():
        m = _ASSIGN.match(line)
        if not m:
            continue
        lhs, rhs = m.groups()
        inv = rhs.startswith("~")
        rhs = rhs.lstrip("~")
        if rhs in ("1'b0", "1'b1"):
            val = np.full(n, rhs.endswith("1"))
        elif rhs in env:
            val = env[rhs]
        else:
            c = _CALL.match(rhs)
            assert c, line
            size, width, base, digits, sel = c.groups()
            tt = int(digits, 2 if base == "b" else 16)
            assert int(width) == 1 << int(size) and tt < 1 << int(width)
            fanins = [s.strip() for s in sel.split(", ")][::-1]  # last in the list = LSB
            assert len(fanins) == int(size)
            idx = sum(env[f].astype(np.int64) << i for i, f in enumerate(fanins))
            table = np.array([(tt >> m) & 1 for m in range(int(width))], dtype=bool)
            val = table[idx]
        env[lhs] = ~val if inv else val
    return np.stack([env[r] for r in out_refs], axis=1)


def test_text_computes_the_aig_function():
    aig = random_aig(9, 300, 7, seed=11)
    names_in = [f"x[{i}]" for i in range(9)]
    names_out = [f"y[{i}]" for i in range(7)]
    for k in (3, 6):
        net, _ = lutmap(aig, LutMapParams(k=k))
        text = emit_lut_verilog(net, "m", names_in, names_out)
        bits = unpack_bits(exhaustive_inputs(9), 1 << 9)
        got = evaluate_text(text, names_in, bits, names_out)
        assert np.array_equal(got, simulate(aig, bits))


def test_structure_ports_and_determinism():
    aig = random_aig(6, 80, 4, seed=2)
    net, _ = lutmap(aig)
    ins = ["a[0]", "a[1]", "a[2]", "b", "a[3]", "c.d"]
    outs = ["y[1]", "y[0]", "z", "y[2]"]
    text = emit_lut_verilog(net, "top", ins, outs)
    assert text == emit_lut_verilog(net, "top", ins, outs)
    assert "module top (" in text and text.rstrip().endswith("endmodule")
    assert "input  wire [3:0] a" in text and "input  wire b" in text
    assert "input  wire \\c.d " in text and "output wire [2:0] y" in text
    luts = re.findall(r"assign n(\d+) = lut(\d)\(", text)
    assert len(luts) == net.num_luts
    assert [int(i) for i, _ in luts] == list(range(net.first_lut, net.first_lut + net.num_luts))
    assert all(int(s) == net.sizes[int(i) - net.first_lut] for i, s in luts)
    for s in {int(x) for x in net.sizes}:
        assert f"function lut{s}(input [{(1 << s) - 1}:0] tt" in text
    bits = unpack_bits(exhaustive_inputs(6), 64)
    in_refs = ["a[0]", "a[1]", "a[2]", "b", "a[3]", "\\c.d "]
    got = evaluate_text(text, in_refs, bits, ["y[1]", "y[0]", "z", "y[2]"])
    assert np.array_equal(got, simulate(aig, bits))


def test_outputs_from_inputs_and_constants():
    b = AIGBuilder(2)
    x, y = (int(v) for v in b.inputs())
    aig = b.build([x, y ^ 1, 0, 1, b.add_and(x, y)], [f"o[{i}]" for i in range(5)])
    net, _ = lutmap(aig)
    text = emit_lut_verilog(net, "m", ["i[0]", "i[1]"])
    assert "assign o[0] = i[0];" in text
    assert "assign o[1] = ~i[1];" in text
    assert "assign o[2] = 1'b0;" in text and "assign o[3] = 1'b1;" in text
    assert "assign n3 = lut2(4'h8, {i[1], i[0]});" in text


def test_grouping_rules():
    groups = group_ports(["x[1]", "x[0]", "p[0]", "p[2]", "q", "wire[0]", "r[01]"])
    by_name = {g.name: g for g in groups}
    assert by_name["x"].width == 2 and by_name["x"].bits == (1, 0) and by_name["x"].vector
    # p has a gap, wire is a keyword, r[01] is not a canonical index: scalar, escaped ports
    assert {"\\p[0] ", "\\p[2] ", "q", "\\wire[0] ", "\\r[01] "} <= set(by_name)


def test_name_collisions_and_errors():
    aig = random_aig(4, 30, 2, seed=5)
    net, _ = lutmap(aig)
    text = emit_lut_verilog(net, "m", ["n5", "a", "lut4", "c"], ["o0", "o1"])
    assert re.search(r"assign n_\d+ = lut_\d\(", text)
    with pytest.raises(GatecompError):
        emit_lut_verilog(net, "module", None, None)
    with pytest.raises(GatecompError):
        emit_lut_verilog(net, "m", ["a", "a", "b", "c"], ["o0", "o1"])
    with pytest.raises(GatecompError):
        emit_lut_verilog(net, "m", ["a", "b", "c", "d"], ["a", "o1"])
    with pytest.raises(GatecompError):
        emit_lut_verilog(net, "m", ["a", "b"], ["o0", "o1"])
