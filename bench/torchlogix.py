"""gatecomp against torchlogix's own ``Circuit`` AIG export, side by side, in one run.

Every model is built here with torchlogix 0.2.2's own classes (random weights, ``randn`` on every
parameter, fixed seeds) and pickled whole under ``build/bench_torchlogix/``. Then, each in a
fresh child process under a time limit (wall seconds, peak RSS by ``RUSAGE_CHILDREN``):

* **torchlogix**: ``bench/torchlogix_export.py`` under Python 3.12 (torchlogix's exporter needs
  it): ``Circuit.from_model(model, input_shape)`` and ``write_to_aiger_file``. Its AIG then goes
  through ABC ``resyn2`` (spelled out: Debian's berkeley-abc ships no abc.rc), as a stronger
  baseline than the raw export.
* **gatecomp**: ``gatecomp compile MODEL -o DIR --vectors 100`` (load, lower, optimize, check
  the circuit against torchlogix's own eval forward on 100 random vectors, prove optimized ==
  lowered, LUT estimate, Verilog): the whole command, so its time includes the checks.

ANDs and levels of all three AIGs are counted the same way, by gatecomp's AIGER reader and
``depth``. gatecomp's AIG also carries the argmax (``pred``) the torchlogix AIG lacks; the ratio
counts it (the column ``gc counts`` gives the ANDs of the count outputs alone). Where the two
AIGs have the same interface (same inputs in the same order, the same counts LSB first), ABC
``cec`` proves gatecomp's count outputs equal to torchlogix's AIG.

Two zoo models cannot be exported by torchlogix as built: ``ClgnMnist*`` always starts with a
``DummyBinarization`` (``x.float()``) and ``ClgnCifar10*`` with a ``FixedBinarization``, whose
float output breaks the export (``Index put requires the source and destination dtypes
match``), and their GroupSum tau (6.5, 20) is refused by the AIG writer. For those the
torchlogix column is torchlogix's export of the same logic: the model without its leading
binarization (inputs: the 0/1 bits the binarization would produce) and with tau = 1 (the AIG
holds the per-class counts either way); the note says so and keeps the failure on the model as
built. Models torchlogix cannot export at all show its exception's first line instead.

    .venv/bin/python bench/torchlogix.py                      # every model (~15 min, 2 cores)
    .venv/bin/python bench/torchlogix.py --models dense_raw2_2k zoo_ClgnMnistTiny
    .venv/bin/python bench/torchlogix.py --py312 /path/to/python3.12   # torchlogix's venv
    make bench-torchlogix                                     # makes build/venv312 first
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# this file's folder leaves sys.path: its name would shadow the torchlogix package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from bench.machine import cpu_name  # noqa: E402
from gatecomp.aig import (  # noqa: E402
    AIG,
    depth,
    random_inputs,
    reachable,
    read_aiger,
    simulate_words,
)
from gatecomp.frontends.dlgn.torchlogix_import import (  # noqa: E402
    import_torchlogix,
    torchlogix_version,
)
from gatecomp.toolchain import find_abc  # noqa: E402
from gatecomp.verify.abc_cec import abc_cec  # noqa: E402

WORK = ROOT / "build" / "bench_torchlogix"
RESULTS = ROOT / "bench" / "results" / "torchlogix.md"
EXPORTER = ROOT / "bench" / "torchlogix_export.py"
#: ABC's resyn2 alias (abc.rc), spelled out since Debian's berkeley-abc ships no abc.rc
RESYN2 = ("balance; rewrite; refactor; balance; rewrite; rewrite -z; balance; refactor -z; "
          "rewrite -z; balance")
GOAL = 0.30  # gatecomp ANDs <= 0.30x torchlogix's export


# ----------------------------------------------------------------------------------------------
# models, built with torchlogix's own classes
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    name: str
    build: Callable[[], nn.Module]
    shape: tuple[int, ...]  # input shape without batch
    #: the same logic in a form torchlogix's exporter takes (model -> (module, shape, why))
    variant: Callable[[nn.Module], tuple[nn.Module, tuple[int, ...], str]] | None = None
    what: str = ""


def _tl():
    assert import_torchlogix() is not None, "torchlogix 0.2.2 is not installed: run `make setup`"
    import torchlogix.layers as layers
    import torchlogix.models as zoo
    from torchlogix.modules.resblock import ResidualLogicBlock

    return layers, zoo, ResidualLogicBlock


def randomize(model: nn.Module, seed: int) -> nn.Module:
    """Every parameter drawn from N(0, 1) (every gate type occurs), the model in eval mode."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return model.eval()


