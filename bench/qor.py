"""AIG quality (ANDs, levels) and run time of gatecomp's optimizer against ABC, in one run.

Every flow runs on the same inputs in the same process run: the EPFL combinational benchmarks
(binary AIGER in ``--epfl``) and gatecomp's own netlists (the bundled digits DLGN and a synthetic
DLGN from ``bench/compile_speed.py``). Every gatecomp result is proved equal to its input with ABC
``cec`` (a failure makes the script exit with status 1).

Flows are rows of :data:`FLOWS`: a name, a unit (``and`` for AIGs, ``lut6``/``lut4`` for LUT
covers) and a function ``(aig, workdir) -> Result``. Reference flows (ABC) are the baselines:
every other flow gets geometric-mean ratios against every reference of its unit. Later passes
add columns by adding flows (``gatecomp_flow("gc-rw", "cleanup,balance,rewrite")``, a gatecomp
LUT-mapping flow of unit ``lut6`` beside ``abc-if6``).

Seconds are CPU seconds of the optimization only (no file I/O): ``time.process_time`` around
``run_script`` for gatecomp, ABC's own ``time`` command around its commands (after ``read;
strash``; ABC prints 10 ms steps, so time ratios floor both sides at 10 ms per circuit). Wall
clock on a shared machine is noise. A ``!`` after a size marks a result ABC ``cec`` refuted.

    .venv/bin/python bench/qor.py                          # EPFL (all but hyp) + DLGNs
    .venv/bin/python bench/qor.py --circuits adder max dlgn-digits
    .venv/bin/python bench/qor.py --all --flows gc gc-b-plain abc-b abc-resyn2 abc-if6
"""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from gatecomp.aig import (  # noqa: E402
    AIG,
    depth,
    random_inputs,
    read_aiger,
    simulate_words,
    write_aiger,
)
from gatecomp.mapping.lutmap import LutMapParams, lutmap  # noqa: E402
from gatecomp.passes.script import DEFAULT_SCRIPT, NAMED_SCRIPTS, run_script  # noqa: E402
from gatecomp.verify.abc_cec import abc_cec, find_abc  # noqa: E402

EPFL_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "epfl"
RESULTS_MD = Path(__file__).resolve().parent / "results" / "qor.md"
#: EPFL circuits left out unless --all (ABC resyn2 alone takes ~30-50 s on hyp here)
SLOW = frozenset({"hyp"})
#: ABC's resyn2 alias (abc.rc), spelled out since Debian's berkeley-abc ships no abc.rc
RESYN2 = ("balance; rewrite; refactor; balance; rewrite; rewrite -z; balance; refactor -z; "
          "rewrite -z; balance")
#: ABC's compress2rs alias (abc.rc): level-preserving resubstitution with growing windows
COMPRESS2RS = ("balance -l; resub -K 6 -l; rewrite -l; resub -K 6 -N 2 -l; refactor -l; "
               "resub -K 8 -l; balance -l; resub -K 8 -N 2 -l; rewrite -l; resub -K 10 -l; "
               "rewrite -z -l; resub -K 10 -N 2 -l; balance -l; resub -K 12 -l; refactor -z -l; "
               "resub -K 12 -N 2 -l; rewrite -z -l; balance -l")
#: ABC's heavier script: ``resyn2; dc2; dc2; compress2rs; resyn2; compress2rs``
ABC_HEAVY = f"{RESYN2}; dc2; dc2; {COMPRESS2RS}; {RESYN2}; {COMPRESS2RS}"
#: ABC's strong LUT6 flow: choices, area-oriented mapping, SAT-based don't-care optimisation
ABC_LUT6_MFS = "dch -f; if -K 6 -a; mfs2"
#: gatecomp's named scripts: ``resyn`` (two resyn2 rounds with resub), ``resyn2`` (ABC's sequence)
GC_RESYN = NAMED_SCRIPTS["resyn"]
GC_RESYN2 = NAMED_SCRIPTS["resyn2"]


@dataclass
class Result:
    """One flow on one circuit: size in the flow's unit, levels, CPU seconds."""

    size: int
    levels: int
    seconds: float
    aig: AIG | None = None  # an AIG result, proved against the input when the flow is ours
    verified: bool | None = None
    note: str = ""
    own_proved: bool = False  # also proved by gatecomp's own checker (--own-check)


@dataclass(frozen=True)
class Flow:
    name: str
    unit: str
    run: Callable[[AIG, Path], Result]
    what: str  # one line for the legend
    reference: bool = False
    check: bool = True  # prove the result with ABC cec (gatecomp flows)


