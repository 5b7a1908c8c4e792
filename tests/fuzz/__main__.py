"""``python -m tests.fuzz N [SEED]``: the long fuzz run (``make fuzz N=10000 SEED=1``).

Case ``i`` of run ``SEED`` has the kind ``CYCLE[i % len(CYCLE)]`` and the seed
``SEED * 1_000_000 + i`` (:func:`tests.fuzz.cases.case_of`), so a run is reproducible and one
case replays alone: ``python -m tests.fuzz --one SEED --kind KIND`` (``make fuzz-one``). Prints
progress, then per kind the cases run, passed, refused (a one-line GatecompError for an odd
model), failed and timed out, every failure with its replay command, and the distinct refusal
messages. Exits 1 when any case failed or timed out.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import time
import traceback
from collections import Counter, defaultdict

from .cases import CYCLE, KINDS, Refused, case_of, run_case


class CaseTimeout(Exception):
    pass


def _alarm(_signum, _frame):
    raise CaseTimeout


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]


def run(n: int, seed: int, kinds: list[str], rtl_every: int, timeout: int,
        verbose: bool, max_seconds: float | None = None) -> int:
    stats: dict[str, Counter] = defaultdict(Counter)
    seconds: Counter = Counter()
    failures: list[tuple[str, int, str, str]] = []
    refusals: Counter = Counter()
    signal.signal(signal.SIGALRM, _alarm)
    start = last = time.perf_counter()
    cycle = [k for k in CYCLE if k in kinds]
    compiles = 0
    for i in range(n):
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            print(f"stopping after {i} cases: --max-seconds {max_seconds:g} reached")
            n = i
            break
        kind, case_seed = case_of(seed, i)
        if kind not in kinds:
            kind = cycle[i % len(cycle)]
        rtl = False
        if kind == "compile":
            compiles += 1
            rtl = rtl_every > 0 and compiles % rtl_every == 0
        t0 = time.perf_counter()
        signal.alarm(timeout)
        try:
            facts = run_case(kind, case_seed, rtl=rtl)
            stats[kind]["passed"] += 1
            if facts.get("undecided"):
                stats[kind]["proof undecided"] += 1
            if facts.get("rtl"):
                stats[kind]["rtl simulated"] += 1
            if verbose:
                print(f"  {kind} {case_seed}: {facts}", flush=True)
        except Refused as exc:
            stats[kind]["refused"] += 1
            refusals[(kind, re.sub(r"/tmp/\S+?/", "<tmp>/", str(exc)))] += 1
        except CaseTimeout:
            stats[kind]["timed out"] += 1
            failures.append((kind, case_seed, f"timed out after {timeout} s", ""))
        except Exception as exc:  # noqa: BLE001 - every crash is a finding
            stats[kind]["failed"] += 1
            failures.append((kind, case_seed, _one_line(exc), traceback.format_exc(limit=-4)))
            print(f"FAIL {kind} seed={case_seed}: {_one_line(exc)}", flush=True)
        finally:
            signal.alarm(0)
        stats[kind]["cases"] += 1
        seconds[kind] += time.perf_counter() - t0
        now = time.perf_counter()
        if now - last > 30 or i == n - 1:
            last = now
            print(f"[{i + 1}/{n}] {now - start:.0f} s, {len(failures)} failing", flush=True)
    total = time.perf_counter() - start
    print(f"\nfuzz: {n} cases, seed {seed}, {total:.0f} s")
    cols = ["cases", "passed", "refused", "failed", "timed out", "proof undecided",
            "rtl simulated"]
    print(f"  {'kind':<11}" + "".join(f"{c:>16}" for c in cols) + f"{'seconds':>10}")
    for kind in KINDS:
        if stats[kind]["cases"]:
            print(f"  {kind:<11}" + "".join(f"{stats[kind][c]:>16}" for c in cols)
                  + f"{seconds[kind]:>10.0f}")
    if refusals:
        print("refusals (one-line GatecompErrors for deliberately odd models):")
        for (kind, msg), count in refusals.most_common():
            print(f"  {count:>5} x {kind}: {msg}")
    distinct: dict[tuple[str, str], list[int]] = defaultdict(list)
    for kind, case_seed, msg, tb in failures:
        distinct[(kind, msg)].append(case_seed)
        if verbose and tb:
            print(f"FAILED {kind} seed={case_seed}:\n  " + tb.replace("\n", "\n  "))
    if distinct:
        print(f"{len(failures)} failing cases, {len(distinct)} distinct failures:")
    for (kind, msg), seeds in distinct.items():
        more = f" (and {len(seeds) - 3} more)" if len(seeds) > 3 else ""
        print(f"  {len(seeds):>5} x {kind}: {msg}\n        seeds {seeds[:3]}{more}; replay: "
              f"make fuzz-one KIND={kind} SEED={seeds[0]}")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n")[0])
    ap.add_argument("n", nargs="?", type=int, default=1000, help="cases to run")
    ap.add_argument("seed", nargs="?", type=int, default=0, help="run seed (default 0)")
    ap.add_argument("--kind", action="append", choices=sorted(KINDS),
                    help="only these kinds (repeatable)")
    ap.add_argument("--one", type=int, metavar="CASE_SEED",
                    help="replay one case (needs --kind), print its facts or its traceback")
    ap.add_argument("--rtl-every", type=int, default=50,
                    help="simulate the RTL of every Nth compile case (0: never)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per case")
    ap.add_argument("--max-seconds", type=float, help="stop starting cases after this long")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    if args.one is not None:
        if not args.kind or len(args.kind) != 1:
            ap.error("--one needs exactly one --kind")
        facts = run_case(args.kind[0], args.one, rtl=args.rtl_every > 0)
        print(facts)
        return 0
    return run(args.n, args.seed, args.kind or list(KINDS), args.rtl_every, args.timeout,
               args.verbose, args.max_seconds)


if __name__ == "__main__":
    sys.exit(main())