def dense(widths: tuple[int, ...], rank: int, parametrization: str, tau: float = 1.0):
    def build() -> nn.Module:
        layers, _, _ = _tl()
        mods: list[nn.Module] = [nn.Flatten()]
        for a, b in zip(widths, widths[1:], strict=False):
            mods.append(layers.LogicDense(a, b, lut_rank=rank, parametrization=parametrization))
        return nn.Sequential(*mods, layers.GroupSum(10, tau=tau))

    return build


def clgn_mnist(cls: str):
    def build() -> nn.Module:
        _, zoo, _ = _tl()
        return getattr(zoo, cls)(thresholds=torch.tensor([0.5]), binarization="dummy",
                                 binarization_kwargs={})

    return build


def clgn_cifar10_small() -> nn.Module:
    _, zoo, _ = _tl()
    return zoo.ClgnCifar10Small(thresholds=torch.tensor([[0.25, 0.5, 0.75]] * 3),
                                binarization="fixed", binarization_kwargs={},
                                connections_kwargs={})


def residual_net() -> nn.Module:
    layers, _, block = _tl()
    return nn.Sequential(
        block(in_dim=(12, 12), in_channels=4, out_channels=4, tree_depth=2,
              receptive_field_size=3, padding=1),
        nn.Flatten(), layers.LogicDense(4 * 12 * 12, 2000), layers.LogicDense(2000, 1000),
        layers.GroupSum(10))


def learnable_binarization_net() -> nn.Module:
    layers, _, _ = _tl()
    th = torch.tensor([[-0.5, 0.3], [0.0, 0.8], [0.2, 0.6]])
    return nn.Sequential(
        layers.LearnableBinarization(th, feature_dim=1),
        layers.LogicConv2d(in_dim=(16, 16), channels=6, num_kernels=8, tree_depth=2,
                           receptive_field_size=3, padding=1),
        layers.OrPooling2d(kernel_size=2, stride=2),
        nn.Flatten(), layers.LogicDense(8 * 8 * 8, 2000), layers.LogicDense(2000, 1000),
        layers.GroupSum(10))


def strip_binarization(model: nn.Module) -> tuple[nn.Module, tuple[int, ...], str]:
    """The model without its leading binarization and with GroupSum tau = 1 (same counts)."""
    layers, _, _ = _tl()
    first = model[0]
    assert isinstance(first, layers.Binarization), type(first)
    rest = nn.Sequential(*list(model)[1:])
    gs = rest[-1]
    why = [f"without its leading {type(first).__name__}"]
    if gs.tau != 1.0:
        why.append(f"tau {gs.tau:g} -> 1")
        gs.tau = 1.0
    conv = rest[0]  # its input: the bits the binarization made, channel-major, bit-minor
    return rest, (conv.channels, *conv.in_dim), ", ".join(why)


