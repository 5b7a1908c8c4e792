"""Brevitas binary networks folded into the integer layers of :mod:`gatecomp.nn.binary`.

Reads an in-memory ``nn.Sequential`` (nested allowed) of Brevitas modules of this shape::

    [QuantIdentity(binary)]  (QuantLinear(binary w) [BatchNorm1d] QuantIdentity(binary))*
    QuantLinear(binary w) [BatchNorm1d]

``QuantHardTanh`` with a binary quantizer is accepted where ``QuantIdentity`` is; ``Flatten``,
``Identity`` and ``Dropout`` are skipped. What is read is all the eval forward depends on, and
anything else is refused by name: the layers must be exactly these classes (no subclasses, no
hooks anywhere in the tree), the quantizers must be Brevitas' binary ones (a 1-bit *integer*
quantizer computes {0, 1}, not a sign), a QuantLinear bias must not be quantized (the raw bias
is what is read) and batch norms must use their running statistics. Input convention: the
Brevitas model is fed the encoded input bits as ``2 * bit - 1`` (the same +-1 meaning our layers
give a bit).

Folding rule. A binary activation ``s_a * sign(.)`` (``sign(0) = +1``, as Brevitas'
``binary_sign``) and binary weights ``s_w * sign(w)`` give ``y_j = s_a s_w_j (2 p_j - n) + bias_j``
with ``p_j`` the XNOR-popcount; a batch norm adds ``z_j = A_j y_j + B_j``; the next binary
activation is ``z_j >= 0``. So each neuron is ``scale_j (2 p_j - n) + shift_j >= 0``, folded by
:func:`gatecomp.nn.fold_thresholds` in float64 into ``p_j >= T_j`` or ``p_j <= T_j``. The last
layer must have a per-tensor weight scale and no bias (or batch norm with equal positive scales
and equal shifts), so its argmax is the argmax of the popcounts.

The float Brevitas forward can disagree with the integer model where a pre-activation sits on
zero (a tie whose sign depends on float summation order): :func:`fold_brevitas` runs both on the
calibration vectors, reports the tie samples, and raises if they disagree anywhere else.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ...errors import GatecompError
from ...nn import PopcountScores, ThresholdLinear, fold_thresholds
from ..qonnx.own_forward import score_ties
from ..strict import COMMON_STATE, check_module, module_where, refuse_hooks

#: relative size of a float pre-activation (against its terms) still counted as a tie
TIE_TOLERANCE = 1e-5


def _flatten(module: nn.Module, name: str = "") -> list[tuple[str, nn.Module]]:
    if isinstance(module, nn.Sequential):
        return [m for key, child in module.named_children()
                for m in _flatten(child, f"{name}.{key}" if name else key)]
    return [(name or "<root>", module)]


def _binary_quant(tensor_quant: nn.Module, where: str, what: str) -> None:
    """Raise unless ``tensor_quant`` is one of Brevitas' sign quantizers."""
    from brevitas.core.quant import BinaryQuant, ClampedBinaryQuant

    if type(tensor_quant) not in (BinaryQuant, ClampedBinaryQuant):
        raise GatecompError(f"{where}: the {what} quantizer is {type(tensor_quant).__name__}, "
                            "not a binary sign quantizer (a 1-bit integer quantizer computes "
                            "{0, 1}); use brevitas.quant.binary.SignedBinary*PerTensorConst")


