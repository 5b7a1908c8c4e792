"""FPGA quality of results: gatecomp's flow against the naive Verilog other DLGN exporters write.

Issue 4's benchmark. For one DLGN (the bundled digits net, or ``--synthetic N`` gates) it builds,
with exactly the same Yosys + nextpnr commands (:func:`gatecomp.fpga.project.flow_steps`, run by
:func:`gatecomp.fpga.flow.build`) and the same out-of-context test harness (``NAME_ooc``):

* ``gatecomp``: ``gatecomp compile MODEL --device D --luts-per-stage N`` (registers on the
  boundaries of gatecomp's 4-LUT cover; ``--levels-per-stage L`` cuts by AIG level instead)
  then ``gatecomp build``; with ``--lut-cells`` also ``gatecomp-cells``, the same compile with
  ``--lut-cells`` (the cover handed to Yosys as device LUT cells; on ECP5 with the GroupSum
  popcounts on CCU2C carry chains), and on ECP5 ``gatecomp-cells-luts`` (``--no-carry-chains``:
  every popcount in 4-LUTs);
* ``naive``: one ``assign`` per trained gate (all of them, wires and constants included, written
  from the gate's difflogic ID), a behavioural popcount per class (``g[..] + g[..] + ...``) and a
  behavioural argmax (first index wins ties), registers on the input and the outputs only;
* ``naive-piped``: the same, plus a register rank after every logic layer and after the
  popcounts (the natural places an exporter puts them; 4 layers give 7 ranks in all).

Both naive cores keep gatecomp's port contract (valid/ready, ``out_ready`` as clock enable), so
they drop into the same harness; they are simulated with iverilog on the test vectors and
compared with :func:`gatecomp.frontends.dlgn.reference_outputs` before anything is measured.
LUT/FF figures are given for the core alone (Yosys runs ``-noflatten``; the harness is identical)
and for the whole design; the ratios use the core's LUT area as placed (:func:`placed_area`:
on ECP5 nextpnr adds cells Yosys never counts, such as carry-chain feed-ins). Fmax is
nextpnr's for the whole design.
With ABC installed the run ends with ABC's strongest area mapping of the compiled function
(``&dch -f; &if -K 4 -a; &satlut``, no depth bound) as a reference for what 4-LUTs can reach.

    python bench/fpga.py                        # digits DLGN, ECP5-25k, 3 LUT levels per stage
    python bench/fpga.py --lut-cells            # ... and the cover as LUT cells
    python bench/fpga.py --device ice40-up5k-sg48 --luts-per-stage 2
    python bench/fpga.py --levels-per-stage 8   # stages cut by AIG level (the older default)
    python bench/fpga.py --synthetic 20000 --jobs 2
    python bench/fpga.py --synthetic 8000 --lut-cells --no-piped --jobs 2 --time-limit 30
    python bench/fpga.py --synthetic 8000 --gate-mix trained --lut-cells --chain-length 14 \
        --no-piped --jobs 2
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gatecomp.cli import BUNDLED_EXAMPLE  # noqa: E402
from gatecomp.errors import GatecompError  # noqa: E402
from gatecomp.fpga.flow import build  # noqa: E402
from gatecomp.fpga.project import BOARD_DIR, TARGET_FILE, core_source  # noqa: E402
from gatecomp.frontends.dlgn import (  # noqa: E402
    DLGNModel,
    dataset_vectors,
    load_dlgn,
    output_ports,
    reference_outputs,
)
from gatecomp.sidecar import Sidecar, SizeStats  # noqa: E402

MODULE = "net"
#: Verilog of each difflogic gate (0..15) on operands ``a``, ``b``
GATE_VERILOG = ("1'b0", "{a} & {b}", "{a} & ~{b}", "{a}", "~{a} & {b}", "{b}", "{a} ^ {b}",
                "{a} | {b}", "~({a} | {b})", "~({a} ^ {b})", "~{b}", "{a} | ~{b}", "~{a}",
                "~{a} | {b}", "~({a} & {b})", "1'b1")


# -- the naive emitter -----------------------------------------------------------------------
def naive_verilog(model: DLGNModel, module: str = MODULE, piped: bool = False) -> tuple[str, int]:
    """Verilog of the network as existing exporters write it, and its latency.

    Parameters
    ----------
    model
        The DLGN.
    module
        Module name; ports follow gatecomp's RTL contract (clk, rst, in_valid, in_ready,
        in_data, out_valid, out_ready, out_count0.., out_pred).
    piped
        False: registers on the input and the outputs only (latency 2). True: also one rank
        after every logic layer and after the popcounts (latency ``len(layers) + 3``).
    """
    ports = output_ports(model)
    cw, pw = ports[0].width, ports[-1].width
    k, bs = model.num_classes, model.block_size
    lines = [f"// naive DLGN export: one assign per gate, behavioural popcount and argmax "
             f"({'pipelined per layer' if piped else 'input/output registers only'})"]
    outs = ", ".join(f"out_{p.name}" for p in ports)
    lines += [f"module {module}(clk, rst, in_valid, in_ready, in_data, out_valid, out_ready, "
              f"{outs});",
              "  input clk, rst, in_valid, out_ready;", "  output in_ready, out_valid;",
              f"  input [{model.input_width - 1}:0] in_data;"]
    lines += [f"  output [{p.width - 1}:0] out_{p.name};" for p in ports]
    lines += ["  assign in_ready = out_ready;"]
    latency = 0

    def reg(name: str, width: int, src: str) -> str:
        lines.append(f"  reg [{width - 1}:0] {name};")
        lines.append(f"  always @(posedge clk) if (out_ready) {name} <= {src};")
        return name

    reg("x0", model.input_width, "in_data")
    latency += 1
    x = [f"x0[{i}]" for i in range(model.input_width)]
    for li, spec in enumerate(model.layers, 1):
        names = [f"g{li}_{j}" for j in range(spec.out_dim)]
        for name, g, a, b in zip(names, spec.gate_ids.tolist(), spec.a.tolist(),
                                 spec.b.tolist(), strict=True):
            lines.append(f"  wire {name} = {GATE_VERILOG[g].format(a=x[a], b=x[b])};")
        x = names
        if piped:
            h = reg(f"h{li}_r", spec.out_dim, "{" + ", ".join(reversed(names)) + "}")
            x = [f"{h}[{j}]" for j in range(spec.out_dim)]
            latency += 1
    counts = []
    for c in range(k):
        terms = " + ".join(x[c * bs:(c + 1) * bs])
        lines.append(f"  wire [{cw - 1}:0] cnt{c} = {terms};")
        counts.append(reg(f"cnt{c}_r", cw, f"cnt{c}") if piped else f"cnt{c}")
    latency += piped
    lines += [f"  reg [{cw - 1}:0] best;", f"  reg [{pw - 1}:0] pred;", "  always @* begin",
              f"    best = {counts[0]}; pred = 0;"]
    lines += [f"    if ({counts[c]} > best) begin best = {counts[c]}; pred = {c}; end"
              for c in range(1, k)]
    lines += ["  end"]
    for c in range(k):
        lines.append(f"  assign out_count{c} = {reg(f'oc{c}', cw, counts[c])};")
    lines.append(f"  assign out_pred = {reg('op', pw, 'pred')};")
    latency += 1
    lines += [f"  reg [{latency - 1}:0] valid;",
              "  always @(posedge clk) if (rst) valid <= 0; else if (out_ready) valid <= "
              + ("in_valid;" if latency == 1 else f"{{valid[{latency - 2}:0], in_valid}};"),
              f"  assign out_valid = valid[{latency - 1}];", "endmodule", ""]
    return "\n".join(lines), latency


# -- iverilog check --------------------------------------------------------------------------
def check_naive(verilog: Path, latency: int, model: DLGNModel, bits: np.ndarray,
                workdir: Path) -> int:
    """Simulate ``verilog`` on ``bits`` with iverilog; raise unless it matches PyTorch."""
    ports = output_ports(model)
    n, w = bits.shape
    digits = -(-w // 4)
    vals = [int("".join("1" if v else "0" for v in row[::-1]), 2) for row in bits]
    (workdir / "vec.hex").write_text("".join(f"{v:0{digits}x}\n" for v in vals))
    outs = ", ".join(f"out_{p.name}" for p in ports)
    fmt = " ".join("%0d" for _ in ports)
    tb = f"""`timescale 1ns/1ps
module tb;
  reg clk = 0, rst = 1, in_valid = 0, out_ready = 1;
  reg [{w - 1}:0] mem [0:{n - 1}];
  reg [{w - 1}:0] in_data = 0;
  wire in_ready, out_valid;
{"".join(f"  wire [{p.width - 1}:0] out_{p.name};{chr(10)}" for p in ports)}
  {MODULE} dut(.clk(clk), .rst(rst), .in_valid(in_valid), .in_ready(in_ready),
    .in_data(in_data), .out_valid(out_valid), .out_ready(out_ready),
    {", ".join(f".out_{p.name}(out_{p.name})" for p in ports)});
  integer i, got = 0, f;
  always #5 clk = ~clk;
  always @(posedge clk) if (out_valid) begin
    $fwrite(f, "{fmt}\\n", {outs}); got = got + 1;
  end
  initial begin
    $readmemh("vec.hex", mem);
    f = $fopen("out.txt", "w");
    @(negedge clk); rst = 0;
    for (i = 0; i < {n}; i = i + 1) begin in_data = mem[i]; in_valid = 1; @(negedge clk); end
    in_valid = 0;
    repeat ({latency + 2}) @(negedge clk);
    $fclose(f); $finish;
  end
endmodule
"""
    (workdir / "tb.v").write_text(tb)
    subprocess.run(["iverilog", "-o", "sim.vvp", "tb.v", str(verilog)], cwd=workdir,
                   check=True, capture_output=True, text=True)
    subprocess.run(["vvp", "-n", "sim.vvp"], cwd=workdir, check=True, capture_output=True)
    got = np.loadtxt(workdir / "out.txt", dtype=np.int64, ndmin=2)
    ref = reference_outputs(model, bits)
    want = np.stack([ref[p.name] for p in ports], axis=1)
    if got.shape != want.shape:
        raise SystemExit(f"{verilog.name}: simulation gave {got.shape[0]} outputs, "
                         f"expected {want.shape[0]}")
    bad = int((got != want).any(axis=1).sum())
    if bad:
        raise SystemExit(f"{verilog.name}: {bad} of {n} vectors differ from PyTorch")
    return n


# -- the flows -------------------------------------------------------------------------------
def compile_gatecomp(model_path: Path, out: Path, device: str, stage_opt: list[str]) -> None:
    cmd = [sys.executable, "-m", "gatecomp", "compile", str(model_path), "-o", str(out),
           "--name", MODULE, "--device", device, *stage_opt, "--force"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode:
        raise SystemExit(f"gatecomp compile failed:\n{proc.stderr[-3000:]}")


def naive_project(gc_dir: Path, out: Path, verilog: str, latency: int) -> None:
    """A build dir for the naive core: gatecomp's board/ (same harness, target, flow), new rtl/."""
    (out / "rtl").mkdir(parents=True, exist_ok=True)
    (out / BOARD_DIR).mkdir(exist_ok=True)
    record = json.loads((gc_dir / BOARD_DIR / TARGET_FILE).read_text())
    shutil.copy(gc_dir / BOARD_DIR / f"{record['top']}.v", out / BOARD_DIR)
    record["core"] = core_source(MODULE, lut_cells=False)  # the naive RTL, not our LUT cells
    (out / BOARD_DIR / TARGET_FILE).write_text(json.dumps(record, indent=2) + "\n")
    sidecar = Sidecar.read(gc_dir / "rtl" / f"{MODULE}.json")
    replace(sidecar, latency=latency, generator="bench/fpga.py naive",
            stats=SizeStats(None, None, None)).write(out / "rtl" / f"{MODULE}.json")
    (out / "rtl" / f"{MODULE}.v").write_text(verilog)


def run_build(name: str, build_dir: Path, time_limit_min: float | None = None
              ) -> dict | str:
    """The build's report, or why it has none: it does not fit, or a step ran past
    ``time_limit_min`` (nextpnr can route an unroutable design for hours)."""
    t0 = time.perf_counter()
    try:
        rep = build(build_dir, progress=lambda m: print(f"  [{name}] {m}", file=sys.stderr,
                                                        flush=True),
                    time_limit_min=time_limit_min).report
    except GatecompError as exc:
        if "does not fit" not in str(exc) and "did not finish within" not in str(exc):
            raise
        print(f"  [{name}] {exc}", file=sys.stderr, flush=True)
        msg = str(exc)
        return msg.split(" min (")[0] + " min" if " min (" in msg else msg
    rep["bench_wall_s"] = round(time.perf_counter() - t0, 1)
    return rep


def placed_area(rep: dict) -> tuple[int, int]:
    """(the core's LUT area as placed, LUT slots nextpnr added to the design).

    On ECP5 every ``TRELLIS_COMB`` is one LUT4 slot, so nextpnr's count minus the harness's
    LUTs is the core's real size, with the cells nextpnr adds and Yosys never shows (a
    feed-in ``CCU2C`` before a carry chain whose carry-in has a net, a feed-out after one
    whose last carry-out has one; constant drivers). iCE40 logic cells also hold lone
    flip-flops, so there the Yosys figure stands."""
    r = rep["resources"]
    used = rep["utilization"].get("TRELLIS_COMB", {}).get("used")
    if used is None:
        return r["core"]["lut_area"], 0
    return used - r["shell"]["lut_area"], used - r["total"]["lut_area"]


def row(name: str, rep: dict) -> dict:
    r, t = rep["resources"], rep["timing"]
    area, added = placed_area(rep)
    return {"flow": name, "latency": rep["pipeline"]["latency"],
            "luts_core": r["core"]["luts"], "luts_total": r["total"]["luts"],
            "ffs_core": r["core"]["ffs"], "ffs_total": r["total"]["ffs"],
            "carry_core": r["core"]["carry"], "area_yosys": r["core"]["lut_area"],
            "pnr_added": added, "area_core": area, "fmax_mhz": t["fmax_mhz"],
            "levels": t.get("critical_path_logic_levels"), "pnr_s": rep["bench_wall_s"]}


def abc_area_reference(aig: Path) -> tuple[int, int] | None:
    """(4-LUTs, depth) of ABC's strongest area mapping of ``aig`` (no depth bound), or None
    without ABC: the figure no exact LUT cover of this function is known to beat."""
    abc = shutil.which("berkeley-abc") or shutil.which("yosys-abc")
    if abc is None:
        return None
    cmd = f"&r {aig}; &dch -f; &if -K 4 -a; &satlut; &put; print_stats"
    out = subprocess.run([abc, "-c", cmd], capture_output=True, text=True, timeout=1800).stdout
    m = re.search(r"nd\s*=\s*(\d+).*?lev\s*=\s*(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else None


def print_table(rows: list[dict], device: str, stage_opt: list[str], vectors: int) -> None:
    if not rows:
        return
    gc = rows[0]
    print(f"\nFPGA QoR on {device} (gatecomp {' '.join(stage_opt)}); Yosys synth + nextpnr "
          f"with the same commands and the same OOC harness; naive cores checked with iverilog "
          f"on {vectors} vectors against PyTorch")
    head = ("flow", "latency", "LUTs core", "LUTs total", "FFs core", "FFs total",
            "carry core", "area Yosys", "pnr added", "LUT area core", "Fmax MHz",
            "area gatecomp/row", "Fmax gatecomp/row")
    print(" | ".join(f"{h:>12}" for h in head))
    for r in rows:
        lut_ratio = gc["area_core"] / r["area_core"] if r["area_core"] else float("nan")
        fmax_ratio = (gc["fmax_mhz"] / r["fmax_mhz"] if r["fmax_mhz"] and gc["fmax_mhz"]
                      else float("nan"))
        vals = (r["flow"], r["latency"], r["luts_core"], r["luts_total"], r["ffs_core"],
                r["ffs_total"], r["carry_core"], r["area_yosys"], r["pnr_added"],
                r["area_core"], r["fmax_mhz"],
                f"{lut_ratio:.3f}",
                f"{fmax_ratio:.2f}")
        print(" | ".join(f"{v!s:>12}" for v in vals))
    print("LUTs/FFs 'core' = the network module alone (Yosys -noflatten stat); 'total' adds the "
          "identical OOC harness; 'area Yosys' = the core's LUT4 cells + the LUT4 slots of carry "
          "cells (2 per ECP5 CCU2C, 0 per iCE40 SB_CARRY, which shares its cell's LUT); 'pnr "
          "added' = LUT slots nextpnr added to the design (ECP5: carry feed-ins/outs, constant "
          "drivers); 'LUT area core' = as placed (ECP5: nextpnr's TRELLIS_COMB minus the "
          "harness's LUTs; iCE40: the Yosys figure); ratios use it, so carry chains are not "
          "free; the two ratios put the first row (gatecomp) over each row; Fmax is nextpnr's "
          "for the whole design.")
    ours = [r for r in rows if r["flow"].startswith("gatecomp")]
    for gc in ours:
        for r in rows:
            if r in ours:
                continue
            fewer = 1 - gc["area_core"] / r["area_core"] if r["area_core"] else float("nan")
            faster = (gc["fmax_mhz"] or 0) > (r["fmax_mhz"] or 0)
            ok = fewer >= 0.30 and faster
            print(f"goal, {gc['flow']} vs {r['flow']} (>= 30% fewer LUTs and higher Fmax): "
                  f"{'met' if ok else 'NOT met'} ({100 * fewer:.1f}% less core LUT area, Fmax "
                  f"{gc['fmax_mhz']} vs {r['fmax_mhz']} MHz)")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", nargs="?", type=Path, default=BUNDLED_EXAMPLE,
                    help="DLGN checkpoint (default: the bundled digits net)")
    ap.add_argument("--synthetic", type=int, metavar="N",
                    help="use a random synthetic DLGN of about N gates instead")
    ap.add_argument("--gate-mix", choices=("uniform", "trained"), default="uniform",
                    help="the synthetic net's gate choices: uniform over the 16 functions "
                         "(default), or drawn per layer with the frequencies of the MODEL "
                         "checkpoint's gates (the bundled digits net: more wires and "
                         "inverters near the output, as training leaves them)")
    ap.add_argument("--device", default="ecp5-25k", help="device (default ecp5-25k)")
    ap.add_argument("--luts-per-stage", type=int, default=3, metavar="N",
                    help="gatecomp register stage every N levels of its 4-LUT cover (default 3)")
    ap.add_argument("--levels-per-stage", type=int, metavar="L",
                    help="cut gatecomp's stages every L AIG levels instead")
    ap.add_argument("--lut-cells", action="store_true",
                    help="also build gatecomp with --lut-cells (its LUT cover as device cells)")
    ap.add_argument("--chain-length", type=int, metavar="N",
                    help="gatecomp-cells with --chain-length N (positions per carry chain)")
    ap.add_argument("--no-cells-luts", action="store_true",
                    help="skip gatecomp-cells-luts (--lut-cells --no-carry-chains)")
    ap.add_argument("--no-piped", action="store_true", help="skip the naive-piped variant")
    ap.add_argument("--jobs", type=int, default=1, help="builds run at once (default 1)")
    ap.add_argument("--time-limit", type=float, default=60, metavar="MIN",
                    help="minutes each build may take; one still running is reported and "
                         "left out (default 60)")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it")
    ap.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = ap.parse_args(argv)

    tmp = None
    if args.keep:
        work = args.keep
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="gatecomp-bench-fpga-")
        work = Path(tmp.name)
    try:
        model_path = args.model
        if args.synthetic:
            sys.path.insert(0, str(ROOT / "bench"))
            from compile_speed import make_synthetic, trained_gate_mix

            mix = trained_gate_mix(args.model) if args.gate_mix == "trained" else None
            model_path = work / f"synthetic_{args.synthetic}_{args.gate_mix}.pt"
            make_synthetic(model_path, args.synthetic, gate_mix=mix)
        model = load_dlgn(model_path)
        try:
            bits, _ = dataset_vectors(model)
        except Exception:  # no dataset recorded: random vectors
            bits = np.random.default_rng(0).integers(0, 2, (360, model.input_width)).astype(bool)
        bits = np.asarray(bits, dtype=bool)
        print(f"compiling {model_path.name} with gatecomp ({args.device}) ...", file=sys.stderr,
              flush=True)
        gc_dir = work / "gatecomp"
        stage_opt = (["--levels-per-stage", str(args.levels_per_stage)] if args.levels_per_stage
                     else ["--luts-per-stage", str(args.luts_per_stage)])
        compile_gatecomp(model_path, gc_dir, args.device, stage_opt)
        builds = [("gatecomp", gc_dir)]
        if args.lut_cells:
            cells_dir = work / "gatecomp-cells"
            chains = ["--chain-length", str(args.chain_length)] if args.chain_length else []
            compile_gatecomp(model_path, cells_dir, args.device,
                             [*stage_opt, "--lut-cells", *chains])
            builds.append(("gatecomp-cells", cells_dir))
            if args.device.startswith("ecp5") and not args.no_cells_luts:
                plain_dir = work / "gatecomp-cells-luts"
                compile_gatecomp(model_path, plain_dir, args.device,
                                 [*stage_opt, "--lut-cells", "--no-carry-chains"])
                builds.append(("gatecomp-cells-luts", plain_dir))

        variants = [("naive", False)] + ([] if args.no_piped else [("naive-piped", True)])
        for name, piped in variants:
            text, latency = naive_verilog(model, piped=piped)
            d = work / name
            naive_project(gc_dir, d, text, latency)
            simdir = work / f"{name}_sim"
            simdir.mkdir(exist_ok=True)
            n = check_naive(d / "rtl" / f"{MODULE}.v", latency, model, bits, simdir)
            print(f"{name}: {sum(s.out_dim for s in model.layers)} gate assigns, latency "
                  f"{latency}; iverilog matches PyTorch on {n} vectors", file=sys.stderr,
                  flush=True)
            builds.append((name, d))

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            reports = list(pool.map(lambda b: run_build(*b, args.time_limit), builds))
        rows = [row(name, rep) for (name, _), rep in zip(builds, reports, strict=True)
                if isinstance(rep, dict)]
        for (name, _), rep in zip(builds, reports, strict=True):
            if isinstance(rep, str):
                print(f"{name}: {rep}; left out of the table")
        print_table(rows, args.device, stage_opt, len(bits))
        ref = abc_area_reference(gc_dir / "net.aig")
        naive = [r for r in rows if r["flow"] == "naive"]
        if ref is not None and naive:
            print(f"ABC's area mapping of the same function (&dch -f; &if -K 4 -a; &satlut, no "
                  f"depth bound): {ref[0]} 4-LUTs at depth {ref[1]}; 30% under the naive core "
                  f"is {int(0.7 * naive[0]['area_core'])}")
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2) + "\n")
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
