"""Formal proof that a synthesized netlist computes the compiled circuit, pipeline and all.

The netlist's core module becomes a step AIG (:mod:`gatecomp.fpga.netlist_aig`, Yosys with
the vendor cell models). It is unrolled over ``L + 1`` clock cycles (``L`` the latency in
the sidecar) from an *arbitrary* register state, with independent ``in_data`` / ``in_valid``
per cycle, ``out_ready = 1`` (the pipeline advances), ``rst = 0``. The claim proved: at cycle
``L`` every ``out_<port>`` equals the compiled circuit (``NAME.aig``) on cycle 0's input,
``out_valid`` equals cycle 0's ``in_valid``, and ``in_ready`` is 1 in every cycle. An
unbalanced path (a register too many or too few on some bit) makes an output depend on
another cycle's input or on the state, so it is refuted. Two oracles decide it: our SAT
checker and ABC ``cec`` (when installed); they must agree.

A counterexample is re-simulated on the unrolled netlist from 64 random register states; one
that holds from every state is a stream the simulator can replay after reset. If the first
one needs a particular state, the window is widened by ``L`` earlier cycles and searched again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..aig import AIG, AIGBuilder, simulate
from ..aig.unroll import FrameCopier
from ..errors import GatecompError
from ..fpga.netlist_aig import NetlistAig, netlist_to_aig
from ..sidecar import Sidecar
from .abc_cec import abc_cec
from .equivalence import prove_equivalent

#: the input ports the proof drives (constants, or free per cycle)
HELD = {"clk": 0, "rst": 0, "out_ready": 1}
FREE = ("in_data", "in_valid")
STATE_SAMPLES = 64
#: limits that make a proof nobody can finish "undecided" instead of endless: popcounts on
#: carry chains (CCU2C adder trees against the AIG's compressor trees) are such a case
SWEEP_SECONDS = 60.0
OUTPUT_CONFLICTS = 20_000
BDD_NODES = 500_000
ABC_SECONDS = 120.0


@dataclass(frozen=True)
class Counterexample:
    """Input words per cycle (``in_data`` bits, ``in_valid``) on which the netlist differs:
    the output ``output`` at cycle ``prefix + latency`` is wrong for cycle ``prefix``'s input."""

    in_data: np.ndarray  # (cycles, W) bool
    in_valid: np.ndarray  # (cycles,) bool
    prefix: int
    output: str
    any_state: bool  # the mismatch shows from every register state tried

    @property
    def vector(self) -> str:
        """The circuit's input bits (in_data bit 0 first) of the cycle whose output is wrong."""
        return "".join("1" if b else "0" for b in self.in_data[self.prefix])


@dataclass
class FormalResult:
    """Verdict of :func:`prove_netlist`; ``equivalent`` None when no oracle decided."""

    netlist: Path
    equivalent: bool | None
    latency: int
    latches: int
    netlist_ands: int
    unrolled_ands: int
    oracles: dict[str, str]
    seconds: dict[str, float] = field(default_factory=dict)
    counterexample: Counterexample | None = None

    def summary(self) -> str:
        verdict = {True: "proved equal to", False: "DIFFERS from", None: "not decided against"}
        how = ", ".join(f"{k} {v}" for k, v in self.oracles.items())
        return (f"{self.netlist.name} {verdict[self.equivalent]} the compiled circuit over "
                f"latency {self.latency} from any register state ({self.latches} registers, "
                f"{self.unrolled_ands} ANDs unrolled; {how}; "
                f"{sum(self.seconds.values()):.1f} s)")

    def as_dict(self) -> dict:
        cex = self.counterexample
        return {"netlist": self.netlist.name, "equivalent": self.equivalent,
                "latency": self.latency, "registers": self.latches,
                "netlist_ands": self.netlist_ands, "unrolled_ands": self.unrolled_ands,
                "oracles": self.oracles,
                "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
                "counterexample": None if cex is None else {
                    "input": cex.vector, "output": cex.output, "cycle": cex.prefix,
                    "any_state": cex.any_state}}


@dataclass(frozen=True, eq=False)
class _Window:
    """The two sides of one proof: netlist unrolled vs the reference, on shared inputs
    ``[in_data per cycle, in_valid per cycle, state, free x bits per cycle]``; outputs
    ``[ports..., out_valid, in_ready per cycle]``."""

    netlist: AIG
    reference: AIG
    cycles: int
    width: int
    names: tuple[str, ...]  # per output of the miter: the port it belongs to


