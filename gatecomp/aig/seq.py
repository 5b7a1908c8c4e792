"""SeqNet: a sequential circuit as its combinational step plus state registers.

The IR stays combinational: every pass, the simulator and the equivalence checker see only
``step``, a :class:`LogicNet` whose last input port is the current state (``state``) and whose
last output port is the next state (``state_next``); the other ports are the step's inputs
(``x``: the bits of one time step) and outputs (class words, ``pred``). Around it a SeqNet
records what makes it sequential: the registers' reset value ``init`` (the state at the start
of every sequence), whether the outputs are read after the last step of a sequence or after
each step (``emit``), and the sequence length the model was trained on (``steps``; the hardware
takes sequences of any length, marked by a ``last`` flag).

Optimizing the step keeps the state encoding (the same registers, the same bits), so the
optimized step proven equal to the lowered one, combinationally, proves the two sequential
circuits equal. AIGER's latch numbering matches: latches are the variables after the inputs,
which is where the state port sits (see :func:`gatecomp.aig.aiger.write_aiger`'s ``latches``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .net import LogicNet, Port
from .simulate import simulate

STATE_PORT = "state"
NEXT_STATE_PORT = "state_next"
EMITS = ("last", "each")


@dataclass(frozen=True, eq=False)
class SeqNet:
    """A step LogicNet (``[x..., state] -> [outputs..., state_next]``) plus its registers."""

    step: LogicNet
    init: tuple[int, ...]
    emit: str = "last"
    steps: int | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "init", tuple(int(b) for b in self.init))
        ins, outs = self.step.inputs, self.step.outputs
        if not ins or ins[-1].name != STATE_PORT or not outs or outs[-1].name != NEXT_STATE_PORT:
            raise ValueError(f"the step's last input port must be {STATE_PORT!r} and its last "
                             f"output port {NEXT_STATE_PORT!r}")
        if ins[-1].width != outs[-1].width or len(self.init) != ins[-1].width:
            raise ValueError("state, next state and init widths differ")
        if any(b not in (0, 1) for b in self.init):
            raise ValueError("init must hold 0/1 bits")
        if self.emit not in EMITS:
            raise ValueError(f"emit must be one of {EMITS}, got {self.emit!r}")

    @property
    def aig(self):
        """The step's AIG (what the passes optimize)."""
        return self.step.aig

    @property
    def state_width(self) -> int:
        return self.step.inputs[-1].width

    @property
    def input_ports(self) -> tuple[Port, ...]:
        """The per-step input ports (without the state)."""
        return self.step.inputs[:-1]

    @property
    def output_ports(self) -> tuple[Port, ...]:
        """The per-step output ports (without the next state)."""
        return self.step.outputs[:-1]

    @property
    def input_width(self) -> int:
        return self.step.aig.num_inputs - self.state_width

    def with_step(self, step: LogicNet) -> SeqNet:
        """The same registers around a transformed (function-preserving) step."""
        return replace(self, step=step)


@dataclass(frozen=True, eq=False)
class SeqRun:
    """A SeqNet run over sequences: per port (sequences, steps) words, and the step inputs
    ``[x_t, h_{t-1}]`` it saw, (sequences * steps, inputs) in step-major order."""

    words: dict[str, np.ndarray]
    step_inputs: np.ndarray

    def emitted(self, emit: str) -> dict[str, np.ndarray]:
        """What the hardware outputs: the last step's words (sequences,) or all of them."""
        if emit == "each":
            return self.words
        return {k: v[:, -1].copy() for k, v in self.words.items()}


def run_sequences(seq: SeqNet, bits: np.ndarray) -> SeqRun:
    """Simulate ``seq`` on (sequences, steps, input_width) bits, each from the reset state.

    One bit-parallel sweep of the step per time step: every sequence advances together.
    """
    bits = np.asarray(bits, dtype=bool)
    if bits.ndim != 3 or bits.shape[2] != seq.input_width or bits.shape[1] < 1:
        raise ValueError(f"expected (sequences, steps >= 1, {seq.input_width}) bits, got "
                         f"{bits.shape}")
    n, steps = bits.shape[:2]
    state = np.tile(np.asarray(seq.init, dtype=bool), (n, 1))
    names = [p.name for p in seq.output_ports]
    words = {name: np.zeros((n, steps), dtype=np.int64) for name in names}
    seen = []
    for t in range(steps):
        v = np.concatenate([bits[:, t], state], axis=1)
        seen.append(v)
        out = simulate(seq.step.aig, v)
        for name, w in seq.step.output_words(out).items():
            if name in words:
                words[name][:, t] = w
        state = out[:, -seq.state_width:]
    return SeqRun(words, np.concatenate(seen, axis=0))
