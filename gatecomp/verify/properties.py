"""Properties of a compiled circuit by SAT: local robustness and user-given claims.

``gatecomp prove BUILD_DIR`` asks questions of the optimized AIG of a build, with inputs as the
circuit takes them (its ``in_data`` bits):

* **local robustness** of an input ``x0`` at radius ``R``: does every input ``x`` within
  Hamming distance ``R`` of ``x0`` (or, ``metric="linf"``, within ``+-R`` on every integer
  feature word) get the class of ``x0``? The answer is "robust", a counterexample, or
  "unknown" when the query's time limit ran out.
* a **property** in the small language of :mod:`.property_lang`, e.g.
  ``pred != 3 when x[0:8] == 0``: "holds", a counterexample, or "unknown".

The robustness encoding is built once per circuit and every query is posed by assumptions
only, so one incremental solver answers a whole batch (many vectors, several radii) and keeps
what it learnt about the circuit between queries:

* the circuit is the project's Tseitin encoder (:class:`~gatecomp.logic.cnf.AigCnf`);
* "the class changes" is a clause over the ``pred`` output bits (some bit differs from the
  class ``c`` of ``x0``), one per class, switched on by an assumption literal;
* Hamming distance: reference variables ``s_i`` (assumed equal to ``x0``), ``d_i >= x_i xor
  s_i``, and one totalizer over the ``d_i`` (:class:`pysat.card.ITotalizer`); ``sum d <= R`` is
  the assumption ``-rhs[R]``, so changing ``x0`` or ``R`` adds no clauses (the totalizer grows
  when a larger radius is first asked for);
* linf: per query, each feature word is held in ``[v - R, v + R] & [0, 2**w - 1]`` by clauses
  of two constant comparators (no new variables), guarded by a fresh selector that is retired
  after the query.

Every counterexample is checked by simulation: of the AIG (it must be within the radius and
change the class, else it is an :class:`InternalError`), and of the model's own reference when
the model file can be read; both answers are reported.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ..aig import AIGBuilder, simulate
from ..errors import GatecompError, InternalError
from ..logic.cnf import DEFAULT_SOLVER, AigCnf
from ..synth.subgraph import replay
from .build_circuit import BuildCircuit
from .property_lang import Property, holds, lower, slices
from .robust_sim import ENUMERATE_LIMIT, ball_size, sample_ball, search_ball

METRICS = ("hamming", "linf")
#: "auto": simulation where it decides (``robust_sim``), SAT for the rest; "sat": SAT only
ENGINES = ("auto", "sat")
ROBUST, COUNTEREXAMPLE, UNKNOWN, HOLDS = "robust", "counterexample", "unknown", "holds"


@dataclass(frozen=True)
class ModelCheck:
    """A counterexample replayed through the model's own reference (None: not available)."""

    reference: str  # the model file used, or why none could be used
    pred_x0: int | None = None
    pred_cex: int | None = None
    agrees: bool | None = None  # does the model's answer equal the circuit's on both inputs?


@dataclass(frozen=True)
class RobustResult:
    """One robustness query's answer (``to_json`` is the ``--json`` object)."""

    label: str  # "vector 3", "input"
    radius: int
    metric: str
    result: str  # ROBUST | COUNTEREXAMPLE | UNKNOWN
    pred: int  # the circuit's class of x0
    counterexample: str | None  # the circuit's input bits, in its input order
    cex_pred: int | None
    distance: int | None
    seconds: float
    engine: str = "sat"  # what answered: "sat", "enumeration" (the whole ball), "simulation"
    model: ModelCheck | None = None

    def to_json(self) -> dict:
        return {"result": self.result, "counterexample": self.counterexample,
                "seconds": round(self.seconds, 6), "query": self.label, "engine": self.engine,
                "radius": self.radius, "metric": self.metric, "pred": self.pred,
                "counterexample_pred": self.cex_pred, "distance": self.distance,
                "model": None if self.model is None else vars(self.model)}


def bit_string(bits: np.ndarray) -> str:
    """Input bits as ``"0110..."``: character ``i`` is input ``i``."""
    return "".join("1" if b else "0" for b in np.asarray(bits, dtype=bool))