def _window(nl: NetlistAig, copier: FrameCopier, ref: AIG, sidecar: Sidecar,
            prefix: int) -> _Window:
    latency, width = sidecar.latency, ref.num_inputs
    cycles = prefix + latency + 1
    nfree = len(nl.free)
    total = cycles * width + cycles + nl.num_latches + cycles * nfree
    b = AIGBuilder(total)
    data = b.inputs()[:cycles * width].reshape(cycles, width)
    valid = b.inputs()[cycles * width:cycles * (width + 1)]
    state = b.inputs()[cycles * (width + 1):cycles * (width + 1) + nl.num_latches]
    free = b.inputs()[cycles * (width + 1) + nl.num_latches:].reshape(cycles, nfree)
    ready, outs = [], None
    for t in range(cycles):
        ports = np.zeros(nl.num_port_inputs, dtype=np.int64)
        for name, value in HELD.items():
            ports[nl.inputs[name]] = value
        ports[nl.inputs["in_data"]] = data[t]
        ports[nl.inputs["in_valid"]] = valid[t]
        ports[nl.free] = free[t]
        outs, state = copier.frame(b, ports, state)
        ready.append(outs[nl.outputs["in_ready"]][0])
    port_lits, names = [], []
    for out in sidecar.outputs:
        port_lits.append(outs[nl.outputs[out.port]])
        names += [out.port] * out.width
    lits = [*port_lits, outs[nl.outputs["out_valid"]], np.array(ready)]
    names += ["out_valid"] + ["in_ready"] * cycles
    netlist_side = b.build(np.concatenate(lits))
    r = AIGBuilder(total)
    ref_outs, _ = FrameCopier(ref, 0).frame(r, r.inputs()[prefix * width:(prefix + 1) * width],
                                            np.zeros(0, dtype=np.int64))
    expect = [ref_outs, [r.inputs()[cycles * width + prefix]], np.ones(cycles, np.int64)]
    reference_side = r.build(np.concatenate(expect))
    return _Window(netlist_side, reference_side, cycles, width, tuple(names))


def _check_ports(nl: NetlistAig, sidecar: Sidecar, ref: AIG) -> None:
    """The netlist module's ports are the stream contract's, at the sidecar's widths."""
    want_in = {"clk": 1, "rst": 1, "in_valid": 1, "in_data": ref.num_inputs, "out_ready": 1}
    want_out = {"in_ready": 1, "out_valid": 1, **{o.port: o.width for o in sidecar.outputs}}
    for kind, have, want in (("input", nl.inputs, want_in), ("output", nl.outputs, want_out)):
        got = {name: len(bits) for name, bits in have.items()}
        if got != want:
            raise GatecompError(f"the netlist's {sidecar.module} {kind} ports {got} are not "
                                f"the stream contract's {want}")
    clk = nl.inputs["clk"][0] + 1
    if (np.asarray(nl.step.fanin0) >> 1 == clk).any() or \
            (np.asarray(nl.step.fanin1) >> 1 == clk).any() or (nl.step.outputs >> 1 == clk).any():
        raise GatecompError("the netlist uses clk as logic (a gated clock?); not provable here")


def prove_netlist(netlist: Path, family: str, sidecar: Sidecar, ref: AIG,
                  progress=None) -> FormalResult:
    """Prove module ``sidecar.module`` of ``netlist`` equal to ``ref`` over the latency."""
    say = progress or (lambda _m: None)
    seconds: dict[str, float] = {}
    say(f"reading {netlist.name} as an AIG (Yosys, {family} cell models) ...")
    nl = netlist_to_aig(Path(netlist), sidecar.module, family)
    seconds["yosys"] = nl.seconds
    _check_ports(nl, sidecar, ref)
    copier = FrameCopier(nl.step, nl.num_latches)
    start = time.perf_counter()
    win = _window(nl, copier, ref, sidecar, 0)
    seconds["unroll"] = time.perf_counter() - start
    say(f"proving {win.netlist.num_ands} unrolled ANDs ({win.cycles} cycles) equal to the "
        f"circuit ...")
    verdict, oracles, cex_bits = _decide(win, seconds)
    result = FormalResult(Path(netlist), verdict, sidecar.latency, nl.num_latches,
                          nl.step.num_ands, win.netlist.num_ands, oracles, seconds)
    if verdict is False:
        result.counterexample = _replayable(nl, copier, ref, sidecar, win, cex_bits, seconds)
    return result


