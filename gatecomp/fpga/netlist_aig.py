"""A synthesized netlist back to an AIG, with the vendor cell models, by Yosys itself.

The cell semantics are not re-guessed here: Yosys reads the netlist together with its own
simulation models (``share/<family>/cells_sim.v``: SB_LUT4, SB_CARRY, SB_DFF*; LUT4, CCU2C,
PFUMX, L6MUX21, TRELLIS_FF), flattens, turns the models' processes into gates and flip-flops
and writes AIGER (``write_aiger -map``). What could make that AIG differ from the netlist is
refused in one line: a cell without a model (``hierarchy -check``), any cell other than AND,
NOT and a rising-edge flip-flop after mapping, a flip-flop clocked by anything but ``clk``,
an undriven net that is not a top input port, and any other warning of the conversion.
Asynchronous resets become synchronous (``async2sync``): the proof holds ``rst`` at 0, where
the two agree. Constant ``x`` bits (the carry chains' open carry-ins) become free inputs
(``setundef -anyseq``), so the proof holds for every value they could take.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..aig import AIG
from ..aig.aiger_seq import read_latched_aiger
from ..errors import GatecompError
from ..toolchain import require_fpga_tool
from .netlist import cell_models

NETLIST_FILE = "netlist.v"
AIGER_FILE = "netlist.aig"
MAP_FILE = "netlist.map"


@dataclass(frozen=True, eq=False)
class NetlistAig:
    """One module of a netlist as a step AIG: inputs ``[ports..., latches]``, outputs
    ``[ports..., next latches]``; ``inputs[name]`` / ``outputs[name]`` give each port's
    step-input / step-output index per bit (LSB first); ``free`` are the step inputs of no
    port (``x`` constants made free: any value, every cycle)."""

    step: AIG
    num_latches: int
    inputs: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray]
    free: np.ndarray
    seconds: float

    @property
    def num_port_inputs(self) -> int:
        return self.step.num_inputs - self.num_latches


def conversion_script(top: str, models: str) -> str:
    """The Yosys script (relative paths, run in the conversion's scratch directory)."""
    only_gates = "t:* t:$_AND_ %d t:$_NOT_ %d t:$_DFF_P_ %d t:$anyseq %d t:$scopeinfo %d"
    return "\n".join([
        f"read_verilog -sv {models}",
        f"read_verilog -sv {NETLIST_FILE}",
        f"hierarchy -check -top {top}",
        "proc", "flatten", "async2sync", "dffunmap", "opt_clean -purge",
        "techmap", "opt_clean -purge", "setundef -anyseq", "aigmap", "opt_clean -purge",
        f"select -assert-none {only_gates}",
        "select -assert-none t:$_DFF_P_ %ci1:+$_DFF_P_[C] t:$_DFF_P_ %d w:clk %d",
        f"write_aiger -map {MAP_FILE} {AIGER_FILE}", ""])


def netlist_to_aig(netlist: Path, top: str, family: str, timeout: float = 1800.0) -> NetlistAig:
    """Module ``top`` of ``netlist`` (an ``ice40`` or ``ecp5`` netlist) as a :class:`NetlistAig`.

    Raises
    ------
    GatecompError
        Yosys is missing or fails, or the conversion is not trusted (see the module docstring).
    """
    import time

    yosys = require_fpga_tool("yosys")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gatecomp-netlist-") as tmp:
        work = Path(tmp)
        shutil.copyfile(netlist, work / NETLIST_FILE)
        models = cell_models(family, work, for_yosys=True).name
        (work / "convert.ys").write_text(conversion_script(top, models))
        try:
            proc = subprocess.run([yosys, "-q", "-l", "convert.log", "convert.ys"], cwd=work,
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise GatecompError(f"Yosys did not turn {netlist.name} into an AIG within "
                                f"{timeout:.0f} s") from None
        log = (work / "convert.log").read_text(errors="replace") if \
            (work / "convert.log").is_file() else proc.stdout + proc.stderr
        if proc.returncode != 0:
            raise GatecompError(_failure(netlist, log + proc.stderr))
        inputs = _port_inputs(work / MAP_FILE)
        _check_warnings(log, top, models, set(inputs))
        latched = read_latched_aiger(work / AIGER_FILE)
        ins, outs = _port_bits(work / MAP_FILE)
    ports = latched.step.num_inputs - latched.num_latches
    named = np.concatenate([*ins.values(), np.zeros(0, np.int64)])
    free = np.setdiff1d(np.arange(ports), named)
    return NetlistAig(latched.step, latched.num_latches, ins, outs, free,
                      time.perf_counter() - start)


def _failure(netlist: Path, log: str) -> str:
    """The one-line refusal for a failed conversion (the select assertions named)."""
    error = _first_error(log)
    if "selection is not empty" in error and "w:clk" in error:
        return (f"{netlist.name}: a flip-flop is not clocked by clk (rising edge); not "
                f"provable here ({error})")
    if "selection is not empty" in error:
        return (f"{netlist.name}: a cell is left that is no AND, NOT or rising-edge "
                f"flip-flop after mapping the vendor models ({error})")
    return f"Yosys could not read {netlist.name} as an AIG: {error}"


def _first_error(log: str) -> str:
    lines = [ln.strip() for ln in log.splitlines() if "ERROR" in ln]
    return lines[0] if lines else (log.strip().splitlines() or ["no output"])[-1]


_UNDRIVEN = re.compile(r"^Warning: Treating undriven bit (\S+?)\.\\(\S+?)(?: \[\d+\])? like")
_TOTAL = re.compile(r"^Warning: Treating a total of \d+ undriven bits in \S+ like \$anyseq\.$")


def _check_warnings(log: str, top: str, models: str, inputs: set[str]) -> None:
    """Refuse any warning but the vendor models' own and top inputs read as free inputs."""
    for line in log.splitlines():
        if not line.startswith("Warning:") and not line.startswith(f"{NETLIST_FILE}:"):
            continue
        if line.startswith(f"{models}:") or (models in line and NETLIST_FILE not in line):
            continue  # the vendor models' own parse (tri-state I/O, RAM), not the netlist
        m = _UNDRIVEN.match(line)
        if m and m.group(1) == top and m.group(2) in inputs:
            continue
        if _TOTAL.match(line):
            continue
        raise GatecompError(f"the netlist's conversion to an AIG is not trusted: {line.strip()}")


def _map_rows(path: Path) -> list[tuple[str, int, int, str]]:
    rows = []
    for line in path.read_text().splitlines():
        kind, index, bit, name = line.split(maxsplit=3)
        rows.append((kind, int(index), int(bit), name))
    return rows


def _port_inputs(path: Path) -> list[str]:
    return [name for kind, _, _, name in _map_rows(path) if kind == "input"]


def _port_bits(path: Path) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Step-input and step-output index per bit of each port, from ``write_aiger -map``."""
    ports: dict[str, dict[str, dict[int, int]]] = {"input": {}, "output": {}}
    for kind, index, bit, name in _map_rows(path):
        if kind in ports:
            ports[kind].setdefault(name, {})[bit] = index
    return tuple({name: np.array([bits[b] for b in sorted(bits)], dtype=np.int64)
                  for name, bits in ports[kind].items()} for kind in ("input", "output"))
