"""Stand-ins for torchlogix 0.2.2's classes, so whole pickled models load without torchlogix.

``torch.save(model)`` of a torchlogix network pickles its layers by class name
(``torchlogix.layers.dense.LogicDense``, ``torchlogix.connections.FixedDenseConnections``, ...).
``torch.load(weights_only=True)`` instantiates only the classes of an allow-list: here every
torchlogix class name in :data:`CLASS_NAMES` maps to an empty ``nn.Module`` subclass of that
name, which receives the pickled attributes, parameters and buffers and computes nothing. The
reader (:mod:`.read`) interprets them; nothing from the file can run code.
"""

from __future__ import annotations

from torch import nn

#: every torchlogix 0.2.2 class a pickled model may hold, by module
CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "torchlogix.layers.dense": ("LogicDense",),
    "torchlogix.layers.conv": ("LogicConv2d", "LogicConv3d", "LogicConvTranspose2d",
                               "LogicConvTranspose3d"),
    "torchlogix.layers.pool": ("OrPooling2d", "OrPooling3d"),
    "torchlogix.layers.groupsum": ("GroupSum",),
    "torchlogix.layers.binarization": ("FixedBinarization", "LearnableBinarization",
                                       "SoftBinarization", "DummyBinarization"),
    "torchlogix.modules.resblock": ("ResidualLogicBlock",),
    "torchlogix.connections": ("FixedDenseConnections", "LearnableDenseConnections",
                               "FixedConvConnections", "FixedConvTransposeConnections"),
    "torchlogix.parametrization": ("RawLUTParametrization", "WarpLUTParametrization",
                                   "LightLUTParametrization"),
}


class StandIn(nn.Module):
    """Base of the stand-ins: holds what was unpickled, has no forward of its own."""

    def forward(self, *args, **kwargs):  # pragma: no cover - never called
        raise TypeError(f"{type(self).__qualname__} is a stand-in for reading; it has no "
                        "forward")


def _stand_in(module: str, name: str) -> type[StandIn]:
    cls = type(name, (StandIn,), {"__module__": module, "__qualname__": name})
    return cls


#: qualified torchlogix name -> its stand-in class
STAND_INS: dict[str, type[StandIn]] = {
    f"{module}.{name}": _stand_in(module, name)
    for module, names in CLASS_NAMES.items() for name in names
}

#: torch's own containers and shape modules a torchlogix model is built from
TORCH_CLASSES: tuple[type[nn.Module], ...] = (nn.Sequential, nn.Flatten, nn.Identity,
                                              nn.ParameterList, nn.ModuleList)

#: the allow-list for ``torch.serialization.safe_globals``
SAFE_GLOBALS: list = [*TORCH_CLASSES, *((cls, qual) for qual, cls in STAND_INS.items())]


def qualified_name(module: nn.Module) -> str:
    """``torchlogix.layers.dense.LogicDense`` for a stand-in or a real torchlogix module."""
    cls = type(module)
    return f"{cls.__module__}.{cls.__qualname__}"


def short_name(module: nn.Module) -> str:
    """``LogicDense``: the class name users know."""
    return type(module).__qualname__
