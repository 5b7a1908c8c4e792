"""Reading structural (gate-level) Verilog netlists into an AIG.

Why: other tools (Yosys, ABC, commercial synthesis) hand circuits over as gate-level Verilog,
not AIGER. Reading them lets ``gatecomp opt`` (and everything that reads circuit files through
``optimize.read_aig_file``) optimize and prove a netlist without a conversion step elsewhere.

How: pyverilog parses the file (its preprocessor is Icarus Verilog's ``iverilog -E``); the top
module is flattened (submodules of the same file are inlined) into one bit-level driver per net
bit; every bit an output depends on must be driven exactly once and the drivers must form no
loop; the bits are then built in topological order through :class:`AIGBuilder` (so the result
is structurally hashed). Inputs and outputs keep the port-list order, least significant bit
first, named ``name`` (scalars) or ``name[k]`` (vector bits, ``k`` as declared).

Only what has one exact combinational meaning is read: ``input``/``output``/``wire``
declarations, ``assign`` with ``~ & | ^ ~^``, reductions, ``! && ||``, ``?:`` with a one-bit
condition, constants without x/z, concatenation, replication and constant bit/part selects, the
gate primitives ``and or nand nor xor xnor not buf`` and instances of modules of the same file.
Widths follow Verilog's rules for unsigned operands (context width, zero extension, truncation
at the assignment). Anything else (procedural blocks, arithmetic, comparisons, shifts, tri-state
or switch primitives, parameters, signed extension, x/z constants, multi-driven or undriven
nets, combinational loops) stops the read with one :class:`GatecompError` line naming the
construct and its line.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pyverilog.vparser import ast as va

from ..errors import GatecompError
from .builder import AIGBuilder
from .graph import AIG

#: a bit-level expression: 0/1, a net bit's key, or (op, operands...) with op in ~ & | ^ ?
Tree = int | str | tuple

PRIMITIVES = {"and": ("&", False), "nand": ("&", True), "or": ("|", False),
              "nor": ("|", True), "xor": ("^", False), "xnor": ("^", True)}
BUFFERS = {"buf": False, "not": True}
SWITCHES = {"bufif0", "bufif1", "notif0", "notif1", "nmos", "pmos", "cmos", "rnmos", "rpmos",
            "rcmos", "tran", "tranif0", "tranif1", "rtran", "rtranif0", "rtranif1", "pullup",
            "pulldown"}
BITWISE = {va.And: "&", va.Or: "|", va.Xor: "^", va.Xnor: "~^"}
REDUCTIONS = {va.Uand: ("&", False), va.Unand: ("&", True), va.Uor: ("|", False),
              va.Unor: ("|", True), va.Uxor: ("^", False), va.Uxnor: ("^", True)}
REFUSED_OPS = {va.Plus: "'+'", va.Minus: "'-'", va.Times: "'*'", va.Divide: "'/'",
               va.Mod: "'%'", va.Power: "'**'", va.Uminus: "unary '-'", va.Uplus: "unary '+'",
               va.Sll: "'<<'", va.Srl: "'>>'", va.Sla: "'<<<'", va.Sra: "'>>>'",
               va.LessThan: "'<'", va.GreaterThan: "'>'", va.LessEq: "'<='",
               va.GreaterEq: "'>='", va.Eq: "'=='", va.NotEq: "'!='", va.Eql: "'==='",
               va.NotEql: "'!=='"}
REFUSED_ITEMS = {va.Always: "always block", va.Initial: "initial block", va.Reg: "reg",
                 va.Integer: "integer", va.Real: "real", va.Genvar: "genvar",
                 va.Inout: "inout port", va.Tri: "tri net", va.Supply: "supply net",
                 va.Parameter: "parameter", va.Function: "function", va.Task: "task",
                 va.GenerateStatement: "generate block"}

_CONST = re.compile(r"^(\d*)'([sS]?)([bodhBODH])([0-9a-fA-FxXzZ?_]+)$")
_BASES = {"b": 2, "o": 8, "d": 10, "h": 16}
_PARSER_LOCK = threading.Lock()


class Refused(Exception):
    """A construct the reader does not accept, at ``line`` (turned into a GatecompError)."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def read_verilog_netlist(path: str | Path, top: str | None = None) -> AIG:
    """Read the structural Verilog netlist ``path`` (module ``top``, or the only root module).

    Raises :class:`GatecompError` (one line, with the line number) for anything it refuses.
    """
    path = Path(path)
    if not path.is_file():
        raise GatecompError(f"{path}: no such file")
    modules = _modules(_parse(path), path)
    try:
        flat = Flattener(modules)
        flat.elaborate_top(_choose_top(modules, top))
        return flat.build()
    except Refused as exc:
        where = f"line {exc.line}: " if exc.line else ""
        raise GatecompError(f"{path}: {where}{exc.message}") from None
    except RecursionError:
        raise GatecompError(f"{path}: expression nesting too deep to read") from None


