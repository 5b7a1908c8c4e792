"""Loading a DLGN: one validated, format-independent model (:class:`DLGNModel`).

``load_dlgn`` accepts every checkpoint format in :mod:`gatecomp.frontends.dlgn.formats` (ours,
whole pickled difflogic models, difflogic and torchlogix state_dicts) and in-memory modules,
checks it once (shapes, finite weights, wiring ranges, layer widths, GroupSum, encoding) and
returns a :class:`DLGNModel` whose ``module`` is rebuilt from our :mod:`gatecomp.nn` layers in
eval mode: that module is the reference the compiled hardware must match bit for bit. Import
the public names from :mod:`gatecomp.frontends.dlgn`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ...errors import GatecompError
from ...nn import GroupSum, LogicLayer, ThermometerEncoding
from ...nn.logic_layer import PARAMETRIZATIONS
from ..classifier import in_memory_label
from . import formats as dlgn_formats
from .strict import ARCH_HINT


@dataclass(frozen=True, eq=False)
class LayerSpec:
    """One logic layer, discrete: gate ``j`` computes ``gate_ids[j](x[a[j]], x[b[j]])``."""

    gate_ids: np.ndarray  # (out,) int64, 0..15 (difflogic order, see gatecomp.nn.GATE_NAMES)
    a: np.ndarray  # (out,) int64 input index of A
    b: np.ndarray  # (out,) int64 input index of B
    in_dim: int
    parametrization: str = "raw"

    @property
    def out_dim(self) -> int:
        return len(self.gate_ids)


@dataclass(eq=False)
class DLGNModel:
    """A validated DLGN: our eval-mode module (the reference) plus its discrete description."""

    module: nn.Sequential
    input_width: int
    num_classes: int
    tau: float
    layers: list[LayerSpec]
    encoding: ThermometerEncoding | None
    source: str
    format: str
    dataset: dict | None = None
    metrics: dict = field(default_factory=dict)
    origin: nn.Module | None = None  # the module as given or unpickled: its own forward
    state_dict: dict | None = None  # a bare state_dict as read: a library's model reloads it

    @property
    def block_size(self) -> int:
        """Number of last-layer outputs summed per class."""
        return self.layers[-1].out_dim // self.num_classes

    @property
    def logic_gates(self) -> int:
        return int(sum(s.out_dim for s in self.layers))


# -- loading ---------------------------------------------------------------------------------
def load_dlgn(path_or_module: str | Path | nn.Module | DLGNModel, *,
              num_classes: int | None = None, tau: float | None = None,
              input_width: int | None = None,
              indices: list[np.ndarray | torch.Tensor] | None = None,
              encoding: ThermometerEncoding | dict | None = None,
              parametrization: str | list[str] | None = None) -> DLGNModel:
    """Load and validate a DLGN from a checkpoint path or an in-memory module.

    Parameters
    ----------
    path_or_module:
        A checkpoint file (any supported format), an ``nn.Module`` (``nn.Sequential`` of our
        layers or of difflogic-shaped layers), or an already loaded :class:`DLGNModel`.
    num_classes, tau:
        GroupSum parameters; needed for state_dicts, which do not store them (``tau`` defaults
        to 1 and does not change counts or predictions). They override what the file says.
    input_width:
        Input width for a state_dict (default: largest first-layer wiring index + 1).
    indices:
        Wiring per logic layer, each (2, out), for difflogic state_dicts (difflogic keeps the
        wiring out of its state_dict); overrides stored wiring.
    encoding:
        Input encoding to attach (overrides the checkpoint's).
    parametrization:
        ``raw``, ``light`` or ``warp`` (``walsh``), one for all logic layers or one each:
        needed for torchlogix state_dicts with (out, 4) weights, which may be light or warp.

    Raises
    ------
    GatecompError
        Missing/corrupt file, unknown format, unsupported layer, wrong shapes, non-finite
        weights, wiring out of range, width mismatches — one line naming what is wrong.
    """
    if isinstance(path_or_module, DLGNModel):
        return path_or_module
    parsed, source = _parse_source(path_or_module)
    _override(parsed, source, num_classes=num_classes, tau=tau, input_width=input_width,
              encoding=encoding, parametrization=parametrization)
    if indices is not None:
        _set_wiring(parsed, indices, source)
    return _assemble(parsed, source)


def _parse_source(path_or_module: object) -> tuple[dlgn_formats.ParsedNet, str]:
    """``(parsed net, its name in messages)`` of a checkpoint path or an in-memory module."""
    if isinstance(path_or_module, (nn.Module, list, tuple)):
        source = in_memory_label(path_or_module)
        return dlgn_formats.parse(path_or_module, source), source
    if isinstance(path_or_module, (str, Path)):
        source = str(path_or_module)
        return dlgn_formats.parse(dlgn_formats.load_file(path_or_module), source), source
    raise GatecompError(f"cannot load a DLGN from a {type(path_or_module).__name__}")


def _override(parsed: dlgn_formats.ParsedNet, source: str, *, num_classes, tau, input_width,
              encoding, parametrization) -> None:
    """Put the caller's parametrization, GroupSum, input width and encoding over the file's."""
    if parametrization is not None:
        dlgn_formats.set_parametrization(parsed, parametrization, source, "--parametrization")
    if num_classes is not None:
        parsed.k = int(num_classes)
    if tau is not None:
        parsed.tau = float(tau)
    if input_width is not None:
        parsed.input_width = int(input_width)
    if encoding is not None:
        parsed.encoding = encoding.to_dict() if isinstance(encoding, ThermometerEncoding) \
            else encoding


def _set_wiring(parsed: dlgn_formats.ParsedNet, indices: list, source: str) -> None:
    """The caller's wiring, one (2, out) array per logic layer, over the stored one."""
    if len(indices) != len(parsed.logic):
        raise GatecompError(f"{source}: {len(indices)} wiring arrays given for "
                            f"{len(parsed.logic)} logic layers")
    for i, (layer, idx) in enumerate(zip(parsed.logic, indices, strict=True)):
        try:
            layer.indices = torch.as_tensor(np.asarray(idx))
        except (TypeError, ValueError, RuntimeError):
            raise GatecompError(f"{source}: wiring array {i} is not an integer "
                                "(2, out) array") from None


def _assemble(parsed: dlgn_formats.ParsedNet, source: str) -> DLGNModel:
    if not parsed.logic:
        raise GatecompError(f"{source}: no logic layers found")
    layers: list[nn.Module] = []
    specs: list[LayerSpec] = []
    width = parsed.input_width
    for i, p in enumerate(parsed.logic):
        layer = _build_layer(i, p, width, source)
        layers.append(layer)
        specs.append(LayerSpec(layer.gate_ids().numpy().astype(np.int64),
                               layer.indices[0].numpy().astype(np.int64),
                               layer.indices[1].numpy().astype(np.int64),
                               layer.in_dim, layer.parametrization))
        width = layer.out_dim
    input_width = specs[0].in_dim
    k, tau = parsed.k, 1.0 if parsed.tau is None else parsed.tau
    if k is None:
        raise GatecompError(f"{source}: no GroupSum layer, so the number of classes is unknown "
                            "(pass num_classes=...)")
    if k < 1 or width % k:
        raise GatecompError(f"{source}: GroupSum k={k} does not divide the last layer's "
                            f"width {width}")
    if not (np.isfinite(tau) and tau > 0):
        raise GatecompError(f"{source}: GroupSum tau must be a positive number, got {tau}")
    layers.append(GroupSum(k, tau))
    enc = None
    if parsed.encoding is not None:
        try:
            enc = ThermometerEncoding.from_dict(parsed.encoding)
        except ValueError as exc:
            raise GatecompError(f"{source}: bad input encoding: {exc}") from None
        if enc.width != input_width:
            raise GatecompError(f"{source}: input encoding gives {enc.width} bits but the "
                                f"first layer reads {input_width}")
    module = nn.Sequential(*layers).eval()
    module.requires_grad_(False)
    return DLGNModel(module, input_width, k, tau, specs, enc, source, parsed.format,
                     parsed.extra.get("dataset"), dict(parsed.extra.get("metrics") or {}),
                     parsed.origin, parsed.state_dict)


def _parametrization(declared: str | None, w: torch.Tensor, where: str) -> str:
    """The layer's parametrization: declared, or raw for (out, 16); never guessed for (out, 4).

    torchlogix stores light and warp weights alike as (out, 4), and they compute different
    gates from the same numbers.
    """
    declared = dlgn_formats.PARAMETRIZATION_ALIASES.get(declared, declared)
    if declared is None:
        if w.shape[1] == 16:
            return "raw"
        raise GatecompError(
            f"{where}: weights {tuple(w.shape)} may be torchlogix's light or warp "
            "parametrization (both are stored as (out, 4)): name it with 'parametrization' in "
            "the checkpoint wrapper or --parametrization light|warp")
    if declared not in PARAMETRIZATIONS:
        raise GatecompError(f"{where}: unknown parametrization {declared!r} "
                            f"(supported: {', '.join(PARAMETRIZATIONS)})")
    if w.shape[1] != (16 if declared == "raw" else 4):
        raise GatecompError(f"{where}: weights {tuple(w.shape)} do not match the declared "
                            f"{declared!r} parametrization of two-input gates "
                            f"({'(out, 16)' if declared == 'raw' else '(out, 4)'})")
    return declared


def _build_layer(i: int, p: dlgn_formats.ParsedLogic, width: int | None,
                 source: str) -> LogicLayer:
    where = f"{source}: logic layer {i} [{p.name}]"
    w = p.weights
    if not isinstance(w, torch.Tensor) or not w.is_floating_point() or w.ndim != 2 \
            or w.shape[1] not in (16, 4):
        shape = tuple(w.shape) if isinstance(w, torch.Tensor) else type(w).__name__
        raise GatecompError(f"{where}: weights have shape {shape}, expected (out, 16) raw "
                            "logits or (out, 4) light/warp weights (floating point)")
    kind = _parametrization(p.parametrization, w, where)
    out = int(w.shape[0])
    if out < 1:
        raise GatecompError(f"{where}: layer has no gates")
    if not bool(torch.isfinite(w).all()):
        raise GatecompError(f"{where}: weights contain NaN or inf")
    idx = p.indices
    if idx is None:
        raise GatecompError(f"{where}: no wiring found (difflogic state_dicts do not store "
                            "it: pass indices=[...] or save '<i>.indices')")
    if not isinstance(idx, torch.Tensor) or idx.is_floating_point() or idx.is_complex() \
            or idx.dtype == torch.bool or tuple(idx.shape) != (2, out):
        got = (f"{tuple(idx.shape)} {str(idx.dtype).removeprefix('torch.')}"
               if isinstance(idx, torch.Tensor) else type(idx).__name__)
        rank = f"; lut_rank {idx.shape[0]} wiring: {ARCH_HINT}" \
            if isinstance(idx, torch.Tensor) and idx.ndim == 2 and idx.shape[0] in (1, 4, 6) \
            else ""
        raise GatecompError(f"{where}: wiring has shape {got}, expected integer (2, {out})"
                            f"{rank}")
    idx = idx.to(torch.int64)
    in_dim = p.in_dim
    if in_dim is not None and width is not None and in_dim != width:
        what = "previous layer's out_dim" if i else "input width"
        raise GatecompError(f"{where}: in_dim {in_dim} does not match the {what} {width}")
    in_dim = in_dim if in_dim is not None else width
    if in_dim is None:
        in_dim = int(idx.max()) + 1
    lo, hi = int(idx.min()), int(idx.max())
    if lo < 0 or hi >= in_dim:
        bad = lo if lo < 0 else hi
        raise GatecompError(f"{where}: wiring index {bad} out of range for in_dim {in_dim}")
    layer = LogicLayer(in_dim, out, parametrization=kind, indices=idx, weights=w.detach().cpu())
    _check_export_ids(layer, p.export_ids, where)
    return layer.eval()


def _check_export_ids(layer: LogicLayer, export_ids: torch.Tensor | None, where: str) -> None:
    """torchlogix's export mode caches each gate's ID; it must be the gate read from weights."""
    if export_ids is None:
        return
    ids = layer.gate_ids()
    if tuple(export_ids.shape) != tuple(ids.shape) or not torch.equal(
            export_ids.to(torch.int64), ids):
        raise GatecompError(f"{where}: '_export_lut_ids' disagree with the gates its "
                            f"{layer.parametrization} weights select")