SPECS: list[Spec] = [
    Spec("dense_raw2_8k", dense((784, 8000, 8000, 8000), 2, "raw"), (784,),
         what="784-8000-8000-8000, raw, lut_rank 2"),
    Spec("dense_raw2_2k", dense((784, 2000, 2000), 2, "raw"), (784,),
         what="784-2000-2000, raw, lut_rank 2"),
    Spec("dense_light2", dense((784, 4000, 4000), 2, "light"), (784,),
         what="784-4000-4000, light, lut_rank 2"),
    Spec("zoo_ClgnMnistTiny", clgn_mnist("ClgnMnistTiny"), (1, 28, 28), strip_binarization,
         what="torchlogix.models.ClgnMnistTiny (k=4)"),
    Spec("zoo_ClgnMnistSmall", clgn_mnist("ClgnMnistSmall"), (1, 28, 28), strip_binarization,
         what="torchlogix.models.ClgnMnistSmall (k=16, tau 6.5)"),
    Spec("zoo_ClgnCifar10Small", clgn_cifar10_small, (3, 32, 32), strip_binarization,
         what="torchlogix.models.ClgnCifar10Small (k=32, 3-bit FixedBinarization, tau 20)"),
    Spec("dense_light4", dense((784, 2000, 1000), 4, "light"), (784,),
         what="784-2000-1000, light, lut_rank 4"),
    Spec("dense_warp6", dense((784, 2000, 1000), 6, "warp"), (784,),
         what="784-2000-1000, warp, lut_rank 6"),
    Spec("groupsum_tau", dense((784, 2000, 2000), 2, "raw", tau=7.3), (784,),
         what="784-2000-2000, raw, lut_rank 2, GroupSum tau 7.3"),
    Spec("residual_block", residual_net, (4, 12, 12),
         what="ResidualLogicBlock(4x12x12) -> 2000 -> 1000"),
    Spec("learnable_binarization", learnable_binarization_net, (3, 16, 16),
         what="LearnableBinarization(3 ch x 2 bits) -> conv -> pool -> 2000 -> 1000"),
]


# ----------------------------------------------------------------------------------------------
# children: wall time, peak RSS, time limit
# ----------------------------------------------------------------------------------------------


@dataclass
class Child:
    rc: int
    seconds: float
    peak_mb: float
    timed_out: bool
    log: Path

    def tail(self, n: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""


#: a small launcher between this process and the measured one: Linux's peak RSS of a process
#: counts the memory of the process it was forked from until its exec, so a child forked from
#: this (large) process would report at least this process' size; the launcher is small, and
#: reports its own child's peak (RUSAGE_CHILDREN) to the file named first
LAUNCHER = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[2:]); "
            "open(sys.argv[1], 'w').write(str(resource.getrusage("
            "resource.RUSAGE_CHILDREN).ru_maxrss)); sys.exit(rc)")


def run_child(cmd: list[str], limit: float, log: Path, env: dict | None = None) -> Child:
    """``cmd`` in a fresh process group under :data:`LAUNCHER`: wall time and peak RSS."""
    killed = threading.Event()
    peak_file = log.with_suffix(".peak")
    peak_file.unlink(missing_ok=True)
    with open(log, "w") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-S", "-c", LAUNCHER, str(peak_file), *cmd],
                                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                start_new_session=True, env=env)

        def kill() -> None:
            killed.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(limit, kill)
        timer.start()
        try:
            rc = proc.wait()
        finally:
            timer.cancel()
        secs = time.perf_counter() - t0
    try:
        peak = int(peak_file.read_text()) / 1024.0  # KiB
    except (OSError, ValueError):
        peak = float("nan")
    return Child(rc, secs, peak, killed.is_set(), log)


# ----------------------------------------------------------------------------------------------
# the three flows
# ----------------------------------------------------------------------------------------------


@dataclass
class Side:
    ands: int | None = None
    levels: int | None = None
    seconds: float | None = None
    peak_mb: float | None = None
    error: str = ""
    extra: dict = field(default_factory=dict)


def measure(path: Path) -> tuple[AIG, int, int]:
    aig = read_aiger(path)
    return aig, aig.num_ands, depth(aig)


def gatecomp_side(model_pt: Path, name: str, limit: float) -> tuple[Side, AIG | None]:
    out = WORK / f"{name}.gc"
    cmd = [sys.executable, "-m", "gatecomp", "compile", str(model_pt), "-o", str(out),
           "--vectors", "100", "--force", "--name", "net"]
    child = run_child(cmd, limit, WORK / f"{name}.gc.log")
    side = Side(seconds=child.seconds, peak_mb=child.peak_mb)
    if child.timed_out:
        side.error = f"timed out after {limit:.0f} s"
        return side, None
    if child.rc:
        lines = [ln for ln in child.tail().splitlines() if ln.strip()]
        side.error = f"exit {child.rc}: {lines[-1] if lines else ''}"
        return side, None
    report = json.loads((out / "report.json").read_text())
    aig, side.ands, side.levels = measure(out / "net.aig")
    checks = report.get("checks", {})
    eq = checks.get("equivalence") or {}
    side.extra = {
        "logic_gates": report.get("network", {}).get("logic_gates"),
        "mismatches": checks.get("ir_vs_reference_mismatches"),
        "vectors": report.get("vectors", {}).get("count"),
        "reference": (checks.get("reference") or {}).get("name"),
        "proof": eq.get("message") if eq else "not run",
        "abc_cec": (checks.get("abc_cec") or {}).get("message"),
        "timings_s": report.get("timings_s"),
    }
    return side, aig


