"""Fuzz cases: one random instance per ``(kind, seed)``, checked bit for bit.

Every kind draws its instance from ``numpy.random.default_rng(seed)`` alone (torch generators
are seeded from it), so a failing case is replayed by its kind and seed. The edge cases the
issue names are drawn on purpose with a fixed probability: all 16 DLGN gates with constants
favoured, single-gate and empty layers, identical class blocks (argmax ties), raw logits tied
(first index wins), light/warp weights exactly 0, BNN/QNN thresholds at and beyond the reachable
extremes (constant neurons), odd widths, width-1 layers, no hidden layer, identical score rows.

A case returns a dict of facts (sizes, script, what was checked) or raises: ``AssertionError``
for a wrong answer, any other exception for a crash. A :class:`GatecompError` while *reading*
a deliberately odd model (an empty layer, say) is a refusal, not a failure; the runner counts
refusals per kind and prints their messages.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gatecomp.aig import (
    AIGBuilder,
    check_aig,
    exhaustive_inputs,
    random_inputs,
    read_aiger,
    simulate,
    simulate_words,
    write_aiger,
)
from gatecomp.errors import GatecompError
from gatecomp.frontends.registry import load_model
from gatecomp.passes.script import NAMED_SCRIPTS, PASSES
from gatecomp.verify.equivalence import prove_equivalent

#: largest input width simulated exhaustively
EXHAUSTIVE_BITS = 12
#: random vectors otherwise
RANDOM_VECTORS = 512
#: AIGs above this many ANDs are checked by simulation only (the proof would dominate)
PROVE_MAX_ANDS = 6000


class Refused(Exception):
    """A frontend refused the generated model with a one-line GatecompError (not a bug)."""


# -- shared helpers --------------------------------------------------------------------------


def _torch_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def input_vectors(rng: np.random.Generator, width: int, n: int = RANDOM_VECTORS) -> np.ndarray:
    """Every vector for narrow inputs; else random ones plus all-0, all-1 and one-hot rows."""
    if width <= EXHAUSTIVE_BITS:
        return ((np.arange(1 << width)[:, None] >> np.arange(width)) & 1).astype(bool)
    density = rng.choice([0.5, 0.1, 0.9])
    x = rng.random((n, width)) < density
    extra = [np.zeros(width, bool), np.ones(width, bool)]
    for j in rng.choice(width, min(width, 8), replace=False):
        row = np.zeros(width, bool)
        row[j] = True
        extra += [row, ~row]
    return np.vstack([x, np.array(extra)])


def random_script(rng: np.random.Generator, max_steps: int = 6) -> str:
    """A random pass script: registered passes with random options, or a named script."""
    if rng.random() < 0.1:
        return str(rng.choice(sorted(NAMED_SCRIPTS)))
    steps = []
    names = sorted(PASSES)
    for _ in range(int(rng.integers(1, max_steps + 1))):
        name = str(rng.choice(names))
        opts = [f"{k}={v}" for k, v in _random_options(rng, name).items()]
        steps.append(name + ("{" + ",".join(opts) + "}" if opts else ""))
    return ",".join(steps)


def _random_options(rng: np.random.Generator, name: str) -> dict[str, object]:
    """A random subset of the pass's options, each drawn from its valid range."""
    ranges: dict[str, Callable[[], object]] = {
        "zero_gain": lambda: bool(rng.integers(2)),
        "preserve_levels": lambda: bool(rng.integers(2)),
        "area": lambda: bool(rng.integers(2)),
        "window": lambda: int(rng.choice([1, 2, 3, 8, 64])),
        "cuts_per_node": lambda: int(rng.choice([1, 2, 5, 12])),
        "fanout_stop": lambda: int(rng.choice([0, 1, 2, 4])),
        "max_cubes": lambda: int(rng.choice([1, 4, 32])),
        "max_added": lambda: int(rng.integers(0, 3)),
        "max_divisors": lambda: int(rng.choice([12, 40, 150])),
        "sim_words": lambda: int(rng.choice([1, 2, 16])),
        "conflict_limit": lambda: int(rng.choice([1, 10, 1000])),  # 0 is unlimited
        "seed": lambda: int(rng.integers(0, 100)),
    }
    cut = {"refactor": (2, 12), "resub": (3, 12)}
    fields = [f.name for f in dataclasses.fields(PASSES[name].params)]
    out: dict[str, object] = {}
    for f in fields:
        if rng.random() >= 0.4:
            continue
        if f == "cut_size" and name in cut:
            lo, hi = cut[name]
            out[f] = int(rng.integers(lo, hi + 1))
        elif f in ranges:
            out[f] = ranges[f]()
    if "max_divisors" in out and out["max_divisors"] < out.get("cut_size", 8):
        out["max_divisors"] = out.get("cut_size", 8)
    return {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in out.items()}


