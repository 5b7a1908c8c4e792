"""Streaming convolution hardware: a torchlogix network read as window layers + a flat tail.

Between the frontends and the backends: :mod:`.layers` turns the torchlogix frontend's typed
stages (:class:`~gatecomp.frontends.torchlogix.network.Network`) into one position-independent
kernel circuit per conv/pool layer (checked to be the same at every position), the geometry
its window generator needs, and the dense tail after the last window layer; :mod:`.model`
evaluates that decomposition in software (the reference the RTL is held to besides the
model's own forward); :mod:`.formal` proves the kernels equal to the frontend's flat lowering.
The hardware itself is :mod:`gatecomp.backends.streaming` (Amaranth).
"""

from .layers import StreamingNet, WindowLayer, streaming_net

__all__ = ["StreamingNet", "WindowLayer", "streaming_net"]
