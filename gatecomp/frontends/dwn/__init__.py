"""torch_dwn 1.1.1 (Differentiable Weightless Networks): LUT layers, GroupSum, thermometers.

Load (``load``: whole pickled models through stand-ins, no torch_dwn import; state_dicts in a
wrapper, ``state_dict``) -> read every layer into typed records (``read``, ``layers``: the
kernel's address and ``> 0``, exactly) -> lower (``lower``) / evaluate (``evaluate``:
gatecomp's reading on bits). ``encoder`` folds a thermometer into comparators (``--encoder``).
``own_forward`` runs torch_dwn's own modules with a CPU port of its CUDA forward kernel, which
compile holds the circuit to. ``install`` installs torch_dwn without its CUDA extension.
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from ...errors import GatecompError, UnknownFormatError
from ..classifier import in_memory_label
from .describe import describe
from .encoder import comparators, load_encoder, read_encoder
from .evaluate import reference_outputs
from .load import load_file, parse
from .lower import lower_network
from .network import Network
from .own_forward import own_forward
from .read import network_of

SUPPORTED_FORMATS = ("torch_dwn.pickle", "torch_dwn.state_dict (wrapper with num_classes)")
VERSION = "1.1.1"

__all__ = ["SUPPORTED_FORMATS", "Network", "dataset_vectors", "describe", "load_dwn",
           "lower_network", "own_forward", "reference_outputs"]


def load_dwn(source: str | Path | nn.Module | dict | Network, *, encoder: object = None,
             input_bits: int | None = None) -> Network:
    """Read a torch_dwn model: a ``torch.save(model)`` file, a module, or a state_dict wrapper.

    ``encoder``: its thermometer (a pickled encoder file, a ``.npy``/tensor of thresholds, or
    the object): the circuit then takes ``input_bits``-bit unsigned features (default: the
    smallest width holding every threshold) and compares them in hardware; without it the
    circuit takes the encoded bits. Raises UnknownFormatError when the source is not
    torch_dwn's."""
    if isinstance(source, Network):
        return source
    if isinstance(source, (nn.Module, dict)):
        label, obj = in_memory_label(source), source
    elif isinstance(source, (str, Path)):
        label, obj = str(source), load_file(source)
    else:
        raise UnknownFormatError(type(source).__name__)
    parsed, fmt = parse(obj, label)
    net = network_of(parsed, label, fmt, VERSION, obj)
    if encoder is None:
        if input_bits is not None:
            raise GatecompError(f"{label}: --input-bits applies with --encoder (without it the "
                                "circuit takes the encoded bits)")
        return net
    enc_obj, enc_label = load_encoder(encoder)
    net.encoder = read_encoder(enc_obj, enc_label, net.bits_width)
    net.comparators = comparators(net.encoder, input_bits, enc_label)
    return net


def dataset_vectors(net: Network, split: str) -> None:
    """torch_dwn models record no dataset: compile draws or takes input vectors."""
    return None
