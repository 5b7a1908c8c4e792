"""Which frontend reads a model file: one registry, so compile/info/verify stay format-blind.

Each frontend bundles six functions (load, lower, reference, own forward, describe, dataset
vectors). ``reference`` is gatecomp's reading of the model as integers; ``own_forward`` runs the
model's library code where it can, so compile checks the circuit against what the model itself
computes and not only against how gatecomp read it. The
registry offers a file to the frontends that claim its suffix, in order; a frontend that does
not recognise the contents raises :class:`UnknownFormatError` and the next one is asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..aig import LogicNet
from ..errors import GatecompError, UnknownFormatError
from ..extras import require
from .reference import OwnForward


@dataclass(frozen=True)
class Frontend:
    """The functions compile needs from a network family."""

    name: str
    formats: tuple[str, ...]
    suffixes: tuple[str, ...]
    load: Callable[[Any], Any]
    lower: Callable[[Any], LogicNet]
    reference: Callable[[Any, np.ndarray], dict[str, np.ndarray]]
    describe: Callable[[Any], dict]
    dataset_vectors: Callable[[Any, str], tuple[np.ndarray, np.ndarray] | None]
    own_forward: Callable[[Any, np.ndarray], OwnForward]
    #: reading options the loader takes (``--parametrization``, ``--arch``, ...)
    options: tuple[str, ...] = ()


def _dlgn() -> Frontend:
    from . import dlgn
    from .dlgn.formats import SUPPORTED_FORMATS
    from .dlgn.own_forward import own_forward

    def vectors(model, split: str):
        if model.encoding is None or not model.dataset:
            return None
        return dlgn.dataset_vectors(model, split)

    return Frontend("dlgn", SUPPORTED_FORMATS, (".pt", ".pth", ".ckpt", ".bin", ""),
                    dlgn.load_dlgn, dlgn.lower_dlgn, dlgn.reference_outputs,
                    dlgn.describe_dlgn, vectors, own_forward, ("parametrization",))


def _torchlogix() -> Frontend:
    from . import torchlogix as tlx

    return Frontend("torchlogix", tlx.SUPPORTED_FORMATS, (".pt", ".pth", ".ckpt", ".bin", ""),
                    tlx.load_torchlogix, tlx.lower_network, tlx.reference_outputs,
                    tlx.describe, tlx.dataset_vectors, tlx.own_forward,
                    ("arch", "arch_kwargs", "input_bits"))


def _dwn() -> Frontend:
    from . import dwn

    return Frontend("dwn", dwn.SUPPORTED_FORMATS, (".pt", ".pth", ".ckpt", ".bin", ""),
                    dwn.load_dwn, dwn.lower_network, dwn.reference_outputs, dwn.describe,
                    dwn.dataset_vectors, dwn.own_forward, ("encoder", "input_bits"))


def _recurrent() -> Frontend:
    from . import recurrent as rec

    return Frontend("recurrent", rec.SUPPORTED_FORMATS, (".pt", ".pth", ".ckpt", ".bin", ""),
                    rec.load_recurrent, rec.lower_recurrent, rec.reference_outputs,
                    rec.describe_recurrent, rec.dataset_vectors, rec.own_forward)


def _bnn() -> Frontend:
    from . import bnn

    return Frontend("bnn", bnn.SUPPORTED_FORMATS, (".pt", ".pth", ".ckpt", ".bin", ""),
                    bnn.load_bnn, bnn.lower_bnn, bnn.reference_outputs, bnn.describe_bnn,
                    bnn.dataset_vectors, bnn.own_forward)


def _qnn() -> Frontend:
    from . import qnn

    return Frontend("qnn", qnn.SUPPORTED_FORMATS, (".pt", ".pth", ".ckpt", ".bin", "", ".onnx"),
                    qnn.load_qnn, qnn.lower_qnn, qnn.reference_outputs, qnn.describe_qnn,
                    qnn.dataset_vectors, qnn.own_forward)


#: factories, so importing the registry does not import every frontend's dependencies. The BNN
#: and QNN frontends come first: they claim only dicts with ``"format": "gatecomp.bnn"`` /
#: ``"gatecomp.qnn"`` (sniffing a file memory-maps it), ``.onnx`` files (QNN) and modules of
#: their own layers (binary layers before integer ones: the BNN frontend is tried first); the
#: torchlogix frontend claims pickles of torchlogix modules and state_dicts whose architecture
#: is named, the DWN frontend pickles of torch_dwn modules and dicts of its ``<i>.luts`` keys,
#: while the DLGN frontend reports every other module or dict it cannot read as an
#: error rather than passing it on. The recurrent frontend, first, claims only
#: ``"gatecomp.recurrent"`` dicts and RecurrentLogic modules; it lowers to a SeqNet (a step
#: LogicNet plus state registers), which ``flow`` compiles as a sequential circuit.
FRONTEND_FACTORIES: list[Callable[[], Frontend]] = [_recurrent, _bnn, _qnn, _torchlogix, _dwn,
                                                    _dlgn]

#: each reading option as the command line spells it
OPTION_FLAGS = {"parametrization": "--parametrization", "arch": "--arch",
                "arch_kwargs": "--arch-kwargs", "input_bits": "--input-bits",
                "encoder": "--encoder"}


def frontends() -> list[Frontend]:
    return [make() for make in FRONTEND_FACTORIES]


def load_model(source: str | Path | Any, **options: Any) -> tuple[Frontend, Any]:
    """Find the frontend for ``source`` (a path or an in-memory module) and load it.

    ``options`` are reading options, each taken by the frontends that list it (None: not
    given): ``parametrization`` (DLGN: a torchlogix state_dict's (out, 4) weights may be light
    or warp), ``arch``/``arch_kwargs`` (torchlogix: the zoo class of a state_dict),
    ``input_bits`` (torchlogix: the circuit compares integer features with the model's
    binarization thresholds; DWN: the features' width with ``encoder``), ``encoder`` (DWN:
    the thermometer folded into the circuit as comparators).
    """
    given = {k: v for k, v in options.items() if v is not None}
    for fe in _candidates(source):
        named = {k: v for k, v in given.items() if k in fe.options}
        try:
            model = fe.load(source, **named)
        except UnknownFormatError:
            continue
        unused = [k for k in given if k not in named]
        if unused:
            raise GatecompError(f"{source}: {OPTION_FLAGS.get(unused[0], unused[0])} does not "
                                f"apply to this {fe.name} model")
        return fe, model
    formats = ", ".join(fmt for f in frontends() for fmt in f.formats)
    raise GatecompError(f"{source}: not a model format gatecomp knows (supported: {formats})")


def _candidates(source: object) -> list[Frontend]:
    available = frontends()
    if not isinstance(source, str | Path):
        return available
    suffix = Path(source).suffix.lower()
    if suffix == ".onnx":
        for module in ("onnx", "qonnx"):
            require(module, f"{source}: reading an ONNX graph")
    return [f for f in available if suffix in f.suffixes] or [
        f for f in available if "" in f.suffixes]
