"""Stand-ins for torch_dwn 1.1.1's classes, so pickled models and encoders load without it.

``torch.save(model)`` pickles torch_dwn's layers by class name (``torch_dwn.lut_layer.LUTLayer``,
``torch_dwn.mapping.LearnableMapping``, ``torch_dwn.utils.GroupSum``); ``torch.save(encoder)``
pickles a thermometer, a plain Python object (``torch_dwn.binarization.Thermometer``, ...).
``torch.load(weights_only=True)`` instantiates only allow-listed classes: each name here maps to
an empty class of that name that receives the pickled state and computes nothing. The reader
(:mod:`.read`, :mod:`.encoder`) interprets it; nothing from the file can run code.
"""

from __future__ import annotations

from torch import nn

#: torch_dwn 1.1.1's modules (nn.Module subclasses) a pickled model may hold
MODULE_CLASSES: dict[str, tuple[str, ...]] = {
    "torch_dwn.lut_layer": ("LUTLayer",),
    "torch_dwn.mapping": ("LearnableMapping",),
    "torch_dwn.utils": ("GroupSum", "STE"),
}
#: its input encoders (plain objects with ``num_bits``, ``feature_wise``, ``thresholds``)
ENCODER_CLASSES: dict[str, tuple[str, ...]] = {
    "torch_dwn.binarization": ("Thermometer", "DistributiveThermometer", "GaussianThermometer"),
}


class StandIn(nn.Module):
    """Base of the module stand-ins: holds what was unpickled, has no forward of its own."""

    def forward(self, *args, **kwargs):  # pragma: no cover - never called
        raise TypeError(f"{type(self).__qualname__} is a stand-in for reading; it has no "
                        "forward")


class EncoderStandIn:
    """Base of the encoder stand-ins: a plain object whose ``__dict__`` the pickle fills."""


def _named(module: str, name: str, base: type) -> type:
    return type(name, (base,), {"__module__": module, "__qualname__": name})


#: qualified torch_dwn name -> its stand-in class
STAND_INS: dict[str, type] = {
    **{f"{module}.{name}": _named(module, name, StandIn)
       for module, names in MODULE_CLASSES.items() for name in names},
    **{f"{module}.{name}": _named(module, name, EncoderStandIn)
       for module, names in ENCODER_CLASSES.items() for name in names},
}

#: torch's own containers a torch_dwn model is built from
TORCH_CLASSES: tuple[type[nn.Module], ...] = (nn.Sequential, nn.Flatten, nn.Identity)

#: the allow-list for ``torch.serialization.safe_globals``
SAFE_GLOBALS: list = [*TORCH_CLASSES, *((cls, qual) for qual, cls in STAND_INS.items())]


def qualified_name(obj: object) -> str:
    """``torch_dwn.lut_layer.LUTLayer`` for a stand-in or a real torch_dwn object."""
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def short_name(obj: object) -> str:
    """``LUTLayer``: the class name users know."""
    return type(obj).__qualname__
