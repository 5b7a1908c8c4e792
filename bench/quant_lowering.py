"""Binary / quantized lowering: gatecomp's against the naive lowering other exporters do.

Issue 5's benchmark. For each network both lowerings go through the same optimization script
and the same LUT mapper (``gatecomp.mapping.lutmap``, k = 4 and 6), in this run:

* ``gatecomp``: the frontend's own lowering (BNN: compressor-tree popcounts + constant
  comparators; QNN: per neuron the smaller of a signed-digit weighted compressor tree and a
  don't-care-aware truth-table synthesis);
* ``naive``: what LogicNets-style and HLS exporters write: every sparse neuron (at most
  ``--rom-bits`` input bits) as a ROM — a full multiplexer tree over its truth table, one per
  output bit — and every other sum (dense neurons, popcounts, class scores) as a balanced tree
  of ripple-carry adders of ``|w| * bit`` terms. Comparators, the thermometer-to-binary step
  and the argmax are gatecomp's own in both, so the difference is the lowering of the sums.

Both nets are simulated on the model's test vectors and compared with the integer PyTorch
reference, port by port, before anything is measured (a wrong naive net must not lose).

    .venv/bin/python bench/quant_lowering.py                 # the four bundled BNN/QNN models
    .venv/bin/python bench/quant_lowering.py gatecomp/examples/digits_qnn.pt --script resyn
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gatecomp.aig import CONST0, CONST1, AIGBuilder, LogicNet, bit_names, simulate  # noqa: E402
from gatecomp.frontends.registry import load_model  # noqa: E402
from gatecomp.mapping.lutmap import LutMapParams, lutmap  # noqa: E402
from gatecomp.passes.script import run_script  # noqa: E402
from gatecomp.synth import arith  # noqa: E402

EXAMPLES = ROOT / "gatecomp" / "examples"
MODELS = ("digits_bnn.pt", "digits_brevitas_bnn.onnx", "digits_qnn.pt",
          "digits_brevitas_q2.onnx")


# -- naive arithmetic: ripple-carry adder trees ----------------------------------------------
def ripple_add(b: AIGBuilder, x: list[int], y: list[int]) -> list[int]:
    """``x + y`` (LSB first), one bit wider than the wider operand."""
    n = max(len(x), len(y))
    x = x + [CONST0] * (n - len(x))
    y = y + [CONST0] * (n - len(y))
    out, carry = [], CONST0
    for i in range(n):
        if carry == CONST0:
            s, carry = arith.half_adder(b, np.array([x[i]]), np.array([y[i]]))
        else:
            s, carry = arith.full_adder(b, np.array([x[i]]), np.array([y[i]]), np.array([carry]))
        out.append(int(s[0]))
        carry = int(carry[0])
    return out + [carry]


def adder_tree(b: AIGBuilder, terms: list[list[int]], width: int) -> list[int]:
    """Sum of bit-vector terms by a balanced tree of ripple adders, ``width`` bits kept."""
    if not terms:
        return [CONST0] * width
    while len(terms) > 1:
        nxt = [ripple_add(b, terms[i], terms[i + 1])[:width]
               for i in range(0, len(terms) - 1, 2)]
        terms = nxt + ([terms[-1]] if len(terms) % 2 else [])
    return (terms[0] + [CONST0] * width)[:width]


def weighted_terms(lits: list[int], coeffs: list[int]) -> list[list[int]]:
    """Terms ``coeff * lit`` (coeff > 0) as bit vectors: the literal at the coeff's set bits."""
    return [[lit if (c >> k) & 1 else CONST0 for k in range(c.bit_length())]
            for lit, c in zip(lits, coeffs, strict=True)]


def const_vector(value: int, width: int) -> list[int]:
    """Two's complement constant (mod ``2**width``) as literals."""
    return [CONST1 if (value >> k) & 1 else CONST0 for k in range(width)]