def assert_words_equal(got: dict, want: dict, what: str, ports=None) -> None:
    names = list(ports) if ports is not None else list(want)
    for name in names:
        g, w = np.asarray(got[name]), np.asarray(want[name])
        if not np.array_equal(g, w):
            bad = np.flatnonzero(g != w)
            raise AssertionError(f"{what}: port {name} differs on {len(bad)} of {len(w)} "
                                 f"vectors (first at {bad[0]}: {g[bad[0]]} != {w[bad[0]]})")


def optimize_and_prove(aig, rng: np.random.Generator, facts: dict, words=None):
    """Run a random script on ``aig``; the result is a valid AIG with the same function
    (simulation on ``words``, and our prover where the AIG is small enough)."""
    from gatecomp.passes.script import run_script

    script = random_script(rng)
    facts["script"] = script
    out, _ = run_script(aig, script)
    check_aig(out)
    if words is None:
        words = (exhaustive_inputs(aig.num_inputs) if aig.num_inputs <= 14
                 else random_inputs(aig.num_inputs, 32, seed=int(rng.integers(1 << 30))))
    if not np.array_equal(simulate_words(out, words), simulate_words(aig, words)):
        raise AssertionError(f"script {script!r} changed the function (simulation)")
    if max(aig.num_ands, out.num_ands) <= PROVE_MAX_ANDS:
        res = prove_equivalent(aig, out)
        facts["proof"] = res.equivalent
        if res.equivalent is False:
            raise AssertionError(f"script {script!r}: our prover refutes the optimized AIG: "
                                 f"{res.message}")
        if res.equivalent is None:
            facts["undecided"] = True
    facts["ands"] = (aig.num_ands, out.num_ands)
    return out