def gatecomp_flow(name: str, script: str) -> Flow:
    """A gatecomp pass script, timed in this process (CPU seconds)."""

    def run(aig: AIG, _work: Path) -> Result:
        t0 = time.process_time()
        out, _ = run_script(aig, script)
        secs = time.process_time() - t0
        return Result(out.num_ands, depth(out), secs, out)

    return Flow(name, "and", run, f"gatecomp {script!r}")


_ELAPSE = re.compile(r"elapse:\s*([0-9.]+)")
_STATS = re.compile(r"and\s*=\s*(\d+).*?lev\s*=\s*(\d+)")
_LUTS = re.compile(r"nd\s*=\s*(\d+).*?lev\s*=\s*(\d+)")


def _abc(aig: AIG, work: Path, commands: str, write: bool) -> tuple[str, Path]:
    abc = find_abc()
    if abc is None:
        raise SystemExit("ABC (berkeley-abc) not found: it is the baseline of this benchmark")
    src, dst = work / "in.aig", work / "abc_out.aig"
    write_aiger(aig, src)
    dst.unlink(missing_ok=True)
    tail = f"; write_aiger {dst}" if write else ""
    script = f"read {src}; strash; time -c; {commands}; time; print_stats{tail}"
    res = subprocess.run([abc, "-c", script], capture_output=True, text=True, timeout=3600)
    out = res.stdout + res.stderr
    if res.returncode or "elapse" not in out:
        raise RuntimeError(f"ABC failed on {commands!r}:\n{out[-2000:]}")
    return out, dst


def abc_flow(name: str, commands: str) -> Flow:
    """ABC commands after ``read; strash``; the AIG is read back and measured by gatecomp."""

    def run(aig: AIG, work: Path) -> Result:
        out, dst = _abc(aig, work, commands, write=True)
        res = read_aiger(dst)
        return Result(res.num_ands, depth(res), float(_ELAPSE.findall(out)[-1]), res)

    return Flow(name, "and", run, f"ABC 'strash; {commands}'", reference=True, check=False)


def abc_lut_flow(name: str, k: int, pre: str = "", commands: str | None = None) -> Flow:
    """ABC LUT mapping ``if -K k`` (after ``pre``), or ``commands`` that end in a k-LUT
    network; size = LUTs, levels = LUT levels."""
    cmds = commands or cmds_of(pre, k)

    def run(aig: AIG, work: Path) -> Result:
        out, _ = _abc(aig, work, cmds, write=False)
        luts, lev = _LUTS.findall(out)[-1]
        return Result(int(luts), int(lev), float(_ELAPSE.findall(out)[-1]))

    return Flow(name, f"lut{k}", run, f"ABC 'strash; {cmds}'", reference=True, check=False)


def mockturtle_available() -> bool:
    try:
        import aigverse.algorithms  # noqa: F401
    except ImportError:
        return False
    return True


def mockturtle_flow(name: str) -> Flow:
    """mockturtle (through ``aigverse``): rounds of cut rewriting, resubstitution (8 and 10
    leaves, 2 new nodes) and SOP refactoring until a round gains under 0.1 % (at most 4); CPU
    seconds of the algorithms only (AIGER I/O not counted). Don't-care resubstitution is left
    out: 0.5 s per 700 ANDs for under 0.3 % on cavlc."""

    def run(aig: AIG, work: Path) -> Result:
        if not mockturtle_available():
            raise _Skip("aigverse is not installed (pip install aigverse==0.1.7)")
        from aigverse import algorithms as A
        from aigverse import io as mio

        src, dst = work / "mt_in.aig", work / "mt_out.aig"
        write_aiger(aig, src)
        ntk = mio.read_aiger_into_aig(str(src))
        t0 = time.process_time()
        for _ in range(4):
            before = ntk.num_gates
            ntk = A.cleanup_dangling(A.aig_cut_rewriting(ntk))
            A.aig_resubstitution(ntk, max_pis=8, max_inserts=2, inplace=True)
            ntk = A.cleanup_dangling(ntk)
            A.sop_refactoring(ntk, inplace=True)
            ntk = A.cleanup_dangling(ntk)
            ntk = A.cleanup_dangling(A.aig_cut_rewriting(ntk, allow_zero_gain=True))
            A.aig_resubstitution(ntk, max_pis=10, max_inserts=2, inplace=True)
            ntk = A.cleanup_dangling(ntk)
            if ntk.num_gates > before * 0.999:
                break
        secs = time.process_time() - t0
        mio.write_aiger(ntk, str(dst))
        res = read_aiger(dst)
        return Result(res.num_ands, depth(res), secs, res)

    return Flow(name, "and", run, "mockturtle via aigverse: (rw; rs -K 8 -N 2; rf; rwz; "
                "rs -K 10 -N 2) until a round gains < 0.1 % (at most 4 rounds)", reference=True,
                check=False)


