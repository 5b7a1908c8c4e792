"""torchlogix 0.2.2 networks: dense, convolutional (tree kernels), residual, rank 2/4/6 LUTs.

Load (``load``: whole pickled modules through stand-ins, no torchlogix import; state_dicts with
the architecture named, built by torchlogix's zoo) -> read every layer into typed stages
(``read``, ``stages``, ``tables``: the eval forward's truth tables, exactly) -> lower
(``lower``) / evaluate (``evaluate``: gatecomp's reading on bits). ``own_forward`` runs
torchlogix's own eval forward, which compile holds the circuit to.
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from ...errors import UnknownFormatError
from ..classifier import in_memory_label
from .evaluate import reference_outputs
from .load import load_file, source_of
from .lower import input_description, lower_network, output_ports
from .network import Network
from .own_forward import own_forward
from .read import read_network

SUPPORTED_FORMATS = ("torchlogix.pickle", "torchlogix.state_dict (with model/--arch)")
VERSION = "0.2.2"

__all__ = ["SUPPORTED_FORMATS", "Network", "describe", "load_torchlogix", "lower_network",
           "output_ports", "own_forward", "reference_outputs"]


def load_torchlogix(source: str | Path | nn.Module | Network, *, arch: str | None = None,
                    arch_kwargs: dict | None = None, input_bits: int | None = None) -> Network:
    """Read a torchlogix model: a ``torch.save(model)`` file, a module, or a state_dict file
    with its architecture (wrapper ``{"state_dict", "model": NAME, "model_kwargs"}`` or
    ``arch``). ``input_bits``: for a model that starts with a binarization layer, the circuit
    takes unsigned features of that many bits and compares them with the thresholds in
    hardware (default: it takes the binarization's output bits). Raises UnknownFormatError
    when the source is not torchlogix's."""
    if isinstance(source, Network):
        return source
    if isinstance(source, nn.Module):
        label, obj = in_memory_label(source), source
    elif isinstance(source, (str, Path)):
        label, obj = str(source), load_file(source)
    else:
        raise UnknownFormatError(type(source).__name__)
    return read_network(source_of(obj, label, arch, arch_kwargs), VERSION, input_bits)


def dataset_vectors(net: Network, split: str) -> None:
    """torchlogix models record no dataset: compile draws or takes input vectors."""
    return None


def describe(net: Network) -> dict:
    """Summary for ``gatecomp info``: the layer table and what the circuit's input is."""
    layers = [{"name": r.name, "type": r.type, "in_shape": list(r.in_shape),
               "out_shape": list(r.out_shape), "gates_per_position": r.gates_per_position,
               "gates": r.gates, "parameters": r.parameters, "detail": r.detail}
              for r in net.rows]
    return {
        "source": net.source, "format": net.format, "library": f"torchlogix {net.version}",
        "input": input_description(net), "input_width": net.input_width,
        "input_shape": list(net.input_shape), "num_classes": net.num_classes,
        "block_size": net.block_size, "tau": net.group_sum.tau, "beta": net.group_sum.beta,
        "logic_gates": net.logic_gates, "layers": layers,
        **({"arch": net.arch} if net.arch else {}),
    }
