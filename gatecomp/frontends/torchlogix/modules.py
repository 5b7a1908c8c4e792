"""What gatecomp reads of each torchlogix 0.2.2 module, and refuses beyond it.

One :class:`~gatecomp.frontends.strict.ModuleState` per class (by qualified name, so stand-ins
and torchlogix's real classes are checked alike): every attribute a pickled or built module
carries is listed here, read by :mod:`.read` or named as one that does not change the eval
forward (``device``, training temperatures, initialisation settings, ``grad_factor``: an
identity in the forward). Anything else, a hook, or ``export_mode=True`` is a one-line error.
"""

from __future__ import annotations

from torch import nn

from ...errors import GatecompError
from ..strict import COMMON_STATE, ModuleState, module_where, refuse_unread_state
from .standins import qualified_name

_LOGIC = ("device", "grad_factor", "lut_rank", "connections_kwargs", "export_mode")
_CONV = (*_LOGIC, "num_kernels", "tree_depth", "channels", "conv_dimension",
         "receptive_field_size", "in_dim", "stride", "padding", "kernel_positions",
         "n_kernel_positions")
_PARAM = ("lut_rank", "lut_entries", "forward_sampling", "temperature", "weight_init",
          "residual_probability", "materialize_basis", "export_mode")
_CONV_CONNECTIONS = ("lut_rank", "device", "init_method", "num_kernels", "tree_depth",
                     "channels", "conv_dimension", "receptive_field_size", "in_dim", "stride",
                     "padding", "channel_group_size", "export_mode")
_POOL = ModuleState(("kernel_size", "stride", "padding", "export_mode"))
_NOT_EXPORTING = {"export_mode": lambda v: v in (None, False)}

TL = "torchlogix."
STATE: dict[str, ModuleState] = {
    TL + "layers.dense.LogicDense": ModuleState(
        (*_LOGIC, "in_dim", "out_dim", "num_neurons", "num_weights"), ("weight",), (),
        ("parametrization", "connections"), _NOT_EXPORTING),
    **{TL + f"layers.conv.{name}": ModuleState(
        _CONV, (), (), ("parametrization", "tree_weights", "connections"), _NOT_EXPORTING)
       for name in ("LogicConv2d", "LogicConv3d")},
    **{TL + f"layers.conv.{name}": ModuleState(
        (*_CONV, "_output_padding_raw", "output_padding"), (), (),
        ("parametrization", "tree_weights", "connections"), _NOT_EXPORTING)
       for name in ("LogicConvTranspose2d", "LogicConvTranspose3d")},
    TL + "parametrization.RawLUTParametrization": ModuleState((*_PARAM, "num_functions")),
    TL + "parametrization.LightLUTParametrization": ModuleState(_PARAM),
    TL + "parametrization.WarpLUTParametrization": ModuleState(_PARAM),
    TL + "connections.FixedDenseConnections": ModuleState(
        ("lut_rank", "device", "init_method", "in_dim", "out_dim", "export_mode"), (),
        ("indices",), (), _NOT_EXPORTING),
    TL + "connections.LearnableDenseConnections": ModuleState(
        ("lut_rank", "device", "init_method", "temperature", "num_candidates", "in_dim",
         "out_dim", "gumbel", "export_mode"), ("weights",), ("indices",), (), _NOT_EXPORTING),
    TL + "connections.FixedConvConnections": ModuleState(_CONV_CONNECTIONS),
    TL + "connections.FixedConvTransposeConnections": ModuleState(
        (*_CONV_CONNECTIONS, "orig_in_dim", "orig_stride", "output_padding_t")),
    TL + "layers.pool.OrPooling2d": _POOL,
    TL + "layers.pool.OrPooling3d": _POOL,
    TL + "layers.groupsum.GroupSum": ModuleState(("k", "tau", "beta", "device", "export_mode"),
                                                 settings=_NOT_EXPORTING),
    TL + "layers.binarization.FixedBinarization": ModuleState(
        ("feature_dim", "export_mode"), (), ("thresholds",)),
    TL + "layers.binarization.SoftBinarization": ModuleState(
        ("feature_dim", "temperature_sampling", "export_mode"), (), ("thresholds",)),
    TL + "layers.binarization.LearnableBinarization": ModuleState(
        ("forward_sampling", "feature_dim", "temperature_sampling", "temperature_softplus",
         "_max_grad_norm", "export_mode"), ("raw_diffs",), ("thresholds",)),
    TL + "layers.binarization.DummyBinarization": ModuleState(
        ("feature_dim", "export_mode"), (), ("thresholds",)),
    TL + "modules.resblock.ResidualLogicBlock": ModuleState(children=("main", "shortcut")),
    "torch.nn.modules.container.ParameterList": ModuleState(children=()),
}
#: zoo Sequentials may record their width; it does not change Sequential's forward
ZOO_STATE = ModuleState(("k_num",), children=None)
WRAPPER_STATE = ModuleState(children=("model",))


def check(module: nn.Module, where: str) -> str:
    """The module's qualified class name, after refusing anything it carries unread."""
    name = qualified_name(module)
    state = STATE.get(name)
    if state is None:
        state = _container_state(module, name, where)
    if name.endswith("Connections") and name.startswith(TL + "connections.FixedConv"):
        depth = getattr(module, "tree_depth", 0) or 0
        state = ModuleState(state.attributes, (), tuple(f"_indices_L{i}" for i in range(depth)))
    if name.endswith("ParameterList"):
        state = ModuleState(parameters=tuple(module._parameters))
    _refuse_export_mode(module, where)
    refuse_unread_state(module, where, state)
    return name


def _refuse_export_mode(module: nn.Module, where: str) -> None:
    """A model saved after torchlogix's ``set_export_mode(True)`` computes from cached LUT ids
    and wiring (``_export_*`` buffers), not from its weights: say so, and how to save it."""
    cached = [k for k in module._buffers if k.startswith("_export_")]
    if cached:
        raise GatecompError(f"{where}: saved in torchlogix's export mode (set_export_mode(True) "
                            f"cached {cached[0]}); call set_export_mode(False) before "
                            "torch.save(model)")


def _container_state(module: nn.Module, name: str, where: str) -> ModuleState:
    if type(module) in COMMON_STATE and name.startswith("torch."):
        return COMMON_STATE[type(module)]
    if name.startswith(TL + "models."):
        return WRAPPER_STATE if not isinstance(module, nn.Sequential) else ZOO_STATE
    supported = sorted({n.rsplit(".", 1)[1] for n in STATE} | {"Sequential", "Flatten",
                                                                "Identity"})
    raise GatecompError(f"{where}: {name} is not a layer gatecomp reads in a torchlogix model "
                        f"(supported: {', '.join(supported)})")


def where_of(label: str, path: str, module: nn.Module) -> str:
    return module_where(label, path, module)
