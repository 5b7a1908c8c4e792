"""What the DLGN readers refuse: every key and attribute is read, or named in a one-line error.

A reader that skips what it does not know compiles a circuit that computes something else: a
state_dict whose conv layers were skipped still has dense layers that lower cleanly. These
checks run on what a reader found before anything is lowered:

* :func:`refuse_unread_keys` -- state_dict entries no layer consumed, with the kind of layer
  they seem to belong to;
* :func:`refuse_position_gaps` -- ``Sequential`` positions between logic layers that hold no
  entries (a parameterless layer, such as pooling, that a state_dict cannot describe);
* :func:`refuse_unknown_wrapper_keys` -- wrapper fields that are neither read nor bookkeeping.

Pickled modules are held to :data:`MODULE_STATE` with :func:`.strict.refuse_unread_state`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from torch import nn

from ...errors import GatecompError
from ...nn import GroupSum, LogicLayer
from ..strict import COMMON_STATE, ModuleState, refuse_unknown_fields, refuse_unread_entries
from . import difflogic_shim

#: key fragments of layers the DLGN frontend does not read, and what they belong to
_FOREIGN_KEYS: tuple[tuple[str, str], ...] = (
    (".main.", "a residual block (torchlogix ResidualLogicBlock)"),
    (".shortcut.", "a residual block (torchlogix ResidualLogicBlock)"),
    ("tree_weights", "a torchlogix LogicConv2d/LogicConv3d (convolutional tree) layer"),
    ("connections._indices_L", "a torchlogix LogicConv2d/LogicConv3d (convolutional tree) layer"),
    ("_export_lut_ids_L", "a torchlogix LogicConv2d/LogicConv3d (convolutional tree) layer"),
    ("connections.weights", "learnable connections (torchlogix connections='learnable')"),
    ("thresholds", "a binarization layer (torchlogix FixedBinarization/LearnableBinarization)"),
    ("raw_diffs", "a binarization layer (torchlogix LearnableBinarization)"),
    ("running_mean", "a BatchNorm layer"),
    ("running_var", "a BatchNorm layer"),
    ("num_batches_tracked", "a BatchNorm layer"),
    ("bias", "a float layer (Linear/Conv)"),
)

#: wrapper fields that record training and cannot change the forward
BOOKKEEPING_KEYS = frozenset({
    "epoch", "epochs", "step", "global_step", "iteration", "optimizer", "optimizer_state_dict",
    "scheduler", "scheduler_state_dict", "lr_scheduler", "loss", "best_loss", "accuracy",
    "best_accuracy", "acc", "best_acc", "metrics", "test_accuracy", "val_accuracy",
})


def layer_kind(key: str) -> str:
    """What a state_dict key seems to belong to, for the error that refuses it."""
    for fragment, kind in _FOREIGN_KEYS:
        if fragment in key:
            return kind
    return "a layer the DLGN frontend does not know"


#: how to compile a torchlogix state_dict the DLGN reader cannot take
ARCH_HINT = ("a bare state_dict does not say how torchlogix built these layers: save the whole "
             "model (torch.save(model)), or name its zoo class with --arch NAME or a wrapper "
             "{'state_dict', 'model': NAME, 'model_kwargs'}")


def refuse_unread_keys(source: str, keys: Iterable[str], consumed: set[str]) -> None:
    """Raise on the first key of ``keys`` that no layer consumed, naming whose it seems (and,
    for a torchlogix layer, how to compile it)."""
    try:
        refuse_unread_entries(source, keys, consumed, layer_kind)
    except GatecompError as exc:
        if "torchlogix" not in str(exc):
            raise
        raise GatecompError(f"{exc}; {ARCH_HINT}") from None


def refuse_position_gaps(source: str, prefixes: list[str]) -> None:
    """Raise when ``Sequential`` positions between logic layers hold no entries.

    A state_dict records no parameterless layers: an ``OrPooling`` or a custom function between
    two logic layers leaves only a gap in the numbering, and compiling across it would skip the
    layer. Only position 0 may be empty (the ``Flatten`` that difflogic's and torchlogix's
    examples put first, which does not change the bits).
    """
    by_parent: dict[str, list[int]] = {}
    for prefix in prefixes:
        m = re.fullmatch(r"(.*?)(\d+)\.", prefix)
        if m:
            by_parent.setdefault(m.group(1), []).append(int(m.group(2)))
    for parent, positions in by_parent.items():
        positions.sort()
        if positions[0] > 1:
            _gap(source, parent, 0, positions[0])
        for before, after in zip(positions, positions[1:], strict=False):
            if after != before + 1:
                _gap(source, parent, before, after)


def _gap(source: str, parent: str, before: int, after: int) -> None:
    missing = f"{parent}{before + 1}" if after == before + 2 else \
        f"{parent}{before + 1}..{parent}{after - 1}"
    raise GatecompError(
        f"{source}: state_dict has no entries for module(s) {missing} between logic layers: a "
        "parameterless layer there (pooling, ...) changes the forward and a state_dict does not "
        "say which; save the whole module (torch.save(model)) instead")


def refuse_unknown_wrapper_keys(source: str, wrapper: dict, read: Iterable[str]) -> None:
    """Raise on a wrapper field that is neither read nor training bookkeeping."""
    refuse_unknown_fields(source, wrapper, sorted(read), "checkpoint", BOOKKEEPING_KEYS,
                          "; training bookkeeping such as 'epoch' or 'optimizer_state_dict' is "
                          "skipped")


#: what each module class a DLGN may hold carries; anything else in a pickled module is refused
MODULE_STATE: dict[type, ModuleState] = {
    nn.Flatten: COMMON_STATE[nn.Flatten],
    LogicLayer: ModuleState(("in_dim", "out_dim", "connections", "parametrization"),
                            ("weights",), ("indices",)),
    GroupSum: ModuleState(("k", "tau")),
    difflogic_shim.LogicLayer: ModuleState(difflogic_shim.LOGIC_LAYER_ATTRIBUTES, ("weights",)),
    difflogic_shim.GroupSum: ModuleState(("k", "tau", "device")),
}
