"""Telling a Brevitas module apart: the BNN frontend takes 1-bit ones, the QNN frontend
(through QONNX) k-bit ones. Reads only class names and quantizer settings, so it needs no
Brevitas import."""

from __future__ import annotations

from torch import nn


def is_brevitas(module: nn.Module) -> bool:
    """Whether any module of ``module``'s tree is a Brevitas class."""
    return any(type(m).__module__.startswith("brevitas.") for m in module.modules())


def brevitas_bit_widths(module: nn.Module) -> set[int]:
    """Bit widths of the enabled weight and activation quantizers of a Brevitas module."""
    widths: set[int] = set()
    for m in module.modules():
        for attr in ("weight_quant", "act_quant"):
            q = getattr(m, attr, None)
            if q is not None and getattr(q, "is_quant_enabled", False):
                widths.add(int(q.bit_width()))
    return widths