class _Skip(Exception):
    """A flow that cannot run here (a missing optional tool): its column shows '-'."""


def gatecomp_lut_flow(name: str, script: str, k: int) -> Flow:
    """A gatecomp script then our ``lutmap`` (k inputs); the cover is checked by simulation."""

    def run(aig: AIG, _work: Path) -> Result:
        t0 = time.process_time()
        opt, _ = run_script(aig, script)
        net, _ = lutmap(opt, LutMapParams(k=k))
        secs = time.process_time() - t0
        words = random_inputs(aig.num_inputs, 16, seed=1)
        ok = bool(np.array_equal(net.simulate_words(words), simulate_words(aig, words)))
        return Result(net.num_luts, net.depth(), secs, None, ok,
                      "" if ok else "LUT cover differs from the input (simulation)")

    return Flow(name, f"lut{k}", run, f"gatecomp {script!r} + lutmap k={k}", check=False)


def cmds_of(pre: str, k: int) -> str:
    return f"{pre}; if -K {k}" if pre else f"if -K {k}"


FLOWS: list[Flow] = [
    gatecomp_flow("gc", DEFAULT_SCRIPT),  # --effort default (by size)
    gatecomp_flow("gc-fast", "fast"),
    gatecomp_flow("gc-high", "high"),
    gatecomp_flow("gc-clean", "cleanup"),
    gatecomp_flow("gc-b", "cleanup,balance"),
    gatecomp_flow("gc-b-plain", "cleanup,balance{area=false}"),
    gatecomp_flow("gc-rw", "cleanup,balance,rewrite"),
    gatecomp_flow("gc-resyn", GC_RESYN),
    gatecomp_flow("gc-resyn2", GC_RESYN2),
    abc_flow("abc-b", "balance"),
    abc_flow("abc-b-rw", "balance; rewrite"),
    abc_flow("abc-resyn2", RESYN2),
    abc_flow("abc-heavy", ABC_HEAVY),
    mockturtle_flow("mt"),
    # LUT-mapping baselines, off by default (--flows ... abc-if6): add gatecomp lutmap beside
    abc_lut_flow("abc-if6", 6),
    abc_lut_flow("abc-if4", 4),
    abc_lut_flow("abc-resyn2-if6", 6, RESYN2),
    abc_lut_flow("abc-resyn2-if4", 4, RESYN2),
    abc_lut_flow("abc-lut6-mfs", 6, commands=ABC_LUT6_MFS),
    gatecomp_lut_flow("gc-lut6", DEFAULT_SCRIPT, 6),
    gatecomp_lut_flow("gc-lut4", DEFAULT_SCRIPT, 4),
    gatecomp_lut_flow("gc-resyn-lut6", GC_RESYN, 6),
    gatecomp_lut_flow("gc-resyn-lut4", GC_RESYN, 4),
]
DEFAULT_FLOWS = ("gc", "gc-resyn", "abc-resyn2", "abc-heavy", "mt", "gc-lut6", "abc-resyn2-if6",
                 "abc-lut6-mfs")


# -- circuits ------------------------------------------------------------------------------------

@dataclass
class Circuit:
    name: str
    load: Callable[[], AIG]
    results: dict[str, Result] = field(default_factory=dict)


def epfl_circuits(directory: Path) -> list[Circuit]:
    return [Circuit(p.stem, lambda p=p: read_aiger(p)) for p in sorted(directory.glob("*.aig"))]


def dlgn_circuits(synthetic_gates: int, work: Path) -> list[Circuit]:
    def bundled() -> AIG:
        from gatecomp.cli import BUNDLED_EXAMPLE
        from gatecomp.frontends.dlgn import lower_dlgn
        from gatecomp.frontends.dlgn.model import load_dlgn
        return lower_dlgn(load_dlgn(BUNDLED_EXAMPLE)).aig

    def synthetic() -> AIG:
        from compile_speed import make_synthetic

        from gatecomp.frontends.dlgn import lower_dlgn
        from gatecomp.frontends.dlgn.model import load_dlgn
        path = work / "synthetic_dlgn.pt"
        make_synthetic(path, synthetic_gates)
        return lower_dlgn(load_dlgn(path)).aig

    out = [Circuit("dlgn-digits", bundled)]
    if synthetic_gates:
        out.append(Circuit(f"dlgn-synth{synthetic_gates // 1000}k", synthetic))
    return out