def check_brevitas_tree(module: nn.Module, label: str) -> None:
    """Raise on anything in a Brevitas BNN's tree that :func:`fold_brevitas` would not read:
    hooks on any (sub)module, subclasses of the supported layers, unsupported batch-norm or
    Flatten settings (see :mod:`.strict`)."""
    from brevitas.nn import QuantHardTanh, QuantIdentity, QuantLinear

    for name, m in module.named_modules():
        refuse_hooks(m, module_where(label, name, m))
    brevitas_layers = (QuantIdentity, QuantHardTanh, QuantLinear)
    for name, m in [("<root>", module), *_flatten(module)]:
        where = module_where(label, name, m)
        if type(m) in brevitas_layers:
            continue
        if isinstance(m, brevitas_layers):
            raise GatecompError(f"{where}: a subclass of {type(m).__mro__[1].__name__}, whose "
                                "forward may differ (supported: the Brevitas classes themselves)")
        if isinstance(m, (nn.Sequential, nn.Flatten, nn.Identity, nn.Dropout, nn.BatchNorm1d)):
            check_module(m, where, COMMON_STATE, "Sequential, Flatten, Identity, Dropout, "
                                                 "BatchNorm1d")


def _vec(t, n: int) -> np.ndarray:
    a = np.asarray(torch.as_tensor(t).detach().double().reshape(-1).numpy())
    return np.broadcast_to(a, (n,)).copy() if a.size in (1, n) else a


def _binary_act_scale(m: nn.Module, where: str) -> float:
    from brevitas.nn import QuantHardTanh, QuantIdentity

    if not isinstance(m, (QuantIdentity, QuantHardTanh)):
        raise GatecompError(f"{where}: expected a binary QuantIdentity/QuantHardTanh")
    aq = m.act_quant
    if not aq.is_quant_enabled or int(aq.bit_width()) != 1:
        raise GatecompError(f"{where}: activation is not binary (bit width "
                            f"{int(aq.bit_width()) if aq.is_quant_enabled else 'float'}); "
                            "k-bit activations are not supported by the BNN frontend")
    fused = aq.fused_activation_quant_proxy
    _binary_quant(fused.tensor_quant, where, "activation")
    if type(fused.activation_impl) is not nn.Identity:
        raise GatecompError(f"{where}: activation function {type(fused.activation_impl).__name__}"
                            " before the binary quantizer is not read (gatecomp folds sign(x) "
                            "only)")
    scale = _vec(aq.scale(), 1)
    if scale.size != 1 or not scale[0] > 0:
        raise GatecompError(f"{where}: binary activation needs one positive scale")
    return float(scale[0])