def affine_terms(x: np.ndarray, weight: np.ndarray, bias: int, in_bits: int
                 ) -> tuple[list[list[int]], int, int]:
    """``W c + b`` of one row as non-negative terms plus a constant: (terms, K, max S)."""
    lits, coeffs, k = [], [], int(bias)
    for i in np.flatnonzero(weight).tolist():
        w = int(weight[i])
        for j in range(in_bits):
            lit = int(x[i * in_bits + j])
            lits.append(lit if w > 0 else lit ^ 1)  # w x = |w| ~x - |w| for w < 0
            coeffs.append(abs(w) << j)
            if w < 0:
                k -= abs(w) << j
    return weighted_terms(lits, coeffs), k, sum(coeffs)


# -- naive ROMs -------------------------------------------------------------------------------
def mux_tree_rom(b: AIGBuilder, sel: list[int], table: np.ndarray) -> int:
    """A ROM over ``sel`` (LSB first) holding the 0/1 ``table`` (length ``2**len(sel)``)."""
    level = np.where(np.asarray(table, dtype=bool), CONST1, CONST0).astype(np.int64)
    for s in sel:
        lo, hi = level[0::2], level[1::2]
        level = b.add_mux_vec(np.full(len(lo), s, dtype=np.int64), hi, lo)
    return int(level[0])


def rom_neuron(b: AIGBuilder, x: np.ndarray, layer, row: int) -> np.ndarray:
    """One hidden integer neuron as a ROM per output bit over its input bits."""
    w = layer.weight[row].numpy()
    idx = np.flatnonzero(w)
    k = layer.in_bits
    sel = [int(x[i * k + j]) for i in idx.tolist() for j in range(k)]
    combos = np.arange(1 << len(sel), dtype=np.int64)
    codes = np.stack([(combos >> (n * k)) & ((1 << k) - 1) for n in range(len(idx))], axis=1) \
        if len(idx) else np.zeros((1, 0), np.int64)
    acc = codes @ w[idx] + int(layer.bias[row])
    q = (acc[:, None] >= layer.thresholds[row].numpy()[None, :]).sum(axis=1)
    return np.array([mux_tree_rom(b, sel, (q >> bit) & 1) for bit in range(layer.out_bits)])


# -- naive lowering of a whole network ---------------------------------------------------------
def naive_qnn(model, rom_bits: int) -> LogicNet:
    """The naive lowering of a QNN model (ports as :func:`gatecomp.frontends.qnn.lower_qnn`)."""
    from gatecomp.frontends.qnn import lower_qnn

    ours = lower_qnn(model)
    b = AIGBuilder(model.input_width, bit_names(ours.inputs))
    x = b.inputs()
    for layer in model.hidden:
        out = []
        for row in range(layer.out_dim):
            if int((layer.weight[row] != 0).sum()) * layer.in_bits <= rom_bits:
                out.append(rom_neuron(b, x, layer, row))
                continue
            terms, k, smax = affine_terms(x, layer.weight[row].numpy(),
                                          int(layer.bias[row]), layer.in_bits)
            s = adder_tree(b, terms, max(1, smax.bit_length()))
            t = layer.thresholds[row].numpy().astype(np.int64) - k  # acc >= T <=> S >= T - K
            therm = arith.ge_const(b, np.tile(np.array(s, dtype=np.int64), (len(t), 1)), t)
            out.append(arith.thermometer_to_binary(b, therm[None, :])[0][:layer.out_bits])
        x = np.concatenate(out)
    sc, lo, width = model.scores, model.score_offset, model.score_width
    scores = []
    for row in range(sc.out_dim):
        terms, k, smax = affine_terms(x, sc.weight[row].numpy(), int(sc.bias[row]), sc.in_bits)
        wide = max(width, (smax + abs(k - lo)).bit_length()) + 1
        scores.append(np.array(adder_tree(b, [*terms, const_vector(k - lo, wide)],
                                          wide)[:width]))
    pred = arith.argmax_first(b, scores)
    aig = b.build(np.concatenate([*scores, pred]), bit_names(ours.outputs))
    return LogicNet(aig, ours.inputs, ours.outputs, {"frontend": "naive"})