def _decide(win: _Window, seconds: dict[str, float]) -> tuple[bool | None, dict, np.ndarray]:
    """Both oracles on one window; a disagreement is a bug of one of them, not a verdict."""
    start = time.perf_counter()
    ours = prove_equivalent(win.netlist, win.reference, time_limit=SWEEP_SECONDS,
                            output_conflict_limit=OUTPUT_CONFLICTS,
                            bdd_node_limit=BDD_NODES)
    seconds["sat"] = seconds.get("sat", 0.0) + time.perf_counter() - start
    oracles = {"SAT": {True: "proved", False: "refuted", None: "undecided"}[ours.equivalent]}
    start = time.perf_counter()
    abc = abc_cec(win.netlist, win.reference, timeout=ABC_SECONDS)
    seconds["abc"] = seconds.get("abc", 0.0) + time.perf_counter() - start
    if abc.checked:
        oracles["ABC cec"] = "proved" if abc.equivalent else "refuted"
        if ours.equivalent is not None and abc.equivalent != ours.equivalent:
            raise GatecompError(f"our SAT checker and ABC cec disagree on the netlist "
                                f"({oracles}); not trusting either")
    verdict = ours.equivalent if ours.equivalent is not None else \
        (abc.equivalent if abc.checked else None)
    if verdict is False and ours.counterexample is None:
        raise GatecompError("ABC refuted the netlist but our checker found no counterexample")
    return verdict, oracles, ours.counterexample


def _replayable(nl, copier, ref, sidecar, win, bits, seconds) -> Counterexample:
    """The counterexample, searched again with ``L`` more leading cycles while it needs a
    particular register state (at most twice)."""
    step = max(sidecar.latency, 1)
    for prefix in (0, step, 2 * step):
        if prefix:
            win = _window(nl, copier, ref, sidecar, prefix)
            verdict, _, bits = _decide(win, seconds)
            if verdict is not True and bits is None:
                break
        cex = _counterexample(win, bits, prefix)
        if cex.any_state:
            return cex
    return cex


def _counterexample(win: _Window, bits: np.ndarray, prefix: int) -> Counterexample:
    bits = np.asarray(bits, dtype=bool)
    c, w = win.cycles, win.width
    data, valid = bits[:c * w].reshape(c, w), bits[c * w:c * (w + 1)]
    bad = simulate(win.netlist, bits[None]) != simulate(win.reference, bits[None])
    output = win.names[int(np.flatnonzero(bad[0])[0])]
    rng = np.random.default_rng(0)
    trials = np.tile(bits, (STATE_SAMPLES, 1))
    trials[:, c * w:c * (w + 1)] = True  # the replay streams valid vectors
    at = c * (w + 1)
    trials[:, at:] = rng.integers(0, 2, (STATE_SAMPLES, trials.shape[1] - at), dtype=bool)
    differs = (simulate(win.netlist, trials) != simulate(win.reference, trials)).any(axis=1)
    return Counterexample(data, valid, prefix, output, bool(differs.all()))


def prove_build_netlist(build_dir: Path, netlist: Path | None = None,
                        progress=None) -> FormalResult:
    """:func:`prove_netlist` on a build (its ``board/`` netlist unless ``netlist``); on a
    refutation, the counterexample is written as ``build_dir/counterexample/``."""
    from ..fpga.netlist import netlist_family, netlist_sources
    from .build_circuit import load_build
    from .counterexample_sim import write_counterexample
    from .image_rtl import is_streaming_build
    from .rtl_sim import _find_design
    from .seq_rtl import is_sequential_build

    build_dir = Path(build_dir)
    if is_sequential_build(build_dir) or is_streaming_build(build_dir):
        raise GatecompError("--formal proves pipelined (one vector per clock) builds; a "
                            "sequential or streaming build is verified by simulation")
    path, _ = netlist_sources(build_dir, netlist)
    family = netlist_family(build_dir, path)
    if family is None:
        raise GatecompError(f"{path.name} holds no iCE40 or ECP5 cells; --formal proves FPGA "
                            f"netlists only")
    _, sidecar = _find_design(build_dir)
    ref = load_build(build_dir).aig
    result = prove_netlist(path, family, sidecar, ref, progress)
    if result.counterexample is not None:
        write_counterexample(build_dir, sidecar, ref, result.counterexample)
    return result


def refusal(result: FormalResult, build_dir: Path) -> str:
    """The one-line error of a netlist not proved: the counterexample and how to replay it."""
    cex = result.counterexample
    if cex is None:
        return f"{result.netlist.name} not proved equal to the compiled circuit (undecided)"
    state = "" if cex.any_state else " (it needs a particular register state)"
    return (f"{result.netlist.name} differs from the compiled circuit: {cex.output} wrong "
            f"{result.latency} cycles after input {cex.vector} (in_data bit 0 first, cycle "
            f"{cex.prefix} of {len(cex.in_valid)}){state}; replay: gatecomp verify "
            f"{Path(build_dir) / 'counterexample'} --netlist {result.netlist}")