# -- reporting -----------------------------------------------------------------------------------

def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def ratio_lines(circuits: list[Circuit], flows: list[Flow]) -> list[str]:
    """Geomean ratios of every flow against every reference flow of its unit listed before it
    (references against earlier references too: ABC heavy / ABC resyn2)."""
    lines = []
    for i, ref in enumerate(flows):
        if not ref.reference:
            continue
        for j, flow in enumerate(flows):
            if flow.unit != ref.unit or (flow.reference and j <= i):
                continue
            rows = [c.results for c in circuits if flow.name in c.results and ref.name in c.results]
            if not rows:
                continue
            size = geomean([max(r[flow.name].size, 1) / max(r[ref.name].size, 1) for r in rows])
            lev = geomean([max(r[flow.name].levels, 1) / max(r[ref.name].levels, 1) for r in rows])
            # ABC reports 10 ms steps: floor both sides at 10 ms per circuit
            t_flow = [max(r[flow.name].seconds, 0.01) for r in rows]
            t_ref = [max(r[ref.name].seconds, 0.01) for r in rows]
            tgm = geomean([a / b for a, b in zip(t_flow, t_ref, strict=True)])
            tsum = sum(t_flow) / sum(t_ref)
            worst = max(rows, key=lambda r: r[flow.name].size / max(r[ref.name].size, 1))
            wname = next(c.name for c in circuits if c.results is worst)
            wr = worst[flow.name].size / max(worst[ref.name].size, 1)
            lines.append(f"{flow.name:>13} / {ref.name:<14} {ref.unit}s {size:6.3f}  "
                         f"levels {lev:6.3f}  time geomean {tgm:7.2f}  time total {tsum:7.2f}"
                         f"  worst {wname} {wr:.3f}  ({len(rows)} circuits)")
    return lines