# -- parsing -------------------------------------------------------------------------------
@functools.cache
def _parser():
    """pyverilog's parser, built once per process (its LALR tables take ~1 s to generate)."""
    from pyverilog.vparser.parser import VerilogParser

    with tempfile.TemporaryDirectory() as tmp:
        return VerilogParser(outputdir=tmp, debug=False)


def _preprocess(path: Path) -> str:
    """``iverilog -E`` (pyverilog's preprocessor), with its failure as one line."""
    iverilog = os.environ.get("PYVERILOG_IVERILOG", "iverilog")
    if shutil.which(iverilog) is None:
        raise GatecompError(f"{path}: reading Verilog needs Icarus Verilog ('{iverilog}', "
                            f"pyverilog's preprocessor); install it: apt-get install iverilog")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pp.v"
        try:
            proc = subprocess.run([iverilog, "-E", "-o", str(out), str(path)],
                                  capture_output=True, text=True, errors="replace", check=False)
        except OSError as exc:
            raise GatecompError(f"{path}: cannot run {iverilog}: {exc.strerror}") from None
        if proc.returncode or not out.is_file():
            lines = (proc.stderr or proc.stdout).strip().splitlines() or ["failed"]
            raise GatecompError(f"{path}: Verilog preprocessor: {lines[0]}")
        return out.read_text(errors="replace")


def _parse(path: Path) -> va.Source:
    """Parse with pyverilog (the same steps as ``pyverilog.vparser.parser.parse``, without its
    ``preprocess.output``/``parsetab.py`` files in the working directory)."""
    from pyverilog.vparser.parser import ParseError

    text = _preprocess(path)
    with _PARSER_LOCK:
        parser = _parser()
        parser.lexer.reset_lineno()
        parser.lexer.directives = []
        try:
            return parser.parse(text)
        except ParseError as exc:
            found = re.search(r"line:(\d+):\s*(.*)", str(exc))
            detail = str(exc).split(": ", 1)[-1]
            where = (f"line {found.group(1)}: syntax error {found.group(2)}" if found
                     else f"syntax error {detail}")
            raise GatecompError(f"{path}: {where}") from None


def _modules(source: va.Source, path: Path) -> dict[str, va.ModuleDef]:
    modules: dict[str, va.ModuleDef] = {}
    for item in source.description.definitions:
        if not isinstance(item, va.ModuleDef):
            raise GatecompError(f"{path}: line {item.lineno}: {type(item).__name__} outside a "
                                f"module is not read")
        if item.name in modules:
            raise GatecompError(f"{path}: line {item.lineno}: module '{item.name}' defined twice")
        modules[item.name] = item
    if not modules:
        raise GatecompError(f"{path}: no module in the file")
    return modules


def _choose_top(modules: dict[str, va.ModuleDef], top: str | None) -> va.ModuleDef:
    if top is not None:
        if top not in modules:
            raise Refused(0, f"no module '{top}' (modules: {', '.join(modules)})")
        return modules[top]
    used = {inst.module for m in modules.values() for inst in _items(m, va.InstanceList)}
    roots = [name for name in modules if name not in used]
    if not roots:
        raise Refused(0, "no top-level module: every module is instantiated (recursion)")
    if len(roots) != 1:
        raise Refused(0, f"several top-level modules ({', '.join(roots or modules)}); "
                         f"name the top module")
    return modules[roots[0]]


def _items(module: va.ModuleDef, kind: type) -> Iterator:
    return (item for item in module.items if isinstance(item, kind))