def parse_bits(text: str, width: int) -> np.ndarray:
    """``"0110..."`` (input ``i`` first) as bools; a one-line GatecompError if it is not."""
    text = text.strip().replace("_", "")
    if not text or set(text) - {"0", "1"}:
        raise GatecompError("--input takes a string of 0 and 1 characters (input 0 first)")
    if len(text) != width:
        raise GatecompError(f"--input has {len(text)} bits; the circuit takes {width}")
    return np.array([c == "1" for c in text], dtype=bool)


class _Timer:
    """Interrupt ``solver`` after ``seconds`` (None: never): the per-query time limit."""

    def __init__(self, solver, seconds: float | None):
        self.solver, self.timer = solver, None
        if seconds is not None:
            self.timer = threading.Timer(seconds, solver.interrupt)

    def solve(self, assumptions: list[int]) -> bool | None:
        if self.timer is None:
            return self.solver.solve(assumptions=assumptions)
        self.timer.start()
        try:
            return self.solver.solve_limited(assumptions=assumptions, expect_interrupt=True)
        finally:
            self.timer.cancel()
            self.solver.clear_interrupt()


class _Vars:
    """Fresh DIMACS variables above those :class:`AigCnf` has handed out."""

    def __init__(self, cnf: AigCnf):
        self.cnf = cnf

    def new(self, count: int = 1) -> list[int]:
        first = self.cnf.num_vars + 1
        self.cnf.num_vars += count
        return list(range(first, first + count))

    def reserve_to(self, top: int) -> None:
        self.cnf.num_vars = max(self.cnf.num_vars, top)


def require_metric(build: BuildCircuit, metric: str) -> None:
    """A one-line GatecompError for a metric the circuit's inputs do not support."""
    if metric not in METRICS:
        raise GatecompError(f"unknown metric {metric!r} (use {' or '.join(METRICS)})")
    if metric == "linf" and build.feature_bits is None:
        raise GatecompError("--metric linf needs a circuit that takes integer features "
                            "(a QNN build, or torchlogix compiled with --input-bits); "
                            "this one takes plain bits: use --metric hamming")


def _assignment(model: list[int] | None, variables: list[int]) -> np.ndarray:
    """The values ``model`` gives ``variables`` (a variable it leaves out is 0)."""
    m = np.asarray(model or [], dtype=np.int64)
    v = np.asarray(variables, dtype=np.int64)
    inside = v <= len(m)
    out = np.zeros(len(v), dtype=bool)
    out[inside] = m[v[inside] - 1] > 0
    return out


def distance(x0: np.ndarray, x: np.ndarray, metric: str, feature_bits: int | None) -> int:
    """Hamming distance of two input vectors, or (linf) the largest change of a feature."""
    if metric == "hamming":
        return int(np.count_nonzero(np.asarray(x0) != np.asarray(x)))
    w = int(feature_bits or 0)
    weights = 1 << np.arange(w, dtype=np.int64)
    a = np.asarray(x0, dtype=np.int64).reshape(-1, w) @ weights
    b = np.asarray(x, dtype=np.int64).reshape(-1, w) @ weights
    return int(np.abs(a - b).max(initial=0))


def ge_clauses(bits: list[int], lo: int) -> list[list[int]]:
    """Clauses (no new variables) for ``value(bits) >= lo``, bits LSB first.

    ``x < lo`` needs a bit ``j`` where ``lo`` has 1, ``x`` has 0 and every higher bit of ``x``
    equals ``lo``'s; one clause per 1-bit of ``lo`` forbids each such ``j``.
    """
    return [[bits[j]] + [bits[k] if not (lo >> k) & 1 else -bits[k]
                         for k in range(j + 1, len(bits))]
            for j in range(len(bits)) if (lo >> j) & 1]


def le_clauses(bits: list[int], hi: int) -> list[list[int]]:
    """Clauses for ``value(bits) <= hi``: one per 0-bit ``j`` of ``hi`` (see :func:`ge_clauses`)."""
    return [[-bits[j]] + [bits[k] if not (hi >> k) & 1 else -bits[k]
                          for k in range(j + 1, len(bits))]
            for j in range(len(bits)) if not (hi >> j) & 1]


