"""Train a binary network with Brevitas on the 8x8 digits, fold it, save a ``gatecomp.bnn`` file.

Needs ``brevitas``. The model is the usual Brevitas BNN: binary ``QuantIdentity`` on the input,
then ``QuantLinear`` (binary weights, per-tensor constant scale) + ``BatchNorm1d`` + binary
``QuantIdentity`` per hidden layer, and a binary ``QuantLinear`` for the class scores. It is fed
the thermometer bits as ``2 * bit - 1``. After training, :func:`gatecomp.frontends.bnn.load_bnn`
folds scales and batch norms into integer thresholds and checks the folded model against the
float Brevitas forward on the test split (ties reported); the integer model is saved::

    python examples/train_brevitas_bnn_digits.py -o brevitas_bnn.pt
    gatecomp compile brevitas_bnn.pt -o build/brevitas_bnn && gatecomp verify build/brevitas_bnn

The checkpoint also keeps the Brevitas ``state_dict`` (key ``"brevitas"``) for reference.
``--qonnx FILE`` also exports the trained model as QONNX (``brevitas.export.export_qonnx``)
with the ``gatecomp.*`` metadata (input map ``bipolar``, the thermometer encoding, the dataset
split, the metrics) and checks that the QONNX reader folds it to the same predictions::

    python examples/train_brevitas_bnn_digits.py -o '' \
        --qonnx gatecomp/examples/digits_brevitas_bnn.onnx
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

from gatecomp.frontends.bnn import load_bnn, reference_outputs
from gatecomp.frontends.bnn.formats import save_bnn
from gatecomp.nn import DIGITS_SPLIT, digits_encoding, load_split, training


def build_brevitas_bnn(input_width: int, widths: Sequence[int], num_classes: int
                       ) -> nn.Sequential:
    import brevitas.nn as qnn
    from brevitas.quant.binary import (
        SignedBinaryActPerTensorConst,
        SignedBinaryWeightPerTensorConst,
    )

    mods: list[nn.Module] = [qnn.QuantIdentity(act_quant=SignedBinaryActPerTensorConst)]
    d = input_width
    for w in widths:
        mods += [qnn.QuantLinear(d, w, bias=False, weight_quant=SignedBinaryWeightPerTensorConst),
                 nn.BatchNorm1d(w),
                 qnn.QuantIdentity(act_quant=SignedBinaryActPerTensorConst)]
        d = w
    mods.append(qnn.QuantLinear(d, num_classes, bias=False,
                                weight_quant=SignedBinaryWeightPerTensorConst))
    return nn.Sequential(*mods)


def train(output: str | Path | None, widths: Sequence[int] = (64,), epochs: int = 40,
          batch_size: int = 64, lr: float = 0.01, seed: int = 0, threads: int = 2,
          qonnx: str | Path | None = None) -> dict:
    warnings.filterwarnings("ignore", module="brevitas")
    training.seed_torch(seed, threads)
    enc = digits_encoding()
    split = load_split(DIGITS_SPLIT)
    x_tr, y_tr, x_te, y_te = training.split_tensors(split, lambda x: 2.0 * enc.encode(x) - 1.0)
    model = build_brevitas_bnn(enc.width, widths, 10)

    def report(s: training.EpochStats) -> None:
        print(f"epoch {s.epoch:3d}  loss {s.last_loss:.4f}  "
              f"float test {training.accuracy(model, x_te, y_te, float32_mean=True):.4f}")

    start = time.perf_counter()
    training.fit(model, x_tr, y_tr, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                 report=report)
    model.eval()
    float_acc = training.accuracy(model, x_te, y_te, float32_mean=True)
    folded = load_bnn(model, encoding=enc, dataset=DIGITS_SPLIT)
    ref = reference_outputs(folded, enc.encode(split["x_test"]))
    metrics = {"test_accuracy": float(np.mean(ref["pred"] == split["y_test"])),
               "brevitas_float_test_accuracy": float_acc,
               "float_prediction_agreement": folded.folding["prediction_agreement"],
               "tie_samples": folded.folding["tie_samples"],
               "layer_sizes": [enc.width, *widths, 10], "epochs": epochs,
               "train_seconds": round(time.perf_counter() - start, 1)}
    print(json.dumps(metrics))
    if qonnx is not None:
        save_bnn_qonnx(qonnx, model, enc, metrics, folded.module, split["x_test"])
    if output:
        sd = {k: v.detach().clone() for k, v in model.state_dict().items()
              if isinstance(v, torch.Tensor)}
        save_bnn(output, folded.module, encoding=enc, dataset=DIGITS_SPLIT, metrics=metrics,
                 folding=folded.folding, brevitas={"widths": list(widths), "state_dict": sd})
        print(f"saved {output}")
    return metrics


def save_bnn_qonnx(path: str | Path, model: nn.Module, enc, metrics: dict,
                   folded: nn.Module, x_test: np.ndarray) -> None:
    """Export ``model`` as QONNX with gatecomp metadata; check the QONNX fold predicts what the
    BNN frontend's fold predicts on the test split."""
    from gatecomp.frontends.qonnx.brevitas_export import save_qonnx
    from gatecomp.frontends.qonnx.reader import read_qonnx

    example = torch.zeros(1, enc.width)
    save_qonnx(path, model, example, input_map="bipolar", encoding=enc, dataset=DIGITS_SPLIT,
               metrics=metrics)
    imp = read_qonnx(path)
    with torch.no_grad():
        counts = folded(torch.from_numpy(enc.encode(x_test).astype(np.int64))).numpy()
    same = float(np.mean(imp.predict(x_test) == counts.argmax(1)))
    print(f"saved {path} ({Path(path).stat().st_size} bytes); QONNX fold: "
          f"{json.dumps({k: imp.folding[k] for k in ('prediction_agreement', 'tie_samples')})}, "
          f"same predictions as the BNN fold: {same:.4f}")


def main(argv: Sequence[str] | None = None) -> None:
    p = training.parser(__doc__, output="brevitas_bnn.pt", widths=(64,))
    training.add_options(p, epochs=40)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--qonnx", default=None, help="also export the model as QONNX to this file")
    a = p.parse_args(argv)
    train(a.output or None, training.parse_widths(a.widths), a.epochs, seed=a.seed,
          threads=a.threads, qonnx=a.qonnx)


if __name__ == "__main__":
    main()