# -- constants -----------------------------------------------------------------------------
def const_bits(text: str, line: int) -> tuple[list[int], bool]:
    """Bits (LSB first) and signedness of a Verilog integer literal; x/z are refused."""
    text = text.replace(" ", "")
    if re.fullmatch(r"\d[\d_]*", text):
        value = int(text.replace("_", ""))
        return [(value >> k) & 1 for k in range(max(32, value.bit_length() + 1))], True
    found = _CONST.match(text)
    if not found:
        raise Refused(line, f"constant {text} is not read")
    size, signed, base, digits = found.groups()
    digits = digits.replace("_", "")
    if re.search(r"[xXzZ?]", digits):
        raise Refused(line, f"constant {text} has x/z bits (no single combinational value)")
    width = int(size) if size else 32
    if width < 1:
        raise Refused(line, f"constant {text} has zero width")
    value = int(digits, _BASES[base.lower()])
    return [(value >> k) & 1 for k in range(width)], bool(signed)


def const_int(expr, line: int, what: str) -> int:
    """A constant index or count (an integer literal; parameters and arithmetic are refused)."""
    if not isinstance(expr, va.IntConst):
        raise Refused(line, f"{what} must be an integer literal, not {_describe(expr)}")
    bits, _ = const_bits(expr.value, line)
    return sum(b << k for k, b in enumerate(bits))


def _describe(node) -> str:
    if type(node) in REFUSED_OPS:
        return f"operator {REFUSED_OPS[type(node)]}"
    return REFUSED_ITEMS.get(type(node), type(node).__name__)


# -- nets ----------------------------------------------------------------------------------
@dataclass
class Net:
    """A declared net: ``kind`` input/output/wire, range ``msb:lsb`` (None for a scalar)."""

    name: str
    kind: str
    msb: int | None
    lsb: int | None
    signed: bool
    line: int

    def indices(self) -> list[int | None]:
        """Bit indices, least significant first."""
        if self.msb is None or self.lsb is None:
            return [None]
        step = 1 if self.msb >= self.lsb else -1
        return list(range(self.lsb, self.msb + step, step))


def bit_key(prefix: str, name: str, index: int | None) -> str:
    """The flat name of one net bit: ``u1.x[3]`` (scalars: ``u1.x``)."""
    name = name[1:] if name.startswith("\\") else name
    return f"{prefix}{name}" if index is None else f"{prefix}{name}[{index}]"


def _range(var, line: int) -> tuple[int | None, int | None]:
    if getattr(var, "dimensions", None) is not None:
        raise Refused(line, f"array (memory) '{var.name}' is not read")
    if var.width is None:
        return None, None
    return (const_int(var.width.msb, line, "a range bound"),
            const_int(var.width.lsb, line, "a range bound"))


def declare(nets: dict[str, Net], var, line: int) -> None:
    """Add an Input/Output/Wire declaration, merging ``output [3:0] y; wire [3:0] y;``."""
    if type(var) in REFUSED_ITEMS:
        raise Refused(line, f"{REFUSED_ITEMS[type(var)]} '{var.name}' is not read "
                            f"(only input, output and wire)")
    if not isinstance(var, (va.Input, va.Output, va.Wire)):
        raise Refused(line, f"declaration {type(var).__name__} '{var.name}' is not read")
    kind = {va.Input: "input", va.Output: "output"}.get(type(var), "wire")
    msb, lsb = _range(var, line)
    old = nets.get(var.name)
    if old is None:
        nets[var.name] = Net(var.name, kind, msb, lsb, bool(var.signed), line)
        return
    if (old.msb, old.lsb) != (msb, lsb) and var.width is not None:
        raise Refused(line, f"'{var.name}' declared again with another range "
                            f"(first at line {old.line})")
    if kind != "wire":
        if old.kind != "wire":
            raise Refused(line, f"'{var.name}' declared {old.kind} and {kind}")
        old.kind = kind
    if old.msb is None and var.width is not None:
        old.msb, old.lsb = msb, lsb
    old.signed = old.signed or bool(var.signed)


