"""``RecurrentLogic``: a logic gate network applied step by step with a state vector.

No logic-gate library ships a recurrent layer, so this is ours. One *step* reads the input bits
of time step ``t`` and the state of the step before, ``v_t = [x_t, h_{t-1}]``, and runs them
through a stack of :class:`~gatecomp.nn.LogicLayer` (the *step layers*); the last step layer's
outputs are the new state ``h_t`` (so its width is the state width). The *readout* (more logic
layers and a :class:`~gatecomp.nn.GroupSum`) turns a state into class counts: after the last
step (``output="last"``, a sequence classifier) or after every step (``output="each"``).

The initial state ``h_0`` is a constant: ``init_logits`` holds one logit per state bit and the
eval-mode state is ``init_logits > 0``. With ``learn_init=False`` (the default) the logits are
a buffer of -1 (state zeros); with ``learn_init=True`` they are trained (``sigmoid`` of the
logits in training mode), so the circuit's reset value is learned.

In training mode every gate is relaxed (see :class:`~gatecomp.nn.LogicLayer`) and the state is
a vector of probabilities; in eval mode the gates are discrete and, on 0/1 inputs, every value
is exactly 0 or 1: this eval forward is the reference a compiled sequential circuit (the step
logic plus ``state_width`` registers reset to ``h_0``) must match bit for bit, on every step.

Input layout: ``(batch, steps, in_dim)`` bits. :func:`rows_as_steps` cuts flat features (the 64
pixels of an 8x8 digit) into one row per step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .group_sum import GroupSum
from .logic_layer import LogicLayer

OUTPUTS = ("last", "each")


def rows_as_steps(x: np.ndarray, steps: int) -> np.ndarray:
    """(samples, F) features -> (samples, steps, F // steps): row-major, one row per step.

    An 8x8 digit (64 pixels, row by row) with ``steps=8`` becomes 8 steps of 8 pixels: the
    network reads the image one row per clock.
    """
    x = np.asarray(x)
    if x.ndim != 2 or steps < 1 or x.shape[1] % steps:
        raise ValueError(f"cannot cut features of shape {x.shape} into {steps} equal steps")
    return x.reshape(x.shape[0], steps, x.shape[1] // steps)


class RecurrentLogic(nn.Module):
    """``h_t = step([x_t, h_{t-1}])``; class counts ``readout(h_t)`` (last step, or each).

    Parameters
    ----------
    in_dim:
        Input bits per step.
    state_dim:
        State bits (the width of the last step layer).
    step_widths:
        Widths of the step layers before the last one (which has ``state_dim`` gates).
    readout_widths:
        Widths of the readout layers; the last must be a multiple of ``num_classes``.
    num_classes, tau:
        The readout's GroupSum.
    output:
        ``"last"`` (scores after the last step) or ``"each"`` (scores after every step).
    learn_init:
        Train the initial state (else it is all zeros).
    seed, parametrization, init:
        As :class:`~gatecomp.nn.LogicLayer` (layer ``i`` is seeded with ``seed + i``).
    """

    def __init__(self, in_dim: int, state_dim: int, step_widths: Sequence[int],
                 readout_widths: Sequence[int], num_classes: int, tau: float = 1.0, *,
                 output: str = "last", learn_init: bool = False, seed: int = 0,
                 parametrization: str = "raw", init: str = "residual"):
        super().__init__()
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
        if not readout_widths or readout_widths[-1] % num_classes:
            raise ValueError(f"the last readout width must be a multiple of {num_classes}")
        self.in_dim, self.state_dim, self.output = int(in_dim), int(state_dim), output
        self.learn_init = bool(learn_init)
        widths = [*step_widths, self.state_dim]
        self.step = _stack(self.in_dim + self.state_dim, widths, seed, parametrization, init)
        self.readout = _stack(self.state_dim, readout_widths, seed + len(widths),
                              parametrization, init)
        self.group_sum = GroupSum(num_classes, tau)
        logits = torch.full((self.state_dim,), -1.0)
        if self.learn_init:
            self.init_logits = nn.Parameter(logits)
        else:
            self.register_buffer("init_logits", logits)

    @property
    def num_classes(self) -> int:
        return self.group_sum.k

    def initial_state(self) -> torch.Tensor:
        """(state_dim,) ``h_0``: probabilities in training mode, 0/1 in eval mode."""
        if self.training:
            return torch.sigmoid(self.init_logits)
        return (self.init_logits > 0).to(self.init_logits.dtype)

    def states(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, steps, state_dim): ``h_1 .. h_T`` of (batch, steps, in_dim) inputs."""
        if x.ndim != 3 or x.shape[-1] != self.in_dim:
            raise ValueError(f"expected (batch, steps, {self.in_dim}) inputs, got "
                             f"{tuple(x.shape)}")
        h = self.initial_state().to(x.dtype).expand(x.shape[0], self.state_dim)
        out = []
        for t in range(x.shape[1]):
            h = self.step(torch.cat([x[:, t], h], dim=-1))
            out.append(h)
        return torch.stack(out, dim=1)

    def readout_bits(self, h: torch.Tensor) -> torch.Tensor:
        """The readout layers' outputs (what the GroupSum counts) of states ``h``."""
        return self.readout(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores: (batch, classes) after the last step, or (batch, steps, classes)."""
        h = self.states(x)
        if self.output == "last":
            h = h[:, -1]
        return self.group_sum(self.readout_bits(h))

    def spec(self) -> dict:
        """The architecture as plain data (what a checkpoint stores beside the state_dict)."""
        return {"in_dim": self.in_dim, "state_dim": self.state_dim,
                "step_widths": [m.out_dim for m in self.step][:-1],
                "readout_widths": [m.out_dim for m in self.readout],
                "num_classes": self.num_classes, "tau": self.group_sum.tau,
                "output": self.output, "learn_init": self.learn_init,
                "parametrization": self.step[0].parametrization}

    @classmethod
    def from_spec(cls, spec: dict) -> RecurrentLogic:
        """An untrained module of the architecture :meth:`spec` describes (weights to load)."""
        return cls(spec["in_dim"], spec["state_dim"], spec["step_widths"],
                   spec["readout_widths"], spec["num_classes"], spec["tau"],
                   output=spec["output"], learn_init=spec["learn_init"],
                   parametrization=spec["parametrization"])


def _stack(in_dim: int, widths: Sequence[int], seed: int, parametrization: str,
           init: str) -> nn.Sequential:
    """Logic layers of ``widths`` on ``in_dim`` inputs (the first wired ``unique``)."""
    layers = []
    for i, width in enumerate(widths):
        layers.append(LogicLayer(in_dim, int(width), "unique" if i == 0 else "random",
                                 seed=seed + i, parametrization=parametrization, init=init))
        in_dim = int(width)
    return nn.Sequential(*layers)