def table_lines(circuits: list[Circuit], flows: list[Flow]) -> list[str]:
    """The per-circuit table as Markdown: size / levels / CPU seconds of every flow."""
    head = "| circuit | in ands | lev |"
    rule = "|---|---:|---:|"
    for f in flows:
        head += f" {f.name} {f.unit}s | lev | s |"
        rule += "---:|---:|---:|"
    lines = [head, rule]
    for c in circuits:
        line = f"| {c.name} | {c.results['input'].size} | {c.results['input'].levels} |"
        for f in flows:
            r = c.results.get(f.name)
            if r is None:
                line += " - | - | - |"
                continue
            mark = "" if r.verified in (None, True) else "!"
            line += f" {r.size}{mark} | {r.levels} | {r.seconds:.2f} |"
        lines.append(line)
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--circuits", nargs="*", help="names to run (EPFL stems, dlgn-digits, "
                    "dlgn-synth<N>k); default: all but the slow EPFL ones")
    ap.add_argument("--all", action="store_true", help=f"include {', '.join(sorted(SLOW))}")
    ap.add_argument("--flows", nargs="*", default=list(DEFAULT_FLOWS),
                    help=f"flows (columns) to run, of: {', '.join(f.name for f in FLOWS)}")
    ap.add_argument("--epfl", type=Path, default=EPFL_DIR, help="directory of EPFL .aig files")
    ap.add_argument("--synthetic-gates", type=int, default=100_000,
                    help="size of the synthetic DLGN (0: leave it out)")
    ap.add_argument("--no-cec", action="store_true", help="skip the ABC cec proofs")
    ap.add_argument("--cec-timeout", type=float, default=600.0)
    ap.add_argument("--own-check", action="store_true",
                    help="also prove every gatecomp AIG with gatecomp's own checker (SAT/BDD)")
    ap.add_argument("--skip-large", type=int, default=0, metavar="ANDS",
                    help="leave out circuits with more than ANDS ANDs (0: keep all)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--md", type=Path, default=RESULTS_MD,
                    help="write the result table here (default bench/results/qor.md)")
    args = ap.parse_args(argv)

    known = {f.name: f for f in FLOWS}
    unknown = [n for n in args.flows if n not in known]
    if unknown:
        ap.error(f"unknown flows {unknown}; known: {', '.join(known)}")
    flows = [known[n] for n in args.flows]

    failures = 0
    with tempfile.TemporaryDirectory(prefix="gatecomp-qor-") as tmp:
        work = Path(tmp)
        circuits = epfl_circuits(args.epfl) + dlgn_circuits(args.synthetic_gates, work)
        if args.circuits:
            wanted = set(args.circuits)
            circuits = [c for c in circuits if c.name in wanted]
            missing = wanted - {c.name for c in circuits}
            if missing:
                ap.error(f"unknown circuits {sorted(missing)}")
        elif not args.all:
            circuits = [c for c in circuits if c.name not in SLOW]

        _warm_up(flows, work)
        skipped: dict[str, str] = {}
        for c in circuits:
            aig = c.load()
            if args.skip_large and aig.num_ands > args.skip_large:
                print(f"{c.name}: {aig.num_ands} ANDs, skipped (--skip-large)", file=sys.stderr)
                continue
            print(f"{c.name} ...", file=sys.stderr, flush=True)
            c.results["input"] = Result(aig.num_ands, depth(aig), 0.0)
            for f in flows:
                if f.name in skipped:
                    continue
                try:
                    r = f.run(aig, work)
                except _Skip as why:
                    skipped[f.name] = str(why)
                    print(f"  {f.name}: {why}", file=sys.stderr)
                    continue
                if f.check and r.aig is not None and not args.no_cec:
                    cec = abc_cec(aig, r.aig, timeout=args.cec_timeout)
                    r.verified = cec.equivalent if cec.checked else None
                    r.note = cec.message
                    if cec.checked and not cec.equivalent:
                        failures += 1
                        print(f"  {f.name}: {cec.message}", file=sys.stderr)
                if f.check and r.aig is not None and args.own_check and r.verified is not False:
                    from gatecomp.verify.equivalence import prove_equivalent
                    own = prove_equivalent(aig, r.aig, time_limit=args.cec_timeout)
                    if own.equivalent is False:
                        failures += 1
                        r.verified = False
                        print(f"  {f.name}: gatecomp's checker refutes it", file=sys.stderr)
                    elif own.equivalent is None:
                        r.note += "; own checker undecided"
                    else:
                        r.own_proved = True
                elif r.verified is False:  # a LUT cover that simulation refuted
                    failures += 1
                    print(f"  {f.name}: {r.note}", file=sys.stderr)
                c.results[f.name] = r
        circuits = [c for c in circuits if "input" in c.results]

    out: list[str] = [f"- `{f.name}`: {f.what}" for f in flows]
    out += [f"- `{name}` not run: {why}" for name, why in skipped.items()]
    out += ["", *table_lines(circuits, flows), "", "```"]
    out += ratio_lines(circuits, flows)
    out.append("```")
    proved = sum(1 for c in circuits for f in flows
                 if f.check and f.name in c.results and c.results[f.name].verified)
    unproved = sum(1 for c in circuits for f in flows
                   if f.check and f.name in c.results and c.results[f.name].verified is None)
    own = sum(1 for c in circuits for f in flows
              if f.name in c.results and c.results[f.name].own_proved)
    covers = sum(1 for c in circuits for f in flows
                 if not f.check and not f.reference and f.name in c.results
                 and c.results[f.name].verified)
    out.append(f"\nABC cec: {proved} gatecomp AIGs proved equivalent, {unproved} unchecked"
               f"{f'; {own} also by gatecomp own checker' if args.own_check else ''}; "
               f"{covers} gatecomp LUT covers equal to their input on random simulation; "
               f"{failures} NOT equivalent")
    print("\n".join(out))
    if args.md:
        args.md.parent.mkdir(parents=True, exist_ok=True)
        cmd = " ".join(["bench/qor.py", *(argv if argv is not None else sys.argv[1:])])
        args.md.write_text(f"# `{cmd}`\n\nCPU seconds of the optimization only; sizes in the "
                           f"flow's unit (ANDs, LUTs), levels in its unit.\n\n"
                           + "\n".join(out) + "\n")
    if args.json:
        rows = {c.name: {k: {"size": r.size, "levels": r.levels, "seconds": r.seconds,
                             "verified": r.verified} for k, r in c.results.items()}
                for c in circuits}
        args.json.write_text(json.dumps({"flows": args.flows, "circuits": rows}, indent=1))
    return 1 if failures else 0


def _warm_up(flows: list[Flow], work: Path) -> None:
    """Run gatecomp flows once on a tiny AIG so numba's cache loading is not timed."""
    from gatecomp.aig import AIGBuilder

    b = AIGBuilder(4)
    x = b.inputs()
    tiny = b.build([b.add_and(b.add_and(int(x[0]), int(x[1])), b.add_or(int(x[2]), int(x[3])))])
    for f in flows:
        if not f.reference or (f.name == "mt" and mockturtle_available()):
            f.run(tiny, work)


if __name__ == "__main__":
    raise SystemExit(main())