def module_nets(module: va.ModuleDef) -> tuple[dict[str, Net], list[str]]:
    """All nets of ``module`` and its port names in port-list order."""
    nets: dict[str, Net] = {}
    ports: list[str] = []
    if module.paramlist is not None and module.paramlist.params:
        raise Refused(module.lineno, f"parameters of module '{module.name}' are not read")
    for port in module.portlist.ports if module.portlist else ():
        if isinstance(port, va.Ioport):
            for var in (port.first, port.second):
                if var is not None:
                    declare(nets, var, port.lineno)
            ports.append(port.first.name)
        else:
            ports.append(port.name)
    for decl in _items(module, va.Decl):
        for var in decl.list:
            if not isinstance(var, va.Assign):
                declare(nets, var, decl.lineno)
    for name in ports:
        if name not in nets or nets[name].kind == "wire":
            raise Refused(module.lineno, f"port '{name}' of module '{module.name}' has no "
                                         f"input/output declaration")
    return nets, ports


# -- expressions ---------------------------------------------------------------------------
class Scope:
    """One module instance: its nets under ``prefix``, and expressions lowered to bit trees."""

    def __init__(self, module: va.ModuleDef, prefix: str):
        self.module = module
        self.prefix = prefix
        self.nets, self.ports = module_nets(module)
        self.line = module.lineno

    def key(self, net: Net, index: int | None) -> str:
        return bit_key(self.prefix, net.name, index)

    def keys(self, name: str) -> list[str]:
        net = self.nets[name]
        return [self.key(net, k) for k in net.indices()]

    def net(self, ident) -> Net:
        if not isinstance(ident, va.Identifier):
            raise Refused(self.line, f"select of {_describe(ident)} is not read")
        if ident.scope is not None:
            raise Refused(self.line, f"hierarchical reference to '{ident.name}' is not read")
        if ident.name not in self.nets:
            raise Refused(self.line, f"undeclared net '{ident.name}'")
        return self.nets[ident.name]

    def select(self, expr) -> tuple[Net, list[int | None]]:
        """The net and bit indices (LSB first) of an identifier, bit select or part select."""
        if isinstance(expr, va.Identifier):
            net = self.net(expr)
            return net, net.indices()
        net = self.net(expr.var)
        all_bits = net.indices()
        if isinstance(expr, va.Pointer):
            index = const_int(expr.ptr, self.line, f"the bit index of '{net.name}'")
            if index not in all_bits:
                raise Refused(self.line, f"bit {index} is outside '{net.name}'")
            return net, [index]
        msb = const_int(expr.msb, self.line, f"a part-select bound of '{net.name}'")
        lsb = const_int(expr.lsb, self.line, f"a part-select bound of '{net.name}'")
        if msb not in all_bits or lsb not in all_bits:
            raise Refused(self.line, f"part select [{msb}:{lsb}] is outside '{net.name}'")
        low, high = all_bits.index(lsb), all_bits.index(msb)
        if low > high:
            raise Refused(self.line, f"part select [{msb}:{lsb}] of '{net.name}' is reversed")
        return net, all_bits[low:high + 1]

    def width(self, expr) -> int:
        """Self-determined width of ``expr`` (Verilog's rules)."""
        if isinstance(expr, (va.Identifier, va.Pointer, va.Partselect)):
            return len(self.select(expr)[1])
        if isinstance(expr, va.IntConst):
            return len(const_bits(expr.value, self.line)[0])
        if isinstance(expr, va.Concat):
            return sum(self.width(part) for part in expr.list)
        if isinstance(expr, va.Repeat):
            return const_int(expr.times, self.line, "a replication count") * self.width(
                expr.value)
        if isinstance(expr, va.Unot):
            return self.width(expr.right)
        if type(expr) in BITWISE:
            return max(self.width(expr.left), self.width(expr.right))
        if isinstance(expr, va.Cond):
            return max(self.width(expr.true_value), self.width(expr.false_value))
        if type(expr) in REDUCTIONS or isinstance(expr, (va.Ulnot, va.Land, va.Lor)):
            return 1
        raise Refused(self.line, f"{_describe(expr)} is not read (not a bit-level operator)")

    def value(self, expr, width: int) -> list[Tree]:
        """``expr`` in a context of ``width`` bits (>= its own width), LSB first."""
        if isinstance(expr, va.Unot):
            return [("~", t) for t in self.value(expr.right, width)]
        if type(expr) in BITWISE:
            op = BITWISE[type(expr)]
            pairs = zip(self.value(expr.left, width), self.value(expr.right, width), strict=True)
            if op == "~^":
                return [("~", ("^", a, b)) for a, b in pairs]
            return [(op, a, b) for a, b in pairs]
        if isinstance(expr, va.Cond):
            cond = self.value(expr.cond, self.width(expr.cond))
            if len(cond) != 1:
                raise Refused(self.line, f"?: with a {len(cond)}-bit condition is not read "
                                         f"(only one-bit conditions)")
            pairs = zip(self.value(expr.true_value, width), self.value(expr.false_value, width),
                        strict=True)
            return [("?", cond[0], a, b) for a, b in pairs]
        return self._extend(self._self_value(expr), width, expr)

    def _self_value(self, expr) -> list[Tree]:
        """Operands with a self-determined width (then zero-extended by :meth:`value`)."""
        if isinstance(expr, (va.Identifier, va.Pointer, va.Partselect)):
            net, indices = self.select(expr)
            return [self.key(net, k) for k in indices]
        if isinstance(expr, va.IntConst):
            return list(const_bits(expr.value, self.line)[0])
        if isinstance(expr, va.Concat):
            return [t for part in reversed(expr.list) for t in self.value(part, self.width(part))]
        if isinstance(expr, va.Repeat):
            times = const_int(expr.times, self.line, "a replication count")
            return self.value(expr.value, self.width(expr.value)) * times
        if type(expr) in REDUCTIONS:
            op, negate = REDUCTIONS[type(expr)]
            tree = (op, *self.value(expr.right, self.width(expr.right)))
            return [("~", tree) if negate else tree]
        if isinstance(expr, va.Ulnot):
            return [("~", self._any(expr.right))]
        if isinstance(expr, (va.Land, va.Lor)):
            op = "&" if isinstance(expr, va.Land) else "|"
            return [(op, self._any(expr.left), self._any(expr.right))]
        self.width(expr)  # raises with the construct's name
        raise Refused(self.line, f"{_describe(expr)} is not read")

    def _any(self, expr) -> Tree:
        """``expr != 0`` (the truth value of a logical operand)."""
        return ("|", *self.value(expr, self.width(expr)))

    def _extend(self, bits: list[Tree], width: int, expr) -> list[Tree]:
        if len(bits) >= width:
            return bits[:width]
        if isinstance(expr, va.Identifier) and self.net(expr).signed:
            raise Refused(self.line, f"signed net '{expr.name}' extended from {len(bits)} to "
                                     f"{width} bits is not read")
        if isinstance(expr, va.IntConst) and "'" in expr.value and const_bits(
                expr.value, self.line)[1]:
            raise Refused(self.line, f"signed constant {expr.value} extended to {width} bits "
                                     f"is not read")
        return bits + [0] * (width - len(bits))

    def assigned(self, expr, width: int) -> list[Tree]:
        """``expr`` as the right side of an assignment to ``width`` bits (truncated to fit)."""
        return self.value(expr, max(width, self.width(expr)))[:width]

    def lvalue(self, expr) -> list[str]:
        """Net-bit keys (LSB first) of an assignment target."""
        if isinstance(expr, va.Concat):
            return [k for part in reversed(expr.list) for k in self.lvalue(part)]
        if not isinstance(expr, (va.Identifier, va.Pointer, va.Partselect)):
            raise Refused(self.line, f"{_describe(expr)} cannot be assigned")
        net, indices = self.select(expr)
        if net.kind == "input":
            raise Refused(self.line, f"input '{net.name}' is driven inside its module")
        return [self.key(net, k) for k in indices]


