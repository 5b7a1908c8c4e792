"""Small random Brevitas k-bit MLPs and the qonnx executor as an independent oracle."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def random_brevitas_qnn(in_dim: int, widths: list[int], k: int, *, in_bits: int = 2,
                        in_signed: bool = True, act_bits: int = 2, act: str = "relu",
                        weight_bits: int = 2, per_channel: bool = False, bn: bool = True,
                        hidden_bias: bool = True, last_bias: str | None = None,
                        binary_act: bool = False, last_quant: int = 0, seed: int = 0,
                        calibrate: np.ndarray | None = None,
                        in_range: float | None = None) -> nn.Sequential:
    """``QuantIdentity`` + (``QuantLinear`` [+ ``BatchNorm1d``] + activation)* + ``QuantLinear``.

    The input quantizer is a signed ``QuantIdentity`` or, with ``in_signed=False``, a
    ``QuantReLU``. ``act``: ``"relu"`` (QuantReLU), ``"hardtanh"`` (signed QuantHardTanh) or
    ``"identity"`` (signed QuantIdentity); ``binary_act``: binary QuantIdentity everywhere.
    Brevitas' activation scales start at ``1 / max_int`` and are learnt from statistics:
    ``calibrate`` (graph inputs) runs those statistics (batch norms kept in eval mode);
    ``in_range`` then sets the input quantizer's range (its scale times ``max_int``).
    ``last_bias``: None (no bias), ``"float"`` or ``"int32"`` (Brevitas ``Int32Bias``);
    ``last_quant``: bits of a signed ``QuantIdentity`` on the scores (0: none). Batch norms get
    random statistics with negative and positive scales.
    """
    import brevitas.nn as qnn
    from brevitas.quant import Int8WeightPerChannelFloat, Int8WeightPerTensorFloat, Int32Bias

    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    wq = Int8WeightPerChannelFloat if per_channel else Int8WeightPerTensorFloat
    mods: list[nn.Module] = [_activation(in_bits, in_signed, "identity" if in_signed else "relu",
                                         binary_act)]
    d = in_dim
    for w in widths:
        mods.append(qnn.QuantLinear(d, w, bias=hidden_bias, weight_bit_width=weight_bits,
                                    weight_quant=wq))
        if bn:
            mods.append(_random_batch_norm(w, d, g))
        mods.append(_activation(act_bits, True, act, binary_act))
        d = w
    bias_quant = {None: {"bias": False}, "float": {"bias": True},
                  "int32": {"bias": True, "bias_quant": Int32Bias}}[last_bias]
    mods.append(qnn.QuantLinear(d, k, weight_bit_width=weight_bits,
                                weight_quant=Int8WeightPerTensorFloat, **bias_quant))
    if last_quant:
        mods.append(qnn.QuantIdentity(bit_width=last_quant))
    model = nn.Sequential(*mods)
    if calibrate is not None:
        _collect_statistics(model, calibrate)
    if in_range is not None:
        _set_input_range(mods[0], in_range)
    return model.eval()


def _activation(bits: int, signed: bool, kind: str, binary_act: bool) -> nn.Module:
    """The Brevitas activation quantizer of ``kind`` (binary everywhere with ``binary_act``)."""
    import brevitas.nn as qnn
    from brevitas.quant.binary import SignedBinaryActPerTensorConst

    if binary_act:
        return qnn.QuantIdentity(act_quant=SignedBinaryActPerTensorConst,
                                 return_quant_tensor=True)
    if kind == "relu":
        return qnn.QuantReLU(bit_width=bits, return_quant_tensor=True)
    if kind == "hardtanh":
        return qnn.QuantHardTanh(bit_width=bits, max_val=1.5, min_val=-1.5,
                                 return_quant_tensor=True)
    return qnn.QuantIdentity(bit_width=bits, signed=signed, return_quant_tensor=True)


def _random_batch_norm(w: int, d: int, g: torch.Generator) -> nn.BatchNorm1d:
    """A batch norm of ``w`` features after ``d`` inputs, random statistics of either sign."""
    b = nn.BatchNorm1d(w)
    with torch.no_grad():
        b.weight.copy_(torch.randn(w, generator=g))
        b.bias.copy_(torch.randn(w, generator=g) * 0.5)
        b.running_mean.copy_(torch.randn(w, generator=g) * 0.3)
        b.running_var.copy_(torch.rand(w, generator=g) * d * 0.05 + 0.05)
    return b


def _collect_statistics(model: nn.Sequential, calibrate: np.ndarray) -> None:
    """Run Brevitas' activation statistics on ``calibrate`` (batch norms kept in eval mode)."""
    model.train()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.eval()
    with torch.no_grad():
        for _ in range(31):  # past Brevitas' 30 statistics-collection steps
            model(torch.from_numpy(np.asarray(calibrate, np.float32)))


def _set_input_range(quant: nn.Module, in_range: float) -> None:
    """Set the input quantizer's range (its scale times ``max_int``) to ``in_range``."""
    scaling = quant.act_quant.fused_activation_quant_proxy.tensor_quant.scaling_impl
    with torch.no_grad():  # the statistics buffer serves until training copies it over
        scaling.value.fill_(in_range)
        if isinstance(getattr(scaling, "buffer", None), torch.Tensor):
            scaling.buffer.fill_(in_range)


def brevitas_forward(module: nn.Module, x: np.ndarray) -> np.ndarray:
    """(samples, classes) float64 outputs of the Brevitas model on graph inputs ``x``."""
    with torch.no_grad():
        out = module.eval()(torch.from_numpy(np.asarray(x, np.float32)))
    return getattr(out, "value", out).double().numpy()


def qonnx_execute(model, x: np.ndarray) -> np.ndarray:
    """Outputs of qonnx's own executor (``execute_onnx``, onnxruntime for standard ops)."""
    import onnx
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.transformation.change_batchsize import ChangeBatchSize
    from qonnx.transformation.infer_shapes import InferShapes
    from qonnx.util.cleanup import cleanup_model

    wrapped = cleanup_model(ModelWrapper(onnx.ModelProto.FromString(model.SerializeToString())))
    wrapped = wrapped.transform(ChangeBatchSize(len(x))).transform(InferShapes())
    name = wrapped.graph.input[0].name
    out = execute_onnx(wrapped, {name: np.asarray(x, np.float32)})
    return np.asarray(out[wrapped.graph.output[0].name], np.float64).reshape(len(x), -1)


def is_affine_image(ints: np.ndarray, floats: np.ndarray, rtol: float = 1e-5) -> bool:
    """Whether ``floats == A * ints + K`` for one scalar ``A > 0``, ``K`` (least squares fit)."""
    a = np.stack([ints.reshape(-1).astype(np.float64), np.ones(ints.size)], 1)
    (scale, offset), *_ = np.linalg.lstsq(a, floats.reshape(-1), rcond=None)
    resid = np.abs(a @ [scale, offset] - floats.reshape(-1)).max()
    return bool(scale > 0 and resid <= rtol * (np.abs(floats).max() + 1e-12))