def naive_bnn(model) -> LogicNet:
    """Naive BNN: XNOR literals summed by ripple adder trees, the same comparators."""
    from gatecomp.frontends.bnn import lower_bnn

    ours = lower_bnn(model)
    b = AIGBuilder(model.input_width, bit_names(ours.inputs))
    x = b.inputs()

    def popcounts(x: np.ndarray, wbits: np.ndarray) -> list[np.ndarray]:
        width = max(1, wbits.shape[1].bit_length())
        return [np.array(adder_tree(b, [[int(v)] for v in (x ^ (1 - w)).tolist()], width))
                for w in wbits]

    for layer in model.hidden:
        counts = popcounts(x, layer.weight_bits.numpy().astype(np.int64))
        t = layer.threshold.numpy().astype(np.int64)
        le = layer.direction.numpy() < 0
        x = np.array([int(arith.ge_const(b, c, int(tt + 1 if l_ else tt))) ^ int(l_)
                      for c, tt, l_ in zip(counts, t, le, strict=True)])
    counts = popcounts(x, model.scores.weight_bits.numpy().astype(np.int64))
    pred = arith.argmax_first(b, counts)
    aig = b.build(np.concatenate([*counts, pred]), bit_names(ours.outputs))
    return LogicNet(aig, ours.inputs, ours.outputs, {"frontend": "naive"})


# -- measuring ---------------------------------------------------------------------------------
def check(net: LogicNet, bits: np.ndarray, expected: dict[str, np.ndarray], label: str) -> None:
    got = net.output_words(simulate(net.aig, bits))
    for port, want in expected.items():
        if not np.array_equal(got[port], want):
            raise SystemExit(f"{label}: port {port} differs from the reference")


def measure(net: LogicNet, script: str) -> dict:
    start = time.perf_counter()
    aig, _ = run_script(net.aig, script)
    row = {"ands_raw": net.aig.num_ands, "ands": aig.num_ands}
    for k in (4, 6):
        luts, _ = lutmap(aig, LutMapParams(k=k))
        row[f"lut{k}"], row[f"depth{k}"] = luts.num_luts, luts.depth()
    row["seconds"] = time.perf_counter() - start
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="*", type=Path,
                    help=f"model files (default: the bundled {', '.join(MODELS)})")
    ap.add_argument("--script", default="default", help="optimization script for both")
    ap.add_argument("--rom-bits", type=int, default=14,
                    help="naive: neurons with at most this many input bits become ROMs")
    args = ap.parse_args()
    paths = args.models or [EXAMPLES / m for m in MODELS]
    header = (f"{'model':28} {'flow':9} {'ANDs':>8} {'opt ANDs':>8} {'LUT4':>6} {'d4':>3} "
              f"{'LUT6':>6} {'d6':>3}")
    print(header)
    ratios: dict[int, list[float]] = {4: [], 6: []}
    for path in paths:
        fe, model = load_model(path)
        bits, _ = fe.dataset_vectors(model, "test")
        expected = fe.reference(model, bits)
        ours = fe.lower(model)
        naive = naive_bnn(model) if fe.name == "bnn" else naive_qnn(model, args.rom_bits)
        rows = {}
        for label, net in (("gatecomp", ours), ("naive", naive)):
            check(net, bits, expected, f"{path.name} {label}")
            rows[label] = r = measure(net, args.script)
            print(f"{path.name:28} {label:9} {r['ands_raw']:8} {r['ands']:8} {r['lut4']:6} "
                  f"{r['depth4']:3} {r['lut6']:6} {r['depth6']:3}", flush=True)
        for k in (4, 6):
            ratios[k].append(rows["gatecomp"][f"lut{k}"] / rows["naive"][f"lut{k}"])
        print(f"{'':28} {'ratio':9} {'':8} "
              f"{rows['gatecomp']['ands'] / rows['naive']['ands']:8.3f} "
              f"{ratios[4][-1]:6.3f} {'':3} {ratios[6][-1]:6.3f}   "
              f"({len(bits)} test vectors: both equal the reference)")
    for k in (4, 6):
        g = math.exp(np.mean(np.log(ratios[k])))
        print(f"geomean LUT{k} gatecomp/naive: {g:.3f} ({(1 - g) * 100:.1f}% fewer LUTs; "
              f"goal >= 20%)")


if __name__ == "__main__":
    main()