# -- flattening ----------------------------------------------------------------------------
class Flattener:
    """Collects one driver per net bit over the whole instance tree, then builds the AIG."""

    def __init__(self, modules: dict[str, va.ModuleDef]):
        self.modules = modules
        self.drivers: dict[str, tuple[Tree, int]] = {}
        self.declared: dict[str, int] = {}
        self.inputs: list[str] = []
        self.outputs: list[str] = []

    def elaborate_top(self, module: va.ModuleDef) -> None:
        scope = self.elaborate(module, "", (module.name,))
        for name in scope.ports:
            keys = scope.keys(name)
            (self.inputs if scope.nets[name].kind == "input" else self.outputs).extend(keys)

    def elaborate(self, module: va.ModuleDef, prefix: str, stack: tuple[str, ...]) -> Scope:
        scope = Scope(module, prefix)
        for net in scope.nets.values():
            for key in scope.keys(net.name):
                self.declared[key] = net.line
        for item in module.items:
            scope.line = item.lineno
            if isinstance(item, va.Decl):
                for var in item.list:
                    if isinstance(var, va.Assign):
                        self.assign(scope, var)
            elif isinstance(item, va.Assign):
                self.assign(scope, item)
            elif isinstance(item, va.InstanceList):
                for inst in item.instances:
                    self.instance(scope, item, inst, stack)
            else:
                raise Refused(item.lineno, f"{_describe(item)} is not read (not structural)")
        return scope

    def drive(self, key: str, tree: Tree, line: int) -> None:
        if key in self.drivers:
            raise Refused(line, f"net '{key}' has several drivers "
                                f"(also line {self.drivers[key][1]})")
        self.drivers[key] = (tree, line)

    def assign(self, scope: Scope, item: va.Assign) -> None:
        if item.ldelay is not None or item.rdelay is not None:
            raise Refused(scope.line, "assign with a delay is not read")
        keys = scope.lvalue(item.left.var)
        for key, tree in zip(keys, scope.assigned(item.right.var, len(keys)), strict=True):
            self.drive(key, tree, scope.line)

    def instance(self, scope: Scope, group: va.InstanceList, inst: va.Instance,
                 stack: tuple[str, ...]) -> None:
        scope.line = inst.lineno or scope.line
        if group.parameterlist or inst.parameterlist or inst.array is not None:
            raise Refused(inst.lineno, f"parameters, delays or arrays on instance of "
                                      f"'{inst.module}' are not read")
        if inst.module in PRIMITIVES or inst.module in BUFFERS:
            return self.primitive(scope, inst)
        if inst.module in SWITCHES:
            raise Refused(scope.line, f"primitive '{inst.module}' (tri-state, switch or pull) "
                                      f"is not read")
        if inst.module not in self.modules:
            raise Refused(scope.line, f"instance of '{inst.module}' (neither a gate primitive "
                                      f"nor a module of this file) cannot be flattened")
        if inst.module in stack:
            raise Refused(scope.line, f"module '{inst.module}' instantiates itself")
        child = self.elaborate(self.modules[inst.module], f"{scope.prefix}{inst.name}.",
                               (*stack, inst.module))
        scope.line = inst.lineno
        for port, expr in self.connections(scope, inst, child):
            self.connect(scope, child, port, expr)
        return None

    def primitive(self, scope: Scope, inst: va.Instance) -> None:
        terms = []
        for arg in inst.portlist:
            if arg.portname is not None or arg.argname is None:
                raise Refused(scope.line, f"'{inst.module}' gate terminals must be positional")
            terms.append(arg.argname)
        if len(terms) < 2:
            raise Refused(scope.line, f"'{inst.module}' gate needs an output and an input")
        if inst.module in BUFFERS:
            outs, source = terms[:-1], self.terminal(scope, inst, terms[-1])
            tree: Tree = ("~", source) if BUFFERS[inst.module] else source
        else:
            outs = terms[:1]
            op, negate = PRIMITIVES[inst.module]
            tree = (op, *(self.terminal(scope, inst, t) for t in terms[1:]))
            tree = ("~", tree) if negate else tree
        for out in outs:
            keys = scope.lvalue(out)
            if len(keys) != 1:
                raise Refused(scope.line, f"'{inst.module}' output terminal is {len(keys)} bits "
                                          f"wide (gate terminals are one bit)")
            self.drive(keys[0], tree, scope.line)

    @staticmethod
    def terminal(scope: Scope, inst: va.Instance, expr) -> Tree:
        """A gate's input terminal: one bit (a vector here is an error in Verilog, too)."""
        width = scope.width(expr)
        if width != 1:
            raise Refused(scope.line, f"'{inst.module}' input terminal is {width} bits wide "
                                      f"(gate terminals are one bit)")
        return scope.value(expr, 1)[0]

    def connections(self, scope: Scope, inst: va.Instance, child: Scope
                    ) -> list[tuple[str, object]]:
        args = list(inst.portlist)
        named = [a.portname is not None for a in args]
        if any(named) and not all(named):
            raise Refused(scope.line, f"instance '{inst.name}' mixes named and positional ports")
        if not all(named):
            if len(args) > len(child.ports):
                raise Refused(scope.line, f"instance '{inst.name}' has {len(args)} connections, "
                                          f"'{inst.module}' {len(child.ports)} ports")
            return [(p, a.argname) for p, a in zip(child.ports, args, strict=False)]
        names = [a.portname for a in args]
        for name in names:
            if name not in child.ports or names.count(name) > 1:
                raise Refused(scope.line, f"port '{name}' of instance '{inst.name}' is unknown "
                                          f"or connected twice")
        return [(a.portname, a.argname) for a in args]

    def connect(self, scope: Scope, child: Scope, port: str, expr) -> None:
        if expr is None:
            return
        keys = child.keys(port)
        if child.nets[port].kind == "input":
            for key, tree in zip(keys, scope.assigned(expr, len(keys)), strict=True):
                self.drive(key, tree, scope.line)
            return
        targets = scope.lvalue(expr)
        if len(targets) != len(keys):
            raise Refused(scope.line, f"output port '{port}' ({len(keys)} bits) connected to "
                                      f"{len(targets)} bits")
        for target, key in zip(targets, keys, strict=True):
            self.drive(target, key, scope.line)

    # -- checks and construction ---------------------------------------------------------
    def order(self) -> list[str]:
        """Driven bits the outputs depend on, fanins first; refuses undriven bits and loops."""
        inputs = set(self.inputs)
        state: dict[str, int] = {}  # 1: on the DFS path, 2: done
        done: list[str] = []
        for root in self.outputs:
            path: list[tuple[str, Iterator[str]]] = []
            self._visit(root, inputs, state, path, done)
            while path:
                key, deps = path[-1]
                dep = next(deps, None)
                if dep is None:
                    path.pop()
                    state[key] = 2
                    done.append(key)
                else:
                    self._visit(dep, inputs, state, path, done)
        return done

    def _visit(self, key: str, inputs: set[str], state: dict[str, int],
               path: list[tuple[str, Iterator[str]]], done: list[str]) -> None:
        if key in inputs or state.get(key) == 2:
            return
        if state.get(key) == 1:
            loop = [k for k, _ in path][[k for k, _ in path].index(key):] + [key]
            shown = loop if len(loop) <= 8 else loop[:4] + ["..."] + loop[-3:]
            raise Refused(self.drivers[key][1], f"combinational loop: {' -> '.join(shown)}")
        if key not in self.drivers:
            what = "output" if key in self.outputs else "net"
            raise Refused(self.declared.get(key, 0), f"{what} '{key}' is used but never driven")
        state[key] = 1
        path.append((key, leaves(self.drivers[key][0])))

    def build(self) -> AIG:
        """The AIG of the outputs (ports in order, LSB first), built with structural hashing."""
        order = self.order()
        builder = AIGBuilder(len(self.inputs), self.inputs)
        lits = {key: builder.input(k) for k, key in enumerate(self.inputs)}
        for key in order:
            lits[key] = build_tree(builder, self.drivers[key][0], lits)
        return builder.build([lits[k] for k in self.outputs], self.outputs)


def leaves(tree: Tree) -> Iterator[str]:
    """The net-bit keys a tree reads (with repeats)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, tuple):
            todo.extend(node[1:])


def build_tree(builder: AIGBuilder, tree: Tree, lits: dict[str, int]) -> int:
    """The literal of a bit tree whose leaves are already in ``lits``."""
    if isinstance(tree, str):
        return lits[tree]
    if isinstance(tree, int):
        return tree  # CONST0 / CONST1 are the literals 0 / 1
    op, args = tree[0], [build_tree(builder, t, lits) for t in tree[1:]]
    if op == "~":
        return args[0] ^ 1
    if op == "?":
        return builder.add_mux(*args)
    combine = {"&": builder.add_and, "|": builder.add_or, "^": builder.add_xor}[op]
    while len(args) > 1:  # balanced: depth log2(n) for wide gates and reductions
        pairs = [combine(args[k], args[k + 1]) for k in range(0, len(args) - 1, 2)]
        args = pairs + args[len(args) - len(args) % 2:]
    return args[0]
