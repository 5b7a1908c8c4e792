"""What gatecomp reads of each torch_dwn 1.1.1 module, and refuses beyond it.

One :class:`~gatecomp.frontends.strict.ModuleState` per class (by qualified name, so stand-ins
and torch_dwn's real classes are checked alike). ``LUTLayer``'s ``alpha``/``beta`` (the
extended finite difference's constants), ``clamp_luts`` (a training-time clamp to [-1, 1],
which keeps every sign) and ``LearnableMapping.tau`` (its backward's softmax temperature) do
not change the eval forward; everything else is read by :mod:`.read`. Any other attribute,
tensor, child or hook is a one-line error.
"""

from __future__ import annotations

from torch import nn

from ...errors import GatecompError
from ..strict import COMMON_STATE, ModuleState, module_where, refuse_unread_state
from .standins import MODULE_CLASSES, qualified_name

DUMMY_MAPPING = "_LUTLayer__dummy_mapping"
STATE: dict[str, ModuleState] = {
    "torch_dwn.lut_layer.LUTLayer": ModuleState(
        ("input_size", "output_size", "n", "ste", "clamp_luts", "alpha", "beta"),
        ("mapping", "luts", DUMMY_MAPPING), (), ("mapping",)),
    "torch_dwn.mapping.LearnableMapping": ModuleState(("tau",), ("weights",)),
    "torch_dwn.utils.GroupSum": ModuleState(("k", "tau", "randperm")),
    "torch_dwn.utils.STE": ModuleState(),
}
#: torch's modules a DWN model may hold (on (batch, width) bits Flatten is the identity)
TORCH_LAYERS = (nn.Sequential, nn.Flatten, nn.Identity)
SUPPORTED = ", ".join([*(n for names in MODULE_CLASSES.values() for n in names), "Sequential",
                       "Flatten", "Identity"])


def check(module: nn.Module, where: str) -> str:
    """The module's qualified class name, after refusing anything it carries unread."""
    name = qualified_name(module)
    state = STATE.get(name)
    if state is None and type(module) in TORCH_LAYERS:
        state = COMMON_STATE[type(module)]
    if state is None:
        raise GatecompError(f"{where}: {name} is not a layer gatecomp reads in a torch_dwn "
                            f"model (supported: {SUPPORTED})")
    refuse_unread_state(module, where, state)
    return name


def where_of(label: str, path: str, module: nn.Module) -> str:
    return module_where(label, path, module)


def is_dwn_module(module: nn.Module) -> bool:
    """Whether any module of the tree is torch_dwn's (stand-in or real)."""
    return any(type(m).__module__.startswith("torch_dwn.") for m in module.modules())