def check_frontend(src, x_bits: np.ndarray, rng: np.random.Generator, facts: dict,
                   independent: dict[str, np.ndarray] | None = None, **options):
    """Registry load -> lower; circuit == reference == own forward (== ``independent``) on
    ``x_bits``; then a random script on the circuit, still equal to the reference."""
    try:
        fe, model = load_model(src, **options)
        net = fe.lower(model)
    except GatecompError as exc:
        raise Refused(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
    facts["frontend"] = fe.name
    check_aig(net.aig)
    if net.aig.num_inputs != x_bits.shape[1]:
        raise AssertionError(f"circuit takes {net.aig.num_inputs} bits, model {x_bits.shape[1]}")
    ports = [p.name for p in net.outputs]
    got = net.output_words(simulate(net.aig, x_bits))
    ref = fe.reference(model, x_bits)
    assert_words_equal(got, ref, "circuit vs reference", ports)
    own = fe.own_forward(model, x_bits)
    if own.outputs is not None:
        assert_words_equal(own.outputs, ref, "own forward vs reference")
    facts["own_forward"] = own.outputs is not None
    if independent is not None:
        assert_words_equal(got, independent, "circuit vs independent forward")
    opt = optimize_and_prove(net.aig, rng, facts)
    got2 = net.with_aig(opt).output_words(simulate(opt, x_bits))
    assert_words_equal(got2, ref, f"optimized circuit ({facts['script']}) vs reference", ports)
    return fe, model, net


# -- DLGN ------------------------------------------------------------------------------------

_GATE_TABLES = np.array([[(g >> (3 - i)) & 1 for i in range(4)] for g in range(16)])


def _dlgn_gates(rng: np.random.Generator, n: int) -> np.ndarray:
    """Gate IDs: uniform over all 16, or biased to constants / wires, or one gate throughout."""
    mode = rng.integers(4)
    if mode == 0:
        return rng.integers(0, 16, n)
    if mode == 1:  # constants favoured
        return rng.choice([0, 15, *range(16)], n)
    if mode == 2:  # wires and negations
        return rng.choice([3, 5, 10, 12, 0, 15, 6, 9], n)
    return np.full(n, rng.integers(0, 16))


def _raw_weights(rng: np.random.Generator, gates: np.ndarray) -> torch.Tensor:
    n = len(gates)
    w = rng.normal(size=(n, 16)).astype(np.float32)
    w[np.arange(n), gates] = 4.0 + rng.random(n).astype(np.float32)
    if rng.random() < 0.5:  # exact ties with a later logit: the first index wins
        tie = (rng.random(n) < 0.3) & (gates < 15)
        later = np.minimum(gates + 1 + rng.integers(0, 4, n), 15)
        w[np.flatnonzero(tie), later[tie]] = w[np.flatnonzero(tie), gates[tie]]
    return torch.from_numpy(w)


def _light_weights(rng: np.random.Generator, gates: np.ndarray) -> torch.Tensor:
    """(n, 4) logits whose ``> 0`` table is the gate's; some logits exactly 0 (reads as 0)."""
    t = _GATE_TABLES[gates]
    mag = rng.random(t.shape).astype(np.float32) + 0.01
    w = np.where(t == 1, mag, -mag)
    w[(t == 0) & (rng.random(t.shape) < 0.3)] = 0.0
    return torch.from_numpy(w.astype(np.float32))


def _warp_weights(rng: np.random.Generator, n: int) -> torch.Tensor:
    w = rng.normal(size=(n, 4)).astype(np.float32)
    zero = rng.random((n, 4)) < 0.2
    w[zero] = 0.0
    if rng.random() < 0.3:  # small integers: Walsh sums hit exactly 0
        w = rng.integers(-2, 3, (n, 4)).astype(np.float32)
    return torch.from_numpy(w)


def random_dlgn(rng: np.random.Generator) -> tuple[nn.Sequential, int, int, dict]:
    from gatecomp.nn import GroupSum, LogicLayer

    in_dim = int(rng.choice([1, 2, 3, 5, 8, 11, 12, 17, 33, 64]))
    k = int(rng.choice([1, 2, 3, 5, 10]))
    depth = int(rng.choice([1, 1, 2, 3, 4]))
    group = int(rng.choice([1, 1, 2, 3, 7, 16]))
    widths = [int(rng.choice([1, 1, 2, 3, 7, 16, 31, 64, 100])) for _ in range(depth - 1)]
    widths.append(k * group)
    if rng.random() < 0.05:  # an empty last layer: every count 0 (may be refused)
        widths[-1] = 0
    elif rng.random() < 0.03:  # no logic layer: GroupSum straight on the inputs
        in_dim, widths = k * group, []
    param = str(rng.choice(["raw", "raw", "light", "warp"]))
    layers: list[nn.Module] = []
    d = in_dim
    for i, out in enumerate(widths):
        gates = _dlgn_gates(rng, out)
        idx = rng.integers(0, max(d, 1), size=(2, out))
        if rng.random() < 0.2 and out:
            idx[1] = idx[0]  # both inputs one wire
        if i == len(widths) - 1 and group and k > 1 and rng.random() < 0.3:
            # identical class blocks: tied counts, the first class must win
            same = rng.choice(k, int(rng.integers(2, k + 1)), replace=False)
            for c in same[1:]:
                sl, s0 = slice(c * group, (c + 1) * group), slice(same[0] * group,
                                                                  (same[0] + 1) * group)
                gates[sl], idx[:, sl] = gates[s0], idx[:, s0]
        if param == "raw":
            w = _raw_weights(rng, gates)
        elif param == "light":
            w = _light_weights(rng, gates)
        else:
            w = _warp_weights(rng, out)
        layers.append(LogicLayer(d, out, parametrization=param, indices=idx, weights=w))
        d = out
    tau = float(rng.choice([1.0, 0.5, 3.0, 10.0]))
    layers.append(GroupSum(k, tau))
    info = {"in_dim": in_dim, "widths": widths, "k": k, "param": param}
    return nn.Sequential(*layers).eval(), in_dim, k, info


def dlgn_forward(module: nn.Sequential, x_bits: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Counts and first-index argmax by truth-table lookup (numpy, gate IDs from weights)."""
    from gatecomp.nn import LogicLayer

    h = np.asarray(x_bits, dtype=np.int64)
    for m in module:
        if not isinstance(m, LogicLayer):
            continue
        w = m.weights.detach().numpy()
        if m.parametrization == "raw":
            tables = _GATE_TABLES[np.argmax(w, axis=1)]
        elif m.parametrization == "light":
            tables = (w > 0).astype(np.int64)
        else:
            tables = _GATE_TABLES[m.gate_ids().numpy()]
        idx = m.indices.numpy()
        a, b = h[:, idx[0]], h[:, idx[1]]
        h = tables[np.arange(tables.shape[0])[None, :], 2 * a + b]
    counts = h.reshape(len(h), k, -1).sum(-1)
    out = {f"count{c}": counts[:, c] for c in range(k)}
    out["pred"] = np.argmax(counts, axis=1)
    return out


def case_dlgn(rng: np.random.Generator) -> dict:
    module, in_dim, k, facts = random_dlgn(rng)
    x = input_vectors(rng, in_dim)
    src: object = module
    with tempfile.TemporaryDirectory(prefix="gatecomp-fuzz-") as tmp:
        if rng.random() < 0.4:
            from gatecomp.frontends.dlgn.formats import save_dlgn

            src = save_dlgn(Path(tmp) / "m.pt", module)
            facts["source"] = "gatecomp.dlgn checkpoint"
        check_frontend(src, x, rng, facts, dlgn_forward(module, x, k))
    return facts


# -- BNN -------------------------------------------------------------------------------------


def random_bnn(rng: np.random.Generator) -> tuple[nn.Sequential, int, int, dict]:
    """Binary layers: trainable ``BinaryLinear`` (random batch norms, zero scales, ties) or
    integer ``ThresholdLinear`` with thresholds at and beyond ``[0, n]`` in both directions."""
    from gatecomp.nn import BinaryLinear, BinaryScores, PopcountScores, ThresholdLinear

    in_dim = int(rng.choice([1, 2, 3, 5, 7, 9, 12, 13, 31, 64]))
    k = int(rng.choice([1, 2, 3, 4, 7, 10]))
    widths = [int(rng.choice([1, 1, 2, 3, 5, 9, 17, 33])) for _ in range(rng.integers(0, 4))]
    integer = rng.random() < 0.5
    g = torch.Generator().manual_seed(_torch_seed(rng))
    layers: list[nn.Module] = []
    d = in_dim
    for out in widths:
        if integer:
            w = rng.integers(0, 2, (out, d))
            mode = rng.integers(3)
            if mode == 0:  # the extremes only: constant neurons and p == n / p == 0
                thr = rng.choice([-1, 0, d, d + 1, -5, d + 7], out)
            elif mode == 1:
                thr = rng.integers(0, d + 1, out)
            else:
                thr = rng.integers(-2, d + 3, out)
            direction = rng.choice([1, -1], out) if rng.random() < 0.7 else np.ones(out)
            layers.append(ThresholdLinear(w, thr, direction))
        else:
            layer = BinaryLinear(d, out, seed=_torch_seed(rng))
            bn = layer.bn
            with torch.no_grad():
                bn.weight.copy_(torch.randn(out, generator=g))
                bn.weight[torch.rand(out, generator=g) < 0.15] = 0.0
                bn.bias.copy_(torch.randn(out, generator=g) * (1 if rng.random() < 0.7 else 50))
                bn.running_mean.copy_(torch.randn(out, generator=g) * d ** 0.5)
                bn.running_var.copy_(torch.rand(out, generator=g) * d + 0.1)
                tie = torch.rand(out, generator=g) < 0.3
                bn.bias[tie] = 0.0
                bn.running_mean[tie] = (2 * torch.randint(0, d + 1, (out,), generator=g) - d)[
                    tie].to(bn.running_mean.dtype)
            layers.append(layer)
        d = out
    if integer:
        w = rng.integers(0, 2, (k, d))
        if k > 1 and rng.random() < 0.3:  # identical class rows: argmax ties
            w[rng.integers(1, k)] = w[0]
        layers.append(PopcountScores(w))
    else:
        scores = BinaryScores(d, k, seed=_torch_seed(rng))
        if k > 1 and rng.random() < 0.3:
            with torch.no_grad():
                scores.weight[-1] = scores.weight[0]
        layers.append(scores)
    info = {"in_dim": in_dim, "widths": widths, "k": k, "integer": bool(integer)}
    return nn.Sequential(*layers).eval(), in_dim, k, info


def bnn_forward(module: nn.Sequential, x_bits: np.ndarray) -> dict[str, np.ndarray]:
    """The folded integer layers in numpy: XNOR-popcounts, thresholds, first-index argmax."""
    from gatecomp.nn import BinaryLinear, BinaryScores

    h = np.asarray(x_bits, dtype=np.int64)
    for m in module:
        f = m.fold() if isinstance(m, BinaryLinear | BinaryScores) else m
        w = f.weight_bits.numpy().astype(np.int64)
        p = h @ w.T + (1 - h) @ (1 - w).T
        if hasattr(f, "threshold"):
            t, dirn = f.threshold.numpy(), f.direction.numpy()
            h = np.where(dirn > 0, p >= t, p <= t).astype(np.int64)
        else:
            h = p
    out = {f"count{c}": h[:, c] for c in range(h.shape[1])}
    out["pred"] = np.argmax(h, axis=1)
    return out


def case_bnn(rng: np.random.Generator) -> dict:
    module, in_dim, _, facts = random_bnn(rng)
    x = input_vectors(rng, in_dim)
    src: object = module
    with tempfile.TemporaryDirectory(prefix="gatecomp-fuzz-") as tmp:
        if rng.random() < 0.4:
            from gatecomp.frontends.bnn.formats import save_bnn

            src = save_bnn(Path(tmp) / "b.pt", module, encoding=None)
            facts["source"] = "gatecomp.bnn checkpoint"
        check_frontend(src, x, rng, facts, bnn_forward(module, x))
    return facts


# -- QNN -------------------------------------------------------------------------------------


def random_qnn(rng: np.random.Generator) -> tuple[list, int, int, dict]:
    """Integer layers: odd widths, 1..3-bit codes, 1..5 thresholds drawn at, inside and beyond
    the reachable accumulator range (constant levels, repeated thresholds, ties), sparse rows,
    zero rows, identical score rows."""
    from gatecomp.nn import IntLinear, IntScores, code_bits

    in_dim = int(rng.choice([1, 2, 3, 4, 5, 6, 9, 13, 24]))
    in_bits = int(rng.choice([1, 1, 2, 2, 3]))
    k = int(rng.choice([1, 2, 3, 4, 7]))
    widths = [int(rng.choice([1, 1, 2, 3, 5, 7, 12, 19])) for _ in range(rng.integers(0, 4))]
    wmax = int(rng.choice([1, 2, 3, 7]))
    layers: list = []
    d, bits, cmax = in_dim, in_bits, (1 << in_bits) - 1
    for out in widths:
        lv = int(rng.choice([1, 1, 2, 3, 4, 5, 7]))
        w = rng.integers(-wmax, wmax + 1, (out, d))
        if rng.random() < 0.4:  # sparse fan-in
            fan = int(rng.integers(1, d + 1))
            mask = np.zeros((out, d), dtype=bool)
            for j in range(out):
                mask[j, rng.choice(d, fan, replace=False)] = True
            w = np.where(mask, w, 0)
        if rng.random() < 0.15:
            w[rng.integers(out)] = 0  # a zero row: a constant neuron
        bias = rng.integers(-4, 5, out) * (1 if rng.random() < 0.8 else 25)
        lo = bias + cmax * np.minimum(w, 0).sum(axis=1)
        hi = bias + cmax * np.maximum(w, 0).sum(axis=1)
        mode = rng.integers(3)
        if mode == 0:  # the extremes: lo (always passed), hi (only the max), hi+1 (never)
            pick = rng.integers(0, 5, (out, lv))
            cand = np.stack([lo - 3, lo, lo + 1, hi, hi + 1], axis=1)
            thr = np.take_along_axis(cand, pick, axis=1)
        else:
            thr = rng.integers(lo - 2, hi + 3, (lv, out)).T
        thr = np.sort(thr, axis=1)
        layers.append(IntLinear(w, bias, thr, in_bits=bits))
        d, bits, cmax = out, code_bits(lv), lv
    w = rng.integers(-wmax, wmax + 1, (k, d))
    b = rng.integers(-5, 6, k)
    if k > 1 and rng.random() < 0.3:  # identical class rows: every sample a tie
        w[-1], b[-1] = w[0], b[0]
    if rng.random() < 0.1:
        w[:] = 0  # constant scores
    layers.append(IntScores(w, b, in_bits=bits))
    info = {"in_dim": in_dim, "in_bits": in_bits, "widths": widths, "k": k}
    return layers, in_dim * in_bits, k, info


def qnn_forward(layers: list, x_bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(accumulators of the scores, first-index argmax) in numpy from the codes the bits spell
    (least significant bit first per input)."""
    b0 = layers[0].in_bits
    h = x_bits.astype(np.int64).reshape(len(x_bits), -1, b0) @ (1 << np.arange(b0))
    for m in layers:
        acc = h @ m.weight.numpy().T + m.bias.numpy()
        h = (acc[:, :, None] >= m.thresholds.numpy()[None]).sum(2) if hasattr(
            m, "thresholds") else acc
    return h, np.argmax(h, axis=1)


def case_qnn(rng: np.random.Generator) -> dict:
    from gatecomp.frontends.qnn import load_qnn, lower_qnn
    from gatecomp.frontends.qnn.lower import QNNLowerParams

    layers, width, k, facts = random_qnn(rng)
    x = input_vectors(rng, width)
    acc, pred = qnn_forward(layers, x)
    with tempfile.TemporaryDirectory(prefix="gatecomp-fuzz-") as tmp:
        src: object = layers
        if rng.random() < 0.4:
            from gatecomp.frontends.qnn.formats import save_qnn

            src = save_qnn(Path(tmp) / "q.pt", layers)
            facts["source"] = "gatecomp.qnn checkpoint"
        fe, model, net = check_frontend(src, x, rng, facts)
        off = net.meta["score_offset"]
        got = net.output_words(simulate(net.aig, x))
        for c in range(k):
            if not np.array_equal(got[f"score{c}"] + off, acc[:, c]):
                raise AssertionError(f"score{c} + offset differs from the numpy accumulator")
        if not np.array_equal(got["pred"], pred):
            raise AssertionError("pred differs from the numpy first-index argmax")
        # the other lowering routes give the same circuit function
        route = str(rng.choice(["arith", "table"]))
        facts["route"] = route
        net2 = lower_qnn(load_qnn(layers), QNNLowerParams(route=route))
        check_aig(net2.aig)
        got2 = net2.output_words(simulate(net2.aig, x))
        assert_words_equal(got2, got, f"route={route} vs default lowering")
    return facts


# -- torchlogix ------------------------------------------------------------------------------


def random_torchlogix(rng: np.random.Generator) -> tuple[nn.Module, np.ndarray, dict]:
    """A random torchlogix 0.2.2 model: dense stacks of random rank / parametrization /
    connections and GroupSum(k, tau, beta), or one of the test zoo's layer kinds re-seeded."""
    from tests import torchlogix_models as tm

    seed = _torch_seed(rng)
    if rng.random() < 0.3:
        names = [n for n in tm.CASES if n != "zoo_ClgnMnistTiny"]
        name = str(rng.choice(names))
        model, features = tm.build(name, seed)
        x = features(rng, 256)
        return model, x, {"zoo_case": name}
    torch.manual_seed(seed)
    param = str(rng.choice(["raw", "light", "warp"]))
    ranks = {"raw": [2], "light": [2, 4, 6], "warp": [1, 2, 4, 6]}[param]
    rank = int(rng.choice(ranks))
    k = int(rng.choice([1, 2, 3, 5]))
    in_dim = int(rng.choice([3, 5, 8, 12, 20]))
    # torchlogix asks in >= rank and out * rank >= in (every input read) of each layer
    in_dim = max(in_dim, rank)
    widths = [in_dim]
    for _ in range(rng.integers(0, 3)):
        widths.append(max(int(rng.choice([1, 3, 7, 16, 30])), -(-widths[-1] // rank), rank))
    group = max(int(rng.choice([1, 2, 5, 9])), -(-widths[-1] // (rank * k)))
    widths.append(k * group)
    conn = str(rng.choice(["fixed", "fixed", "learnable"]))
    # ... and num_candidates * rank <= in for learnable wiring
    most = min(widths[:-1]) // rank
    if conn == "learnable" and most < 1:
        conn = "fixed"
    kw: dict = {"lut_rank": rank, "parametrization": param, "connections": conn}
    if conn == "learnable":
        kw["connections_kwargs"] = {"num_candidates": int(rng.integers(1, min(most, 4) + 1))}
    tau = float(rng.choice([1.0, 2.0, 0.75, 7.3]))
    beta = float(rng.choice([0.0, 0.0, -2.0, 3.5]))
    model = tm._dense(*widths, k=k, tau=tau, beta=beta, **kw)
    model = tm.randomize(model, seed + 1, scale=float(rng.choice([1.0, 0.1, 3.0])))
    x = tm.bits_of((in_dim,))(rng, 256)
    return model, x, {"widths": widths, "param": param, "rank": rank, "conn": conn, "k": k}


def case_torchlogix(rng: np.random.Generator) -> dict:
    from tests import torchlogix_models as tm

    model, x, facts = random_torchlogix(rng)
    counts, pred = tm.torchlogix_classes(model, x)
    bits = tm.circuit_bits(model, x)
    indep = {f"count{c}": counts[:, c] for c in range(counts.shape[1])}
    indep["pred"] = pred
    src: object = model
    with tempfile.TemporaryDirectory(prefix="gatecomp-fuzz-") as tmp:
        if rng.random() < 0.4:
            src = Path(tmp) / "t.pt"
            torch.save(model, src)
            facts["source"] = "torch.save whole module"
        check_frontend(src, bits, rng, facts, indep)
    return facts


# -- random AIGs + random scripts ------------------------------------------------------------


def random_aig(rng: np.random.Generator):
    """A random AIG with redundancy; sometimes degenerate (no gates, constant or input
    outputs, repeated outputs, no inputs used)."""
    ni = int(rng.choice([0, 1, 2, 3, 5, 8, 12, 16, 24, 40]))
    ng = int(rng.choice([0, 1, 5, 30, 120, 400, 1500]))
    no = int(rng.choice([0, 1, 2, 8, 20]))
    b = AIGBuilder(ni)
    pool = [0, 1, *b.inputs().tolist()]
    structured = rng.random() < 0.3
    for _ in range(ng):
        if structured and len(pool) > 4:  # local, deep structure (adders, chains)
            lo = max(0, len(pool) - 6)
            x, y = rng.integers(lo, len(pool), 2)
        else:
            x, y = rng.choice(len(pool), size=2)
        lx, ly = pool[x] ^ int(rng.integers(2)), pool[y] ^ int(rng.integers(2))
        kind = rng.integers(4)
        if kind == 0:
            g = b.add_and(lx, ly)
        elif kind == 1:
            g = b.add_or(lx, ly)
        elif kind == 2:
            g = b.add_xor(lx, ly)
        else:
            z = pool[int(rng.integers(len(pool)))]
            g = b.add_or(b.add_and(z, lx), b.add_and(z ^ 1, ly))  # a mux
        pool.append(g)
    outs = [pool[int(rng.integers(max(0, len(pool) - 2 * no - 1), len(pool)))]
            ^ int(rng.integers(2)) for _ in range(no)]
    if outs and rng.random() < 0.2:
        outs[0] = int(rng.choice([0, 1]))
    if len(outs) > 1 and rng.random() < 0.2:
        outs[-1] = outs[0]
    return b.build(outs)


def case_aig(rng: np.random.Generator) -> dict:
    from gatecomp.toolchain import find_abc
    from gatecomp.verify.abc_cec import abc_cec

    aig = random_aig(rng)
    check_aig(aig)
    facts: dict = {"inputs": aig.num_inputs, "outputs": aig.num_outputs}
    out = optimize_and_prove(aig, rng, facts)
    # AIGER round trip keeps the graph
    back = read_aiger(write_aiger(out))
    words = (exhaustive_inputs(out.num_inputs) if out.num_inputs <= 14
             else random_inputs(out.num_inputs, 8, seed=1))
    if not np.array_equal(simulate_words(back, words), simulate_words(out, words)):
        raise AssertionError("AIGER write/read changed the function")
    if find_abc() is not None and rng.random() < 0.2 and aig.num_outputs and aig.num_inputs:
        res = abc_cec(aig, out, timeout=60)
        facts["abc_cec"] = res.equivalent
        if res.checked and not res.equivalent:
            raise AssertionError(f"ABC cec: {res.message} (script {facts['script']!r})")
    return facts


def mutate_aig(rng: np.random.Generator, aig):
    """``aig`` with one small change: a fanin or an output complemented, or an output moved
    to another literal. The result may or may not compute the same function."""
    from gatecomp.aig import AIG

    f0, f1, outs = aig.fanin0.copy(), aig.fanin1.copy(), aig.outputs.copy()
    what = int(rng.integers(3)) if len(f0) else 2
    if what == 0:
        f0[rng.integers(len(f0))] ^= 1
    elif what == 1:
        f1[rng.integers(len(f1))] ^= 1
    elif len(outs):
        j = int(rng.integers(len(outs)))
        outs[j] = (outs[j] ^ 1) if rng.random() < 0.5 else int(rng.integers(2 * aig.num_nodes))
    return AIG(aig.num_inputs, f0, f1, outs, aig.input_names), ("fanin0", "fanin1", "output")[what]


def case_prove(rng: np.random.Generator) -> dict:
    """Our checker on a random AIG against a one-change mutant: ``proved`` exactly when the
    exhaustive simulation says equal, a counterexample that really differs otherwise; ABC
    ``cec`` agrees on a sample."""
    from gatecomp.toolchain import find_abc
    from gatecomp.verify.abc_cec import abc_cec

    aig = random_aig(rng)
    while aig.num_inputs > 14:
        aig = random_aig(rng)
    other, change = mutate_aig(rng, aig)
    if rng.random() < 0.5:  # compare the optimized original with the mutant
        from gatecomp.passes.script import run_script

        aig, _ = run_script(aig, random_script(rng, 3))
    check_aig(other, canonical=False)
    words = exhaustive_inputs(aig.num_inputs)
    same = bool(np.array_equal(simulate_words(aig, words), simulate_words(other, words)))
    res = prove_equivalent(aig, other)
    facts = {"inputs": aig.num_inputs, "ands": (aig.num_ands, other.num_ands), "change": change,
             "same": same, "verdict": res.equivalent}
    if res.equivalent is None:
        facts["undecided"] = True
    elif res.equivalent != same:
        raise AssertionError(f"prove_equivalent says {res.equivalent}, exhaustive simulation "
                             f"says {'equal' if same else 'different'} ({res.message})")
    if res.equivalent is False:
        cex = np.asarray(res.counterexample, dtype=bool)[None, :]
        a, b = simulate(aig, cex), simulate(other, cex)
        j = res.failing_output
        if j is None or a[0, j] == b[0, j]:
            raise AssertionError(f"counterexample does not separate output {j}")
    if find_abc() is not None and rng.random() < 0.2 and aig.num_outputs and aig.num_inputs:
        cec = abc_cec(aig, other, timeout=60)
        facts["abc_cec"] = cec.equivalent
        if cec.checked and cec.equivalent != same:
            raise AssertionError(f"ABC cec says {cec.equivalent}, simulation says {same}")
    return facts


# -- the whole compile -----------------------------------------------------------------------


def case_compile(rng: np.random.Generator, rtl: bool = False) -> dict:
    """A random DLGN/BNN/QNN checkpoint through ``compile_model`` (random script, pipeline);
    compile's own checks must pass; with ``rtl`` the RTL is simulated against the reference."""
    from gatecomp.flow import CompileOptions, compile_model

    family = str(rng.choice(["dlgn", "bnn", "qnn"]))
    facts: dict = {"family": family}
    with tempfile.TemporaryDirectory(prefix="gatecomp-fuzz-") as tmp:
        path = Path(tmp) / "m.pt"
        if family == "dlgn":
            from gatecomp.frontends.dlgn.formats import save_dlgn

            module, *_, info = random_dlgn(rng)
            save_dlgn(path, module)
        elif family == "bnn":
            from gatecomp.frontends.bnn.formats import save_bnn

            module, *_, info = random_bnn(rng)
            save_bnn(path, module, encoding=None)
        else:
            from gatecomp.frontends.qnn.formats import save_qnn

            layers, *_, info = random_qnn(rng)
            save_qnn(path, layers)
        facts.update(info)
        script = random_script(rng, 4)
        stages = rng.choice([0, 0, 1, 2, 3])
        opts = CompileOptions(script=script, force=True,
                              pipeline_stages=int(stages) if stages else None,
                              max_vectors=int(rng.choice([64, 200])))
        if not stages and rng.random() < 0.2:
            opts = dataclasses.replace(opts, luts_per_stage=int(rng.integers(1, 4)))
        facts.update(script=script, pipeline_stages=opts.pipeline_stages,
                     luts_per_stage=opts.luts_per_stage)
        try:
            result = compile_model(path, Path(tmp) / "out", opts)
        except GatecompError as exc:  # InternalError (a failed check) is not one: it propagates
            raise Refused(str(exc).splitlines()[0]) from exc
        checks = result.report.get("checks", {})
        facts["checks"] = {k: v for k, v in checks.items() if isinstance(v, int | bool)}
        for key, value in checks.items():
            if "mismatch" in key and isinstance(value, int) and value:
                raise AssertionError(f"compile report: {key} = {value}")
        if rtl:
            from gatecomp.verify.rtl_sim import run_rtl_verify

            res = run_rtl_verify(Path(tmp) / "out", vectors=64)
            facts["rtl"] = res.passed
            if not res.passed:
                raise AssertionError(f"RTL simulation failed: {res.summary()}")
    return facts


KINDS: dict[str, Callable[..., dict]] = {
    "dlgn": case_dlgn,
    "bnn": case_bnn,
    "qnn": case_qnn,
    "torchlogix": case_torchlogix,
    "aig": case_aig,
    "prove": case_prove,
    "compile": case_compile,
}

#: how often each kind comes up in a run (compile is the slowest: fewer of them)
WEIGHTS = {"dlgn": 3, "bnn": 3, "qnn": 3, "torchlogix": 2, "aig": 4, "prove": 2, "compile": 1}
CYCLE = [k for k, w in WEIGHTS.items() for _ in range(w)]


def case_of(run_seed: int, i: int) -> tuple[str, int]:
    """The ``i``-th case of a run: its kind (a fixed cycle) and its own seed."""
    return CYCLE[i % len(CYCLE)], run_seed * 1_000_000 + i


def run_case(kind: str, seed: int, rtl: bool = False) -> dict:
    rng = np.random.default_rng(seed)
    if kind == "compile":
        return case_compile(rng, rtl=rtl)
    return KINDS[kind](rng)