def count_outputs(aig: AIG) -> AIG:
    keep = [k for k, n in enumerate(aig.output_names) if not n.startswith("pred")]
    return aig.with_outputs(aig.outputs[keep], tuple(aig.output_names[k] for k in keep))


def cone_ands(aig: AIG) -> int:
    return int(reachable(aig)[aig.first_and:].sum())


def torchlogix_side(py312: str, model_pt: Path, shape: tuple[int, ...], tag: str,
                    limit: float) -> tuple[Side, Path | None]:
    aig_path, res_path = WORK / f"{tag}.tl.aig", WORK / f"{tag}.tl.json"
    aig_path.unlink(missing_ok=True)
    res_path.unlink(missing_ok=True)
    cmd = [py312, str(EXPORTER), str(model_pt), ",".join(map(str, shape)), str(aig_path),
           str(res_path)]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    child = run_child(cmd, limit, WORK / f"{tag}.tl.log", env=env)
    side = Side(seconds=child.seconds, peak_mb=child.peak_mb)
    if child.timed_out:
        side.error = f"timed out after {limit:.0f} s"
        return side, None
    if not res_path.exists():
        lines = [ln for ln in child.tail().splitlines() if ln.strip()]
        side.error = f"exit {child.rc}: {lines[-1] if lines else ''}"
        return side, None
    res = json.loads(res_path.read_text())
    side.extra = {k: res.get(k) for k in ("from_model_s", "export_s", "gates", "sum_nodes")}
    if not res["ok"]:
        side.error = res["error"]
        return side, None
    _, side.ands, side.levels = measure(aig_path)
    return side, aig_path


_ELAPSE = re.compile(r"elapse:\s*([0-9.]+)")


