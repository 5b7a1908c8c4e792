"""Train a 2-bit sparse (LogicNets-style) MLP with Brevitas on the 8x8 digits; save it as QONNX.

Needs ``brevitas``. The model reads ``pixels / 16`` through a 2-bit unsigned ``QuantIdentity``,
then per hidden layer a ``QuantLinear`` with 2-bit weights whose rows keep a fixed random
fan-in (a mask applied after every step, so masked weights quantize to exactly 0), a
``BatchNorm1d`` and a 2-bit ``QuantReLU``; a 2-bit ``QuantLinear`` (per-tensor scale, no bias)
gives the class scores. The QONNX file carries the ``gatecomp.*`` metadata (input map
``prescale:0.0625``, the dataset split, the metrics); gatecomp folds it into integer layers
(:func:`gatecomp.frontends.qonnx.reader.read_qonnx`) and checks the fold on the test split::

    python examples/train_brevitas_qnn_digits.py -o gatecomp/examples/digits_brevitas_q2.onnx
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gatecomp.frontends.qonnx.brevitas_export import export_qonnx_model, qonnx_metadata
from gatecomp.frontends.qonnx.reader import META_METRICS, read_qonnx
from gatecomp.nn import DIGITS_SPLIT, load_split, training

PRESCALE = 1.0 / 16.0  # digits pixels are 0..16


def fan_in_mask(out_dim: int, in_dim: int, fan_in: int, gen: torch.Generator) -> torch.Tensor:
    """(out, in) 0/1 mask with exactly ``fan_in`` random inputs per row."""
    mask = torch.zeros(out_dim, in_dim)
    for j in range(out_dim):
        mask[j, torch.randperm(in_dim, generator=gen)[:fan_in]] = 1.0
    return mask


def build_sparse_qnn(in_dim: int, widths: Sequence[int], num_classes: int, fan_in: int,
                     bits: int = 2, seed: int = 0) -> tuple[nn.Sequential, list]:
    """The Brevitas model and its ``(QuantLinear, mask)`` pairs."""
    import brevitas.nn as qnn

    gen = torch.Generator().manual_seed(seed)
    mods: list[nn.Module] = [qnn.QuantIdentity(bit_width=bits, signed=False, max_val=1.0,
                                               return_quant_tensor=True)]
    masked = []
    d = in_dim
    for w in widths:
        lin = qnn.QuantLinear(d, w, bias=False, weight_bit_width=bits)
        mask = fan_in_mask(w, d, min(fan_in, d), gen)
        with torch.no_grad():
            lin.weight.mul_(mask)
        masked.append((lin, mask))
        mods += [lin, nn.BatchNorm1d(w),
                 qnn.QuantReLU(bit_width=bits, max_val=2.0, return_quant_tensor=True)]
        d = w
    mods.append(qnn.QuantLinear(d, num_classes, bias=False, weight_bit_width=bits))
    return nn.Sequential(*mods), masked


def train(output: str | Path | None, widths: Sequence[int] = (128, 64), fan_in: int = 7,
          epochs: int = 80, batch_size: int = 64, lr: float = 0.01, seed: int = 0,
          threads: int = 1) -> dict:
    warnings.filterwarnings("ignore")
    training.seed_torch(seed, threads)
    split = load_split(DIGITS_SPLIT)
    x_tr, y_tr, x_te, y_te = training.split_tensors(split, lambda x: x * PRESCALE)
    model, masked = build_sparse_qnn(x_tr.shape[1], widths, 10, fan_in, seed=seed)

    def apply_masks() -> None:
        for lin, mask in masked:
            lin.weight.mul_(mask)

    def report(s: training.EpochStats) -> None:
        print(f"epoch {s.epoch:3d}  loss {s.last_loss:.4f}  "
              f"float test {training.accuracy(model, x_te, y_te, float32_mean=True):.4f}")

    start = time.perf_counter()
    training.fit(model, x_tr, y_tr, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                 cosine=True, after_step=apply_masks, report=report)
    seconds = round(time.perf_counter() - start, 1)
    model.eval()
    float_acc = training.accuracy(model, x_te, y_te, float32_mean=True)
    meta = qonnx_metadata(input_map=f"prescale:{PRESCALE!r}", dataset=DIGITS_SPLIT)
    onnx_model = export_qonnx_model(model, x_te[:1], metadata=meta)
    imp = read_qonnx(onnx_model)  # folds, and checks the fold on the dataset's test split
    int_acc = float(np.mean(imp.predict(split["x_test"]) == split["y_test"]))
    metrics = {"test_accuracy": int_acc, "brevitas_float_test_accuracy": float_acc,
               "float_prediction_agreement": imp.folding["prediction_agreement"],
               "tie_samples": imp.folding["tie_samples"],
               "layer_sizes": imp.metrics["layer_sizes"], "fan_in": fan_in, "bits": 2,
               "epochs": epochs, "train_seconds": seconds}
    print(json.dumps(metrics))
    if output is not None:
        import onnx

        entry = onnx_model.metadata_props.add()
        entry.key, entry.value = META_METRICS, json.dumps(metrics)
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        onnx.save(onnx_model, str(output))
        print(f"saved {output} ({Path(output).stat().st_size} bytes)")
    return metrics


def main(argv: Sequence[str] | None = None) -> None:
    p = training.parser(__doc__, output="digits_brevitas_q2.onnx", widths=(128, 64))
    p.add_argument("--fan-in", type=int, default=7)
    training.add_options(p, epochs=80)
    p.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest here)")
    a = p.parse_args(argv)
    train(a.output or None, training.parse_widths(a.widths), a.fan_in, a.epochs, seed=a.seed,
          threads=a.threads)


if __name__ == "__main__":
    main()
