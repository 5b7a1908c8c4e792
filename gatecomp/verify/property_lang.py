"""The property language of ``gatecomp prove --property``: parse, evaluate, lower to logic.

A property is a claim about the circuit's ports that must hold on every input, optionally only
on the inputs that satisfy a condition::

    property   := expr [ "when" expr ]
    expr       := conj { "or" conj }
    conj       := unary { "and" unary }
    unary      := "not" unary | "(" expr ")" | term OP term
    OP         := "==" | "!=" | "<" | "<=" | ">" | ">="
    term       := INT | NAME | NAME "[" INT "]" | NAME "[" INT ":" INT "]"

``NAME`` is a port (outputs ``pred``, ``count0``.. / ``score0``.., inputs ``x``); a port is an
unsigned integer (LSB first), ``x[i]`` is one bit and ``x[a:b]`` bits ``a .. b-1`` as an
unsigned integer, so "class is never 3 when x[0..7] are all 0" reads
``pred != 3 when x[0:8] == 0``. INT is decimal, ``0x..`` or ``0b..``.

The parser is hand-written (user text is never evaluated as Python). The same tree is both
lowered into AIG logic (for SAT) and evaluated on simulated port values (to check every
counterexample independently of that logic).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..aig import CONST0, CONST1, AIGBuilder
from ..errors import GatecompError
from ..synth.arith import greater_than

_TOKEN = re.compile(r"\s*(?:(?P<num>0[xX][0-9a-fA-F]+|0[bB][01]+|\d+)|(?P<name>[A-Za-z_]\w*)"
                    r"|(?P<op>==|!=|<=|>=|<|>)|(?P<punct>[\[\]():]))")
_KEYWORDS = ("and", "or", "not", "when")
OPS = ("==", "!=", "<", "<=", ">", ">=")


@dataclass(frozen=True)
class Const:
    value: int


@dataclass(frozen=True)
class Slice:
    """Bits ``[lo, hi)`` of port ``name`` as an unsigned integer (``hi`` None: to the end)."""

    name: str
    lo: int
    hi: int | None


@dataclass(frozen=True)
class Compare:
    op: str
    left: Const | Slice
    right: Const | Slice


@dataclass(frozen=True)
class Not:
    arg: Node


@dataclass(frozen=True)
class Junction:
    """``and`` / ``or`` of two or more sub-expressions."""

    kind: str
    args: tuple[Node, ...]


Node = Compare | Not | Junction


@dataclass(frozen=True)
class Property:
    """``claim`` must hold on every input where ``when`` holds (None: everywhere)."""

    text: str
    claim: Node
    when: Node | None


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    col: int


def _tokens(text: str) -> list[_Tok]:
    toks, at = [], 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        m = _TOKEN.match(text, at)
        if m is None:
            col = at + len(text[at:]) - len(text[at:].lstrip())
            raise GatecompError(f"property: unexpected {text[col]!r} at column {col + 1}")
        kind = m.lastgroup or ""
        word, col = m.group(kind), m.start(kind) + 1
        if kind == "name" and word in _KEYWORDS:
            kind = "kw"
        toks.append(_Tok(kind, word, col))
        at = m.end()
    toks.append(_Tok("end", "end of text", len(text) + 1))
    return toks


class _Parser:
    """Recursive descent over :func:`_tokens`; every error is one line naming the column."""

    def __init__(self, text: str):
        self.toks, self.at = _tokens(text), 0

    def peek(self) -> _Tok:
        return self.toks[self.at]

    def take(self, kind: str, text: str | None = None, what: str = "") -> _Tok:
        tok = self.peek()
        if tok.kind != kind or (text is not None and tok.text != text):
            raise GatecompError(f"property: expected {what or text or kind} at column "
                                f"{tok.col}, found {tok.text!r}")
        self.at += 1
        return tok

    def accept(self, kind: str, text: str) -> bool:
        tok = self.peek()
        if tok.kind == kind and tok.text == text:
            self.at += 1
            return True
        return False

    def junction(self, kind: str, sub: Callable[[], Node]) -> Node:
        args = [sub()]
        while self.accept("kw", kind):
            args.append(sub())
        return args[0] if len(args) == 1 else Junction(kind, tuple(args))

    def expr(self) -> Node:
        return self.junction("or", lambda: self.junction("and", self.unary))

    def unary(self) -> Node:
        if self.accept("kw", "not"):
            return Not(self.unary())
        if self.accept("punct", "("):
            node = self.expr()
            self.take("punct", ")")
            return node
        left = self.term()
        op = self.take("op", what="a comparison (== != < <= > >=)").text
        return Compare(op, left, self.term())

    def term(self) -> Const | Slice:
        tok = self.peek()
        if tok.kind == "num":
            self.at += 1
            return Const(int(tok.text, 0))
        name = self.take("name", what="a port name or a number").text
        if not self.accept("punct", "["):
            return Slice(name, 0, None)
        lo = int(self.take("num", what="a bit index").text, 0)
        hi = lo + 1
        if self.accept("punct", ":"):
            hi = int(self.take("num", what="a bit index").text, 0)
        self.take("punct", "]")
        return Slice(name, lo, hi)


def parse_property(text: str) -> Property:
    """The :class:`Property` ``text`` states (a one-line GatecompError on bad syntax)."""
    if not text.strip():
        raise GatecompError("property: empty expression")
    p = _Parser(text)
    claim = p.expr()
    when = p.expr() if p.accept("kw", "when") else None
    tok = p.peek()
    if tok.kind != "end":
        raise GatecompError(f"property: unexpected {tok.text!r} at column {tok.col}")
    return Property(text, claim, when)


def slices(node: Node | None) -> list[Slice]:
    """Every port slice ``node`` reads (to check names and bounds before lowering)."""
    if node is None:
        return []
    if isinstance(node, Compare):
        return [t for t in (node.left, node.right) if isinstance(t, Slice)]
    if isinstance(node, Not):
        return slices(node.arg)
    return [s for a in node.args for s in slices(a)]


# -- evaluation on simulated values ----------------------------------------------------------
BitsOf = Callable[[str], np.ndarray]  # port name -> (samples, width) bool


def evaluate(node: Node, bits_of: BitsOf) -> np.ndarray:
    """``node`` on every sample, from each port's bits (the check of a counterexample)."""
    if isinstance(node, Not):
        return ~evaluate(node.arg, bits_of)
    if isinstance(node, Junction):
        vals = [evaluate(a, bits_of) for a in node.args]
        return np.logical_and.reduce(vals) if node.kind == "and" else np.logical_or.reduce(vals)
    a, b = _value_of(node.left, bits_of), _value_of(node.right, bits_of)
    return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b,
            ">=": a >= b}[node.op]


