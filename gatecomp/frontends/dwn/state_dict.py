"""A torch_dwn ``state_dict`` in a wrapper that says what the state_dict cannot.

A DWN state_dict holds each ``LUTLayer``'s ``luts`` and ``mapping`` (or ``mapping.weights``
and ``_LUTLayer__dummy_mapping``), but not ``GroupSum``'s ``k`` and ``tau``, nor the width of
a fixed first mapping's input (those live only in the pickled module). So a bare state_dict is
refused with what to save instead, and the wrapper ``{"state_dict": sd, "num_classes": k,
"tau": tau, "input_size": width}`` (``tau`` default 1; ``input_size`` needed only when the
first layer's mapping is fixed) is read as the ``Sequential`` of those ``LUTLayer`` s (each
with the library's default ``ste=True``) and a ``GroupSum(k, tau)`` without ``randperm``.
"""

from __future__ import annotations

import re

from ...errors import GatecompError, UnknownFormatError
from ..strict import refuse_unknown_fields, refuse_unread_entries
from .layers import group_sum, lut_layer
from .modules import DUMMY_MAPPING
from .read import Parsed

WRAPPER_FIELDS = ("state_dict", "num_classes", "tau", "input_size")
_KEY = re.compile(r"^(?P<prefix>.+)\.(luts|mapping|mapping\.weights|" + DUMMY_MAPPING + ")$")
SAVE = ("save the whole model (torch.save(model)), or wrap the state_dict as "
        "{'state_dict': sd, 'num_classes': k, 'tau': tau, 'input_size': width}")


def looks_like_dwn(sd: object) -> bool:
    """Whether a dict's keys are a torch_dwn model's (``<i>.luts`` beside a mapping)."""
    return isinstance(sd, dict) and any(isinstance(k, str) and k.endswith(".luts")
                                        for k in sd) and all(isinstance(k, str) for k in sd)


def _prefixes(sd: dict, label: str) -> list[str]:
    found = []
    for key in sd:
        m = _KEY.match(key)
        if m and m.group("prefix") not in found and f"{m.group('prefix')}.luts" in sd:
            found.append(m.group("prefix"))
    if any(not p.isdigit() for p in found):
        raise GatecompError(f"{label}: state_dict layer names {found} are not a Sequential's "
                            "indices")
    return sorted(found, key=int)


def read_state_dict(obj: dict, label: str) -> Parsed:
    """The layers of a wrapper (or UnknownFormatError / the refusal of a bare state_dict)."""
    if "state_dict" not in obj:
        if looks_like_dwn(obj):
            raise GatecompError(f"{label}: a bare torch_dwn state_dict does not hold GroupSum's "
                                f"k and tau; {SAVE}")
        raise UnknownFormatError(label)
    sd = obj["state_dict"]
    if not looks_like_dwn(sd):
        raise UnknownFormatError(label)
    refuse_unknown_fields(label, obj, WRAPPER_FIELDS, "torch_dwn wrapper")
    if "num_classes" not in obj:
        raise GatecompError(f"{label}: the wrapper lacks 'num_classes' (GroupSum's k)")
    parsed, consumed = Parsed(), set()
    width = obj.get("input_size")
    for p in _prefixes(sd, label):
        where = f"{label}: state_dict layer {p} (LUTLayer)"
        keys = [f"{p}.{k}" for k in ("luts", "mapping", "mapping.weights", DUMMY_MAPPING)]
        luts, mapping, weights, dummy = (sd.get(k) for k in keys)
        consumed.update(k for k in keys if k in sd)
        shape = getattr(luts, "shape", (0, 1))
        if width is None:
            if weights is None:
                raise GatecompError(f"{label}: the first layer's mapping is fixed, so its input "
                                    "width is not in the state_dict: add 'input_size' to the "
                                    "wrapper")
            width = int(weights.shape[0])
        sizes = (width, int(shape[0]), max(1, int(shape[-1])).bit_length() - 1)
        layer = lut_layer(where, p, sizes, width, luts, mapping, weights, dummy) \
            if weights is None or mapping is None else _both(where)
        parsed.layers.append(layer)
        parsed.modules.append(f"{p} LUTLayer")
        width = layer.width
    refuse_unread_entries(label, sd, consumed, lambda _k: "no LUTLayer gatecomp knows")
    parsed.group_sum = group_sum(f"{label}: wrapper", obj["num_classes"], obj.get("tau", 1),
                                 None, width)
    parsed.modules.append("GroupSum")
    return parsed


def _both(where: str):
    raise GatecompError(f"{where}: has both a fixed mapping and learnable mapping.weights")