class RobustnessProver:
    """One incremental solver answering every robustness query on ``build`` (see the module
    docstring for the encoding). ``timeout``: seconds per query (None: no limit)."""

    def __init__(self, build: BuildCircuit, solver: str = DEFAULT_SOLVER,
                 timeout: float | None = None, engine: str = "auto",
                 enumerate_limit: int = ENUMERATE_LIMIT):
        from pysat.card import ITotalizer

        if engine not in ENGINES:
            raise GatecompError(f"unknown engine {engine!r} (use {' or '.join(ENGINES)})")
        self._totalizer_class = ITotalizer
        self.build, self.timeout = build, timeout
        self.engine, self.enumerate_limit = engine, enumerate_limit
        self.solver_name = solver
        self._cnf: AigCnf | None = None  # encoded when SAT is first needed
        self._changed: dict[int, int] = {}  # class -> selector of "pred != class"
        self._ref: list[int] = []  # s_i: the reference input, fixed by assumptions
        self._tot = None  # the totalizer over d_i >= x_i xor s_i

    @property
    def cnf(self) -> AigCnf:
        """The circuit's encoding, made on first use (simulation may answer every query)."""
        if self._cnf is None:
            self._cnf = AigCnf(self.build.aig, self.solver_name)
            self.vars = _Vars(self._cnf)
            n = self.build.aig.num_inputs
            self.x = [int(v) for v in self._cnf.lits(2 * np.arange(1, n + 1))]
            self.pred = [int(v) for v in self._cnf.lits(self.build.pred_literals())]
        return self._cnf

    def close(self) -> None:
        if self._tot is not None:
            self._tot.delete()
        if self._cnf is not None:
            self._cnf.close()

    def _add(self, clauses: list[list[int]]) -> None:
        for clause in clauses:
            self.cnf.solver.add_clause(clause)

    def _class_changes(self, cls: int) -> int:
        """Selector literal of "some ``pred`` bit differs from ``cls``" (made once per class)."""
        if cls not in self._changed:
            sel = self.vars.new()[0]
            differ = [p if not (cls >> j) & 1 else -p for j, p in enumerate(self.pred)]
            self._add([[-sel, *differ]])
            self._changed[cls] = sel
        return self._changed[cls]

    def _hamming(self, x0: np.ndarray, radius: int) -> list[int]:
        """Assumptions for "Hamming distance to ``x0`` <= ``radius``"."""
        n = len(self.x)
        if not self._ref:
            self._ref, d = self.vars.new(n), self.vars.new(n)
            self._add([c for x, s, di in zip(self.x, self._ref, d, strict=True)
                       for c in ([di, -x, s], [di, x, -s])])
            self._tot = self._totalizer_class(lits=d, ubound=max(1, min(radius, n)),
                                              top_id=self.cnf.num_vars)
            self._add(self._tot.cnf.clauses)
            self.vars.reserve_to(self._tot.top_id)
        elif self._tot.ubound < min(radius, n):
            self._tot.increase(ubound=min(radius, n), top_id=self.cnf.num_vars)
            self._add(self._tot.cnf.clauses[-self._tot.nof_new:] if self._tot.nof_new else [])
            self.vars.reserve_to(self._tot.top_id)
        fixed = [s if v else -s for s, v in zip(self._ref, x0, strict=True)]
        return fixed + ([-self._tot.rhs[radius]] if radius < n else [])

    def _linf(self, x0: np.ndarray, radius: int) -> int:
        """A selector under which every feature word stays within ``radius`` of ``x0``'s."""
        require_metric(self.build, "linf")
        w = int(self.build.feature_bits or 0)
        sel = self.vars.new()[0]
        for f in range(len(self.x) // w):
            bits = self.x[f * w:(f + 1) * w]
            v = int(sum(int(b) << k for k, b in enumerate(x0[f * w:(f + 1) * w])))
            lo, hi = max(0, v - radius), min((1 << w) - 1, v + radius)
            self._add([[-sel, *c] for c in ge_clauses(bits, lo) + le_clauses(bits, hi)])
        return sel

    def prove(self, x0: np.ndarray, radius: int, metric: str = "hamming",
              label: str = "input", pred: int | None = None) -> RobustResult:
        """Is every input within ``radius`` of ``x0`` classified like ``x0``?"""
        x0 = np.asarray(x0, dtype=bool)
        require_metric(self.build, metric)
        if radius < 0:
            raise GatecompError("the radius must be >= 0")
        start = time.perf_counter()
        cls = int(self.build.classify(x0[None])[0]) if pred is None else int(pred)
        answer = self._by_simulation(x0, cls, radius, metric) if self.engine == "auto" else None
        verdict, cex, engine = answer or self._by_sat(x0, cls, radius, metric)
        res = RobustResult(label, radius, metric, verdict, cls, None, None, None,
                           time.perf_counter() - start, engine)
        return self._checked(res, x0, cex)

    def _by_simulation(self, x0: np.ndarray, cls: int, radius: int, metric: str):
        """(verdict, counterexample, engine) from simulation, or None when SAT must decide:
        the whole Hamming ball when it is small, else random inputs at the full radius."""
        if metric != "hamming":
            return None
        if ball_size(len(x0), radius) <= self.enumerate_limit:
            cex = search_ball(self.build, x0, cls, radius)
            return (ROBUST if cex is None else COUNTEREXAMPLE), cex, "enumeration"
        cex = sample_ball(self.build, x0, cls, radius)
        return None if cex is None else (COUNTEREXAMPLE, cex, "simulation")

    def _by_sat(self, x0: np.ndarray, cls: int, radius: int, metric: str):
        """(verdict, counterexample, "sat") from one incremental query under assumptions."""
        solver = self.cnf.solver  # encodes the circuit on the first SAT query
        retire = None
        if metric == "hamming":
            assumptions = self._hamming(x0, radius)
        else:
            retire = self._linf(x0, radius)
            assumptions = [retire]
        sat = _Timer(solver, self.timeout).solve([*assumptions, self._class_changes(cls)])
        cex = _assignment(solver.get_model(), self.x) if sat else None
        if retire is not None:
            self._add([[-retire]])
        return (UNKNOWN if sat is None else COUNTEREXAMPLE if sat else ROBUST), cex, "sat"

    def _checked(self, res: RobustResult, x0: np.ndarray, cex: np.ndarray | None
                 ) -> RobustResult:
        """``res`` with its counterexample filled in after simulating it through the AIG."""
        if cex is None:
            return res
        cex_pred = int(self.build.classify(cex[None])[0])
        dist = distance(x0, cex, res.metric, self.build.feature_bits)
        if cex_pred == res.pred or dist > res.radius:
            raise InternalError(f"SAT counterexample for {res.label} does not simulate as one "
                                f"(class {cex_pred} vs {res.pred}, distance {dist})")
        return replace(res, counterexample=bit_string(cex), cex_pred=cex_pred, distance=dist)


@dataclass(frozen=True)
class RobustQuery:
    """Is ``x0`` robust at ``radius`` under ``metric``? ``label`` names it in reports."""

    label: str
    x0: np.ndarray
    radius: int
    metric: str = "hamming"


Reference = Callable[[np.ndarray], dict] | None


def prove_robustness(build: BuildCircuit, queries: list[RobustQuery], *,
                     timeout: float | None = None, solver: str = DEFAULT_SOLVER,
                     engine: str = "auto", reference: tuple[Reference, str] | None = None,
                     progress: Callable[[RobustResult], None] | None = None
                     ) -> list[RobustResult]:
    """Answer ``queries`` with one incremental solver, in order.

    ``engine``: "auto" or "sat" (see :data:`ENGINES`). ``reference``: the model's reference
    and its name (``build_circuit.model_reference``); every counterexample is replayed through
    it, all in one batch at the end (None: skip).
    ``progress`` is called after each query.
    """
    if not queries:
        return []
    preds = build.classify(np.stack([q.x0 for q in queries]))
    prover = RobustnessProver(build, solver, timeout, engine)
    results = []
    try:
        for q, pred in zip(queries, preds, strict=True):
            results.append(prover.prove(q.x0, q.radius, q.metric, q.label, int(pred)))
            if progress is not None:
                progress(results[-1])
    finally:
        prover.close()
    return results if reference is None else _replay_in_model(results, queries, reference)


def _replay_in_model(results: list[RobustResult], queries: list[RobustQuery],
                     reference: tuple[Reference, str]) -> list[RobustResult]:
    """Each counterexample's ``ModelCheck``: the model's class of ``x0`` and of it."""
    run, name = reference
    found = [i for i, r in enumerate(results) if r.counterexample is not None]
    if not found:
        return results
    if run is None:
        return [replace(r, model=ModelCheck(name)) if i in found else r
                for i, r in enumerate(results)]
    cex = np.array([[c == "1" for c in results[i].counterexample] for i in found])
    x0 = np.stack([queries[i].x0 for i in found])
    pred = run(np.concatenate([x0, cex]))["pred"]
    out = list(results)
    for k, i in enumerate(found):
        a, b = int(pred[k]), int(pred[len(found) + k])
        r = results[i]
        out[i] = replace(r, model=ModelCheck(name, a, b, a == r.pred and b == r.cex_pred))
    return out


# -- user-given properties -----------------------------------------------------------------
@dataclass(frozen=True)
class PropertyResult:
    """A property's answer (``to_json`` is the ``--json`` object)."""

    property: str
    result: str  # HOLDS | COUNTEREXAMPLE | UNKNOWN
    counterexample: str | None
    seconds: float
    model: ModelCheck | None = None  # ``agrees``: the model violates it there too

    def to_json(self) -> dict:
        return {"result": self.result, "counterexample": self.counterexample,
                "seconds": round(self.seconds, 6), "property": self.property,
                "model": None if self.model is None else vars(self.model)}


def check_slices(build: BuildCircuit, prop: Property) -> None:
    """A one-line GatecompError for a port the circuit lacks or a bit range outside one."""
    for s in slices(prop.claim) + slices(prop.when):
        w = build.word(s.name)
        hi = w.width if s.hi is None else s.hi
        if not 0 <= s.lo < hi <= w.width:
            what = f"[{s.lo}]" if hi == s.lo + 1 else f"[{s.lo}:{hi}]"
            raise GatecompError(f"property: {s.name}{what} is out of range ({s.name} has "
                                f"{w.width} bits)")


def violation_aig(build: BuildCircuit, prop: Property):
    """The circuit with one output: 1 on the inputs where ``prop`` fails (a monitor)."""
    aig = build.aig
    b = AIGBuilder(aig.num_inputs, aig.input_names)
    outs = replay(b, aig, b.inputs())

    def lits_of(name: str) -> np.ndarray:
        w = build.word(name)
        src = b.inputs() if build.is_input(name) else outs
        return np.asarray(src[w.lsb:w.lsb + w.width], dtype=np.int64)

    bad = lower(b, prop.claim, lits_of) ^ 1
    if prop.when is not None:
        bad = b.add_and(bad, lower(b, prop.when, lits_of))
    return b.build([bad], ("violated",))


def _bits_of(build: BuildCircuit, in_bits: np.ndarray, words: dict[str, np.ndarray]):
    """Port name -> (samples, width) bits, from input bits and output words."""
    def bits_of(name: str) -> np.ndarray:
        w = build.word(name)
        if build.is_input(name):
            return in_bits[:, w.lsb:w.lsb + w.width]
        v = np.asarray(words[name], dtype=np.int64)
        return ((v[:, None] >> np.arange(w.width)) & 1).astype(bool)
    return bits_of


def prove_property(build: BuildCircuit, prop: Property, *, timeout: float | None = None,
                   solver: str = DEFAULT_SOLVER,
                   reference: tuple[Reference, str] | None = None) -> PropertyResult:
    """Does ``prop`` hold on every input of the circuit? A counterexample is checked by
    evaluating the property on the AIG's simulated ports (and the model's, with
    ``reference``)."""
    check_slices(build, prop)
    start = time.perf_counter()
    monitor = violation_aig(build, prop)
    cnf = AigCnf(monitor, solver)
    try:
        sat = _Timer(cnf.solver, timeout).solve([cnf.lit(int(monitor.outputs[0]))])
        x = [int(v) for v in cnf.lits(2 * np.arange(1, monitor.num_inputs + 1))]
        cex = _assignment(cnf.solver.get_model(), x)[None] if sat else None
    finally:
        cnf.close()
    seconds = time.perf_counter() - start
    if cex is None:
        return PropertyResult(prop.text, UNKNOWN if sat is None else HOLDS, None, seconds)
    circuit = build.output_words(simulate(build.aig, cex))
    if holds(prop, _bits_of(build, cex, circuit))[0]:
        raise InternalError(f"SAT counterexample to {prop.text!r} does not simulate as one")
    model = None
    if reference is not None:
        run, name = reference
        model = ModelCheck(name)
        if run is not None:
            words = run(cex)
            fails = not bool(holds(prop, _bits_of(build, cex, words))[0])
            model = ModelCheck(name, None, int(words["pred"][0]), fails)
    return PropertyResult(prop.text, COUNTEREXAMPLE, bit_string(cex[0]), seconds, model)
