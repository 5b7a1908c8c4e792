"""A build directory as the property prover sees it: the optimized AIG, its ports and vectors.

``gatecomp prove`` reasons about the circuit that was compiled (``NAME.aig``), with inputs as
the circuit takes them (the ``in_data`` bits, in AIG input order), so everything it reads comes
from the build: the sidecar names and sizes the ports, ``sim/vectors.npz`` holds the test
vectors the build was checked on, and ``report.json`` says whether the input bits are integer
feature words (for ``--metric linf``) and which model file the build came from (so every
counterexample can be replayed through the model's own reference, not only through the AIG).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..aig import AIG, simulate
from ..errors import GatecompError
from ..optimize import read_aig_file
from ..sidecar import Sidecar
from .rtl_sim import PRED_PORT, VECTORS_FILE, _find_design

#: torchlogix ``--input-bits N`` builds describe their input as "N-bit unsigned features ..."
_TORCHLOGIX_FEATURES = re.compile(r"^(\d+)-bit unsigned features")


@dataclass(frozen=True)
class Word:
    """A named port of the circuit: bits ``[lsb, lsb + width)`` of its inputs or outputs."""

    name: str
    lsb: int
    width: int


@dataclass(frozen=True, eq=False)
class BuildCircuit:
    """What the prover needs of one build (see the module docstring)."""

    build_dir: Path
    aig: AIG
    inputs: tuple[Word, ...]
    outputs: tuple[Word, ...]
    vectors: np.ndarray  # (N, num_inputs) bool: the build's test vectors
    feature_bits: int | None  # bits per integer feature word (None: the inputs are plain bits)
    source: str  # the model file the build was compiled from
    reading: dict  # reading options load_model needs to read ``source`` as compile did
    care_set: bool  # compiled with --care-set: the AIG may differ from the model off-care

    def word(self, name: str) -> Word:
        """The input or output port ``name`` (a one-line GatecompError naming the ports)."""
        for w in (*self.outputs, *self.inputs):
            if w.name == name:
                return w
        known = ", ".join(w.name for w in (*self.outputs, *self.inputs))
        raise GatecompError(f"no port named {name!r} in this circuit (ports: {known})")

    def is_input(self, name: str) -> bool:
        return any(w.name == name for w in self.inputs)

    def pred_literals(self) -> np.ndarray:
        """AIG literals of the ``pred`` output (the class index, LSB first)."""
        w = self.word(PRED_PORT)
        return np.asarray(self.aig.outputs[w.lsb:w.lsb + w.width], dtype=np.int64)

    def output_words(self, out_bits: np.ndarray) -> dict[str, np.ndarray]:
        """(samples, num_outputs) bits -> one unsigned integer array per output port."""
        return {w.name: _value(out_bits[:, w.lsb:w.lsb + w.width]) for w in self.outputs}

    def classify(self, in_bits: np.ndarray) -> np.ndarray:
        """``pred`` of the AIG on (samples, num_inputs) input bits."""
        return self.output_words(simulate(self.aig, in_bits))[PRED_PORT]


def _value(bits: np.ndarray) -> np.ndarray:
    """(samples, width) bits, LSB first -> int64 values."""
    bits = np.asarray(bits, dtype=np.int64)
    return bits @ (1 << np.arange(bits.shape[1], dtype=np.int64))


def load_build(build_dir: Path) -> BuildCircuit:
    """Read ``build_dir`` (a ``gatecomp compile`` output); one-line GatecompError if it is not
    one or its AIG does not match its sidecar."""
    build_dir = Path(build_dir)
    _, sidecar = _find_design(build_dir)
    aig_path = build_dir / f"{sidecar.module}.aig"
    if not aig_path.is_file():
        raise GatecompError(f"{aig_path.name} missing in {build_dir}")
    aig = read_aig_file(aig_path)
    inputs = tuple(Word(f.name, f.lsb, f.width) for f in sidecar.in_data.fields)
    outputs = _output_words(sidecar)
    if sidecar.in_data.width != aig.num_inputs or sum(w.width for w in outputs) != aig.num_outputs:
        raise GatecompError(f"{aig_path} does not match the sidecar's port widths")
    if not any(w.name == PRED_PORT for w in outputs):
        raise GatecompError(f"the circuit in {build_dir} has no {PRED_PORT!r} output")
    report = _read_report(build_dir)
    bits = _feature_bits(report.get("network", {}), aig.num_inputs)
    reading = {"input_bits": bits} if report.get("network", {}).get("frontend") == \
        "torchlogix" and bits else {}
    return BuildCircuit(build_dir, aig, inputs, outputs, _read_vectors(build_dir, aig.num_inputs),
                        bits, sidecar.source, reading, bool(report.get("care_set")))


def _output_words(sidecar: Sidecar) -> tuple[Word, ...]:
    """The output ports in AIG output order (the order the sidecar lists them)."""
    words, at = [], 0
    for out in sidecar.outputs:
        words.append(Word(out.name, at, out.width))
        at += out.width
    return tuple(words)


def _read_report(build_dir: Path) -> dict:
    path = build_dir / "report.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise GatecompError(f"cannot read {path}: {exc}") from None


def _feature_bits(network: dict, width: int) -> int | None:
    """Bits per integer feature when the circuit takes integer features, else None.

    QNN builds record a ``uniform`` input encoding (``bits`` per feature, LSB first,
    feature-major); torchlogix ``--input-bits N`` builds say so in their input description.
    A thermometer encoding is not an integer word, so it gives None.
    """
    enc = network.get("encoding") or {}
    bits = enc.get("bits") if enc.get("type") == "uniform" else None
    if bits is None and isinstance(network.get("input"), str):
        m = _TORCHLOGIX_FEATURES.match(network["input"])
        bits = int(m.group(1)) if m else None
    if bits is None or bits <= 0 or width % bits:
        return None
    return int(bits)


def _read_vectors(build_dir: Path, width: int) -> np.ndarray:
    """The test vectors of ``sim/vectors.npz`` as (N, width) bool (empty if there are none)."""
    path = build_dir / "sim" / VECTORS_FILE
    if not path.is_file():
        return np.zeros((0, width), dtype=bool)
    with np.load(path, allow_pickle=False) as data:
        packed, stored = data["in_data"], int(data["in_width"])
    if stored != width:
        raise GatecompError(f"{path} holds {stored}-bit vectors; the circuit takes {width}")
    return np.unpackbits(packed, axis=1, bitorder="little")[:, :width].astype(bool)




def model_reference(build: BuildCircuit) -> tuple[Callable[[np.ndarray], dict] | None, str]:
    """The model's own reference (input bits -> output words), or None and why not.

    The build's source path is tried as recorded (relative to the working directory, where
    compile ran) and relative to the build directory's parent.
    """
    from ..frontends.registry import load_model

    candidates = [Path(build.source), build.build_dir.parent / build.source]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        return None, f"model {build.source} not found"
    try:
        frontend, model = load_model(path, **build.reading)
    except GatecompError as exc:
        return None, f"model {build.source} not readable ({exc})"
    return (lambda bits: frontend.reference(model, np.asarray(bits, dtype=bool))), str(path)