def _binary_linear(m: nn.Module, where: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(weight bits (out, in), weight scale (out,), bias (out,)) of a binary QuantLinear."""
    wq = m.weight_quant
    if not wq.is_quant_enabled or int(wq.bit_width()) != 1:
        raise GatecompError(f"{where}: weights are not binary (bit width "
                            f"{int(wq.bit_width()) if wq.is_quant_enabled else 'float'}); "
                            "k-bit weights are not supported by the BNN frontend")
    _binary_quant(wq.tensor_quant, where, "weight")
    if m.input_quant.is_quant_enabled or m.output_quant.is_quant_enabled:
        raise GatecompError(f"{where}: QuantLinear input/output quantizers are not supported; "
                            "use separate QuantIdentity layers")
    if m.bias is not None and m.bias_quant.is_quant_enabled:
        raise GatecompError(f"{where}: a quantized bias (bias_quant) is not read by the BNN "
                            "frontend; use bias=False or a float bias")
    with torch.no_grad():
        qw = m.quant_weight()
        value = qw.value.detach().double()
    out = value.shape[0]
    scale = _vec(qw.scale, out)
    if scale.size != out or not (scale > 0).all():
        raise GatecompError(f"{where}: binary weight scale must be positive per tensor or "
                            "per output channel")
    bits = (value > 0).to(torch.uint8).numpy()
    bias = np.zeros(out) if m.bias is None else _vec(m.bias, out)
    return bits, scale, bias


def _batch_norm(m: nn.BatchNorm1d, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(A, B) with ``bn(y) = A y + B`` in eval mode."""
    inv = 1.0 / np.sqrt(_vec(m.running_var, n) + m.eps)
    gamma = _vec(m.weight, n) if m.affine else np.ones(n)
    beta = _vec(m.bias, n) if m.affine else np.zeros(n)
    a = gamma * inv
    return a, beta - a * _vec(m.running_mean, n)


def _parse(module: nn.Module) -> tuple[list[nn.Module], list[dict]]:
    """The layers, and per QuantLinear ``{bits, scale, shift, act}`` (before folding)."""
    from brevitas.nn import QuantHardTanh, QuantIdentity, QuantLinear

    mods = [m for _, m in _flatten(module)
            if not isinstance(m, (nn.Flatten, nn.Identity, nn.Dropout))]
    act = (QuantIdentity, QuantHardTanh)
    pos = 0
    act_scale = 1.0
    if mods and isinstance(mods[0], act):
        act_scale = _binary_act_scale(mods[0], "module 0")
        pos = 1
    blocks: list[dict] = []
    while pos < len(mods):
        m, where = mods[pos], f"module {pos} ({type(mods[pos]).__name__})"
        if not isinstance(m, QuantLinear):
            raise GatecompError(f"{where}: unsupported here (expected QuantLinear; supported: "
                                "QuantIdentity/QuantHardTanh (binary), QuantLinear (binary "
                                "weights), BatchNorm1d, Flatten, Dropout)")
        bits, w_scale, bias = _binary_linear(m, where)
        n_out = bits.shape[0]
        scale = act_scale * w_scale
        shift = bias.copy()
        pos += 1
        if pos < len(mods) and isinstance(mods[pos], nn.BatchNorm1d):
            a, b = _batch_norm(mods[pos], n_out)
            scale, shift = a * scale, a * shift + b
            pos += 1
        block = {"bits": bits, "scale": scale, "shift": shift, "where": where}
        if pos < len(mods):
            block["act"] = pos
            act_scale = _binary_act_scale(mods[pos], f"module {pos} "
                                                     f"({type(mods[pos]).__name__})")
            pos += 1
        blocks.append(block)
    if not blocks or "act" in blocks[-1]:
        raise GatecompError("a Brevitas BNN must end with a QuantLinear (optionally + "
                            "BatchNorm1d) giving the class scores")
    return mods, blocks


def fold_brevitas(module: nn.Module, calibration: np.ndarray | None = None
                  ) -> tuple[nn.Sequential, dict]:
    """Fold a Brevitas BNN into ``ThresholdLinear`` ... ``PopcountScores`` (eval semantics).

    Returns the integer module and a report: the folding rule, and (with ``calibration``, 0/1
    input vectors) how many samples agree with the float Brevitas forward, the tie samples, and
    the float model's predictions' agreement. Raises :class:`GatecompError` for unsupported
    layers, a last layer that is not an integer-exact argmax, or a disagreement off a tie.
    """
    module.eval()
    check_brevitas_tree(module, f"<in-memory {type(module).__name__}>")
    mods, blocks = _parse(module)
    layers: list[nn.Module] = []
    for blk in blocks[:-1]:
        n = blk["bits"].shape[1]
        thr, direction = fold_thresholds(blk["scale"], blk["shift"], n)
        layers.append(ThresholdLinear(blk["bits"], thr, direction))
    last = blocks[-1]
    sc, sh = last["scale"], last["shift"]
    if not (np.allclose(sc, sc[0], rtol=1e-12, atol=0) and sc[0] > 0
            and np.allclose(sh, sh[0], rtol=0, atol=1e-12)):
        raise GatecompError(f"{last['where']}: the class scores have per-class scales or biases, "
                            "so their argmax is not an argmax of popcounts; use a per-tensor "
                            "weight scale and no bias in the last layer")
    layers.append(PopcountScores(last["bits"]))
    folded = nn.Sequential(*layers).eval()
    report: dict = {"rule": "bit = scale*(2p-n) + shift >= 0 folded to p >= T / p <= T "
                            "(float64); scores = popcounts (per-tensor positive scale)"}
    if calibration is not None:
        report.update(compare_with_float(module, mods, blocks, folded, calibration))
    return folded, report


def float_forward(module: nn.Module, mods: list[nn.Module], blocks: list[dict],
                  bits: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Brevitas' own eval forward on 0/1 ``bits`` (fed as ``2 * bit - 1``): the float64 class
    scores and, per hidden block, the float pre-activations its binary activation reads."""
    x = np.asarray(bits).astype(np.int64)
    pre: dict[int, torch.Tensor] = {}
    hooks = [mods[blk["act"]].register_forward_hook(
        lambda _m, inp, _out, i=i: pre.__setitem__(i, inp[0].detach()))
        for i, blk in enumerate(blocks[:-1])]
    try:
        with torch.no_grad():
            logits = module.eval()(torch.from_numpy(2.0 * x - 1.0).float())
    finally:
        for h in hooks:
            h.remove()
    logits = torch.as_tensor(getattr(logits, "value", logits)).double().numpy()
    return logits, [pre[i].double().numpy() for i in range(len(blocks) - 1)]


def _magnitude(blk: dict) -> np.ndarray:
    """Per neuron, the size of the terms of its float pre-activation (ties are relative to it)."""
    return np.abs(blk["scale"]) * blk["bits"].shape[1] + np.abs(blk["shift"]) + 1e-30


def brevitas_predictions(module: nn.Module, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(pred, tie)`` of the Brevitas forward on 0/1 ``bits``: the first-index argmax of its
    own scores, and the samples where a float value sits on a tie (a pre-activation on zero or
    two equal top scores), where float rounding decides and no answer is the model's."""
    mods, blocks = _parse(module)
    logits, pre = float_forward(module, mods, blocks, bits)
    tie = score_ties(logits)
    for z, blk in zip(pre, blocks[:-1], strict=True):
        tie |= (np.abs(z) <= TIE_TOLERANCE * _magnitude(blk)).any(1)
    pred = torch.argmax(torch.from_numpy(logits), dim=1).numpy().astype(np.int64) \
        if len(logits) else np.zeros(0, np.int64)
    return pred, tie


def compare_with_float(module: nn.Module, mods: list[nn.Module], blocks: list[dict],
                       folded: nn.Sequential, bits: np.ndarray) -> dict:
    """Run the float Brevitas model and the folded integer model on ``bits``; find the ties."""
    x = np.asarray(bits).astype(np.int64)
    logits, pre = float_forward(module, mods, blocks, x)
    tie = np.zeros(len(x), dtype=bool)
    diverged = np.zeros(len(x), dtype=bool)
    h = torch.from_numpy(x)
    with torch.no_grad():
        for i, layer in enumerate(folded):
            if i == len(folded) - 1:
                counts = layer(h).numpy()
                break
            want = layer(h).numpy().astype(bool)
            z = pre[i]
            flip = (want != (z >= 0)) & ~diverged[:, None]
            on_tie = np.abs(z) <= TIE_TOLERANCE * _magnitude(blocks[i])
            bad = flip & ~on_tie
            if bad.any():
                s, j = map(int, np.argwhere(bad)[0])
                raise GatecompError(f"internal error: folded layer {i} disagrees with Brevitas "
                                    f"off a tie (sample {s}, neuron {j}, float {z[s, j]:.6g})")
            tie |= flip.any(1)
            diverged |= flip.any(1)
            h = torch.from_numpy(want.astype(np.int64))
    pred_int = counts.argmax(1)
    pred_float = logits.argmax(1)
    float_tie = score_ties(logits)
    differ = (pred_int != pred_float) & ~diverged
    if (differ & ~float_tie).any():
        s = int(np.flatnonzero(differ & ~float_tie)[0])
        raise GatecompError(f"internal error: folded scores disagree with Brevitas off a tie "
                            f"(sample {s}: integer class {pred_int[s]}, float {pred_float[s]})")
    tie |= differ
    return {"calibration_samples": len(x),
            "prediction_agreement": float(np.mean(pred_int == pred_float)) if len(x) else 1.0,
            "tie_samples": int(tie.sum()),
            "tie_sample_indices": np.flatnonzero(tie)[:20].tolist()}