def _value_of(term: Const | Slice, bits_of: BitsOf) -> np.ndarray | int:
    if isinstance(term, Const):
        return term.value
    bits = np.asarray(bits_of(term.name), dtype=object)[:, term.lo:term.hi]
    return (bits * np.array([1 << k for k in range(bits.shape[1])], dtype=object)).sum(axis=1)


def holds(prop: Property, bits_of: BitsOf) -> np.ndarray:
    """Per sample: does the property hold there (``claim`` or not ``when``)?"""
    ok = evaluate(prop.claim, bits_of)
    return ok if prop.when is None else ok | ~evaluate(prop.when, bits_of)


# -- lowering into logic ----------------------------------------------------------------------
LitsOf = Callable[[str], np.ndarray]  # port name -> its AIG literals, LSB first


def lower(b: AIGBuilder, node: Node, lits_of: LitsOf) -> int:
    """One literal of ``b`` that is 1 exactly where ``node`` holds."""
    if isinstance(node, Not):
        return lower(b, node.arg, lits_of) ^ 1
    if isinstance(node, Junction):
        lits = [lower(b, a, lits_of) for a in node.args]
        out = lits[0]
        for x in lits[1:]:
            out = b.add_and(out, x) if node.kind == "and" else b.add_or(out, x)
        return out
    x, y = _words(node.left, node.right, lits_of)
    op = node.op
    if op in ("==", "!="):
        eq = CONST1
        for xi, yi in zip(x, y, strict=True):
            eq = b.add_and(eq, b.add_xor(int(xi), int(yi)) ^ 1)
        return eq if op == "==" else eq ^ 1
    if op in ("<", ">="):
        x, y = y, x  # x < y is y > x; x >= y is not (y > x)
    gt = int(greater_than(b, x, y)[0])
    return gt if op in (">", "<") else gt ^ 1


def _words(left: Const | Slice, right: Const | Slice, lits_of: LitsOf
           ) -> tuple[np.ndarray, np.ndarray]:
    """Both terms as literal words of one width (constants as constant bits)."""
    def raw(t: Const | Slice) -> np.ndarray | int:
        return t.value if isinstance(t, Const) else np.asarray(lits_of(t.name))[t.lo:t.hi]

    a, b = raw(left), raw(right)
    width = max(len(v) if isinstance(v, np.ndarray) else max(1, v.bit_length()) for v in (a, b))

    def bits(v: np.ndarray | int) -> np.ndarray:
        if isinstance(v, np.ndarray):
            return np.concatenate([v, np.full(width - len(v), CONST0)]).astype(np.int64)
        return np.array([CONST1 if (v >> k) & 1 else CONST0 for k in range(width)],
                        dtype=np.int64)

    return bits(a), bits(b)