def abc_resyn2(src: Path, limit: float) -> Side:
    abc = find_abc()
    if abc is None:
        return Side(error="ABC not found")
    dst = src.with_suffix(".resyn2.aig")
    dst.unlink(missing_ok=True)
    script = f"read {src}; strash; time -c; {RESYN2}; time; write_aiger {dst}"
    t0 = time.perf_counter()
    try:
        res = subprocess.run([abc, "-c", script], capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return Side(error=f"timed out after {limit:.0f} s")
    wall = time.perf_counter() - t0
    if res.returncode or not dst.exists():
        return Side(error=f"ABC failed: {(res.stdout + res.stderr)[-300:]}")
    _, ands, levels = measure(dst)
    found = _ELAPSE.findall(res.stdout)
    return Side(ands, levels, float(found[-1]) if found else wall)


def compare(gc: AIG, tl_path: Path, limit: float) -> str:
    """gatecomp's count outputs against torchlogix's AIG, where the ports match: random
    simulation (64k vectors), then ABC ``cec`` within ``limit`` seconds (popcounts built two
    different ways make hard miters: a timeout leaves the simulation's verdict)."""
    tl = read_aiger(tl_path)
    counts = count_outputs(gc)
    if counts.num_inputs != tl.num_inputs or counts.num_outputs != tl.num_outputs:
        return (f"not compared (ports differ: {counts.num_inputs}/{counts.num_outputs} vs "
                f"{tl.num_inputs}/{tl.num_outputs} inputs/outputs)")
    words = random_inputs(tl.num_inputs, 1024, seed=1)
    diff = simulate_words(counts, words) != simulate_words(tl, words)
    if diff.any():
        return f"DIFFERENT on random vectors ({int(diff.any(axis=1).sum())} outputs differ)"
    # the same (default) port names on both sides: ABC cec matches ports by name when named
    res = abc_cec(AIG(counts.num_inputs, counts.fanin0, counts.fanin1, counts.outputs),
                  AIG(tl.num_inputs, tl.fanin0, tl.fanin1, tl.outputs), timeout=limit)
    if res.checked:
        return "cec: equivalent" if res.equivalent else f"cec: DIFFERENT ({res.message})"
    return f"equal on 65,536 random vectors; cec: {res.message}"


# ----------------------------------------------------------------------------------------------
# Python 3.12 for torchlogix's exporter
# ----------------------------------------------------------------------------------------------


def default_py312() -> str:
    for cand in (ROOT / "build" / "venv312" / "bin" / "python", Path("/tmp/py312/bin/python")):
        if cand.exists():
            return str(cand)
    return str(ROOT / "build" / "venv312" / "bin" / "python")


def probe_py312(py: str) -> tuple[dict | None, str]:
    """(versions, "") when ``py`` can import torch and torchlogix.circuit, else (None, why)."""
    if not Path(py).exists():
        return None, (f"no Python 3.12 interpreter at {py} (make bench-torchlogix creates "
                      "build/venv312; or pass --py312)")
    code = ("import sys, json, torch, numpy; from importlib.metadata import version; "
            "from torchlogix.circuit import Circuit; "
            "print(json.dumps({'python': sys.version.split()[0], 'torch': torch.__version__, "
            "'torchlogix': version('torchlogix')}))")
    try:
        res = subprocess.run([py, "-c", code], capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{py} did not run: {exc}"
    if res.returncode:
        lines = [ln for ln in (res.stdout + res.stderr).splitlines() if ln.strip()]
        return None, f"{py} cannot import torchlogix's Circuit: {lines[-1] if lines else '?'}"
    return json.loads(res.stdout.strip().splitlines()[-1]), ""


# ----------------------------------------------------------------------------------------------
# table
# ----------------------------------------------------------------------------------------------


@dataclass
class Row:
    spec: Spec
    gates: int | None = None
    tl: Side = field(default_factory=Side)
    abc: Side = field(default_factory=Side)
    gc: Side = field(default_factory=Side)
    gc_counts: int | None = None
    cec: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.gc.ands is None or not self.tl.ands:
            return None
        return self.gc.ands / self.tl.ands

    @property
    def verified(self) -> str:
        x = self.gc.extra
        if self.gc.ands is None or x.get("mismatches") is None:
            return "-"
        text = f"{x['mismatches']}/{x['vectors']} mism."
        if x.get("proof"):
            text += f", opt==lowered {x['proof']}"
        return text


def _n(v: int | None) -> str:
    return "-" if v is None else f"{v:,}"


def _f(v: float | None, fmt: str = ".1f") -> str:
    return "-" if v is None else format(v, fmt)


HEADER = ("model", "gates", "tl ANDs", "tl lev", "tl s", "tl MB", "tl+resyn2 ANDs",
          "resyn2 lev", "gc ANDs", "gc lev", "gc s", "gc MB", "gc counts", "gc/tl ANDs",
          "verified (gc)", "cec gc vs tl")


def table(rows: list[Row]) -> list[str]:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join("---" for _ in HEADER) + "|"]
    for r in rows:
        tl_and = _n(r.tl.ands) if r.tl.ands is not None else "fails (a)"
        cells = (
            r.spec.name, _n(r.gates), tl_and, _n(r.tl.levels), _f(r.tl.seconds),
            _f(r.tl.peak_mb, ".0f"), _n(r.abc.ands), _n(r.abc.levels), _n(r.gc.ands),
            _n(r.gc.levels), _f(r.gc.seconds), _f(r.gc.peak_mb, ".0f"), _n(r.gc_counts),
            "-" if r.ratio is None else f"{r.ratio:.3f}", r.verified, r.cec or "-")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def versions(tl_versions: dict | None) -> list[str]:
    from importlib.metadata import version

    abc = find_abc()
    abc_v = "not found"
    if abc:
        res = subprocess.run([abc, "-c", "version"], capture_output=True, text=True)
        abc_v = (res.stdout.strip().splitlines() or ["?"])[-1]
    cpu = cpu_name()
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    tl = ("torchlogix side: not measured" if tl_versions is None else
          f"torchlogix side: Python {tl_versions['python']}, torch {tl_versions['torch']}, "
          f"torchlogix {tl_versions['torchlogix']}")
    return [
        f"- date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- machine: {cpu}, {os.cpu_count()} cores{mem}, {platform.system()} "
        f"{platform.release()}",
        f"- gatecomp side: gatecomp {version('gatecomp')}, Python {platform.python_version()}, "
        f"torch {torch.__version__}, numpy {np.__version__}, torchlogix {torchlogix_version()}",
        f"- {tl}",
        f"- ABC: {abc_v}",
    ]


LEGEND = """\
Columns: `gates` = trained logic gates of the model (gatecomp's count, pooling ORs included);
`tl` = torchlogix 0.2.2 `Circuit.from_model(...).write_to_aiger_file(...)`, its whole child
process under Python 3.12 (`tl s`: wall seconds including the interpreter, torch import and model
load; the export alone is in the notes; `tl MB`: peak RSS); `tl+resyn2` = ABC `strash; resyn2`
on torchlogix's AIG; `gc` = `gatecomp compile MODEL -o DIR --vectors 100`, its whole child process
(load, lower, optimize, check against torchlogix's forward, prove, LUT estimate, Verilog);
`gc ANDs` = its `NAME.aig`, which includes the argmax (`pred`) torchlogix's AIG lacks, and
`gc counts` = the ANDs in the cone of its count outputs alone; `gc/tl ANDs` = gc ANDs / tl ANDs
(goal <= 0.30); `verified (gc)` = mismatching outputs of gatecomp's circuit vs torchlogix's own
eval forward on random vectors, and gatecomp's proof that the optimized AIG equals the lowered
one; `cec gc vs tl` = ABC `cec` of gatecomp's count outputs against torchlogix's AIG. ANDs and
levels of every AIG counted by gatecomp's AIGER reader and `depth` (`tl ANDs`: the file as
torchlogix writes it, duplicates included; ABC's `strash` alone merges some, which the resyn2
column includes). Times are wall seconds on a machine other jobs shared: compare them loosely.
(a) torchlogix cannot export the model: the note gives its exception's first line."""


# ----------------------------------------------------------------------------------------------
# main
# ----------------------------------------------------------------------------------------------


def bench_one(spec: Spec, seed: int, py312: str | None, limit: float,
              cec_limit: float) -> Row:
    row = Row(spec)
    torch.manual_seed(seed)  # the wiring torchlogix draws
    model = randomize(spec.build(), seed + 1)
    model_pt = WORK / f"{spec.name}.pt"
    torch.save(model, model_pt)

    print("  gatecomp compile ...", flush=True)
    row.gc, gc_aig = gatecomp_side(model_pt, spec.name, limit)
    if gc_aig is not None:
        row.gates = row.gc.extra.get("logic_gates")
        row.gc_counts = cone_ands(count_outputs(gc_aig))
        print(f"    {row.gc.ands} ANDs, {row.gc.levels} levels, {row.gc.seconds:.1f} s, "
              f"{row.gc.peak_mb:.0f} MB, {row.verified}", flush=True)
    else:
        row.notes.append(f"gatecomp failed: {row.gc.error}")
        print(f"    FAILED: {row.gc.error}", flush=True)
    if py312 is None:
        return row

    print("  torchlogix Circuit export ...", flush=True)
    row.tl, tl_aig = torchlogix_side(py312, model_pt, spec.shape, spec.name, limit)
    if tl_aig is None and spec.variant is not None:
        first = row.tl.error
        variant, shape, why = spec.variant(model)
        var_pt = WORK / f"{spec.name}.variant.pt"
        torch.save(variant, var_pt)
        print(f"    fails as built ({first}); exporting the model {why}", flush=True)
        row.tl, tl_aig = torchlogix_side(py312, var_pt, shape, f"{spec.name}.variant", limit)
        row.notes.append(f"torchlogix's export fails on the model as built ({first}); its "
                         f"column is the export of the model {why}, input shape "
                         f"{list(shape)}")
    if tl_aig is None:
        row.notes.append(f"torchlogix cannot export it: {row.tl.error}")
        print(f"    cannot export: {row.tl.error}", flush=True)
        return row
    x = row.tl.extra
    row.notes.append(f"torchlogix export alone {x.get('export_s') or 0:.1f} s "
                     f"({x.get('gates')} circuit gates)")
    print(f"    {row.tl.ands} ANDs, {row.tl.levels} levels, {row.tl.seconds:.1f} s, "
          f"{row.tl.peak_mb:.0f} MB", flush=True)
    print("  ABC resyn2 on torchlogix's AIG ...", flush=True)
    row.abc = abc_resyn2(tl_aig, limit)
    if row.abc.error:
        row.notes.append(f"ABC resyn2: {row.abc.error}")
    print(f"    {_n(row.abc.ands)} ANDs, {_n(row.abc.levels)} levels "
          f"{row.abc.error}", flush=True)
    if gc_aig is not None:
        print("  ABC cec gatecomp vs torchlogix ...", flush=True)
        row.cec = compare(gc_aig, tl_aig, min(limit, cec_limit))
        print(f"    {row.cec}", flush=True)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", nargs="*", choices=[s.name for s in SPECS],
                    help="a subset (default: all)")
    ap.add_argument("--py312", default=default_py312(),
                    help="Python 3.12 with torch, numpy and torchlogix 0.2.2 "
                         "(default: build/venv312/bin/python, else /tmp/py312/bin/python)")
    ap.add_argument("--limit", type=float, default=600.0, help="seconds per child (600)")
    ap.add_argument("--cec-limit", type=float, default=20.0,
                    help="seconds for ABC cec gatecomp vs torchlogix (20)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    args = ap.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    tl_versions, why = probe_py312(args.py312)
    if tl_versions is None:
        print(f"torchlogix column cannot be measured: {why}", flush=True)
    specs = [s for s in SPECS if not args.models or s.name in args.models]
    rows: list[Row] = []
    t0 = time.perf_counter()
    for i, spec in enumerate(specs):
        print(f"[{i + 1}/{len(specs)}] {spec.name}: {spec.what}", flush=True)
        rows.append(bench_one(spec, args.seed + 10 * i, args.py312 if tl_versions else None,
                              args.limit, args.cec_limit))
    total = time.perf_counter() - t0

    lines = table(rows)
    compared = [r for r in rows if r.ratio is not None]
    summary = []
    if compared:
        worst = max(compared, key=lambda r: r.ratio)
        ok = all(r.ratio <= GOAL for r in compared)
        summary.append(f"gatecomp/torchlogix ANDs on the {len(compared)} models both export: "
                       f"worst {worst.ratio:.3f} ({worst.spec.name}), geomean "
                       f"{np.exp(np.mean(np.log([r.ratio for r in compared]))):.3f}; goal <= "
                       f"{GOAL:.2f} on every one: {'met' if ok else 'NOT met'}.")
    only_gc = [r for r in rows if r.ratio is None and r.gc.ands is not None]
    if only_gc:
        ver = all(r.gc.extra.get("mismatches") == 0 for r in only_gc)
        summary.append(f"Models torchlogix cannot export: {len(only_gc)}, gatecomp's circuit "
                       f"{'verified (0 mismatches) on every one' if ver else 'NOT verified'}.")
    if tl_versions is None:
        summary.append(f"torchlogix column cannot be measured: {why}")
    failed = [r.spec.name for r in rows if r.gc.ands is None]
    if failed:
        summary.append(f"gatecomp failed on: {', '.join(failed)}")
    notes = [f"- {r.spec.name} ({r.spec.what}): " + "; ".join(r.notes)
             for r in rows if r.notes]

    print()
    print("\n".join(lines))
    print()
    print("\n".join(summary))
    print("\n".join(notes))
    print(f"\n({total:.0f} s in all)")
    if not args.no_save and not args.models:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        text = ["# gatecomp vs torchlogix's `Circuit` export", "",
                "`.venv/bin/python bench/torchlogix.py` (`make bench-torchlogix`): random "
                "weights, fixed seeds, one fresh process per flow and model; "
                f"{total:.0f} s in all.", "", *versions(tl_versions), "", *lines, "",
                *summary, "", "Notes:", "", *notes, "", LEGEND, ""]
        RESULTS.write_text("\n".join(text))
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
