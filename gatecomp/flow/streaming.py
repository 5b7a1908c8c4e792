"""``compile_model`` for ``--conv streaming``: window layers + a flat tail, checked, emitted.

load -> extract (one kernel circuit per conv/pool layer, position invariance checked) ->
optimize kernels and tail (the same pass script and LUT alignment as any circuit) -> prove
(each optimized kernel == its lowering, the kernel slid over the map == the frontend's flat
layer, the tail as any net) -> check (the decomposition evaluated in software == the model's
own forward and gatecomp's reference on every vector) -> emit (Amaranth streaming component)
-> report (``report["streaming"]``: per layer LUTs, FFs, RAM; latency, throughput) -> write.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..aig import LogicNet
from ..errors import GatecompError, InternalError
from ..outdir import atomic_directory
from ..verify.equivalence import prove_equivalent
from .clock import StageClock
from .optimize import Optimized, optimize_stage
from .prove import prove_stage

#: LUT4s of the devices ``--conv auto`` compares the flat design with (vendor data sheets)
DEVICE_LUTS = {"up5k": 5280, "hx8k": 7680, "hx4k": 3520, "hx1k": 1280, "lp8k": 7680,
               "12k": 12288, "25k": 24288, "45k": 43848, "85k": 83640}
#: the flat design's LUT4s per trained gate, as measured on trained and random DLGNs
#: (digits: 4600 gates -> 3201 LUT4 = 0.70; random 8k: 0.56); the smaller one, to be safe
FLAT_LUTS_PER_GATE = 0.5


def device_luts(target) -> int | None:
    m = re.search(r"(up5k|hx8k|hx4k|hx1k|lp8k|12k|25k|45k|85k)", (target.device or "").lower())
    return DEVICE_LUTS.get(m.group(1)) if m else None


def wants_streaming(conv: str | None, frontend: str, net, target, say) -> bool:
    """``--conv``: 'flat', 'streaming', or (None/'auto') streaming where flat cannot fit."""
    if conv == "flat":
        return False
    if frontend != "torchlogix":
        if conv == "streaming":
            raise GatecompError("--conv streaming is for torchlogix models with LogicConv2d "
                                f"layers, not {frontend} models")
        return False
    if conv == "streaming":
        if not has_conv(net):
            raise GatecompError("--conv streaming needs a torchlogix model with LogicConv2d "
                                "layers")
        return True
    if not has_conv(net) or target is None or device_luts(target) is None:
        return False
    flat = int(net.logic_gates * FLAT_LUTS_PER_GATE)
    if flat <= device_luts(target):
        return False
    say(f"--conv streaming: the flat design needs about {flat} LUT4 for "
        f"{net.logic_gates} trained gates, the {target.device} has {device_luts(target)}")
    return True


def has_conv(net) -> bool:
    """Whether ``net`` is a torchlogix model with LogicConv2d layers (it can stream)."""
    rows = getattr(net, "rows", None)
    return bool(rows) and any(r.type == "LogicConv2d" for r in rows)


@dataclass
class Kernels:
    lowered: list[LogicNet]
    optimized: list[LogicNet]
    proofs: list[dict]


def kernel_stage(clock: StageClock, snet, script: str) -> Kernels:
    """Each layer's kernel through the pass script, proved equal to its lowering and (slid
    over the map) to the frontend's flat layer."""
    from ..passes.script import run_script
    from ..streaming.formal import prove_kernel

    lowered, optimized, proofs = [], [], []
    with clock.stage("kernels", "optimize + prove the conv kernels") as st:
        for layer in snet.layers:
            aig, _ = run_script(layer.kernel.aig, script)
            eq = prove_equivalent(layer.kernel.aig, aig)
            if eq.equivalent is not True:
                raise InternalError(f"layer {layer.name}: kernel optimization not proved")
            proof = prove_kernel(layer, aig).as_dict()
            proof.update(ands_lowered=layer.kernel.aig.num_ands, ands_optimized=aig.num_ands)
            lowered.append(layer.kernel)
            optimized.append(layer.kernel.with_aig(aig))
            proofs.append(proof)
        st.detail = ", ".join(f"{p['layer']}: {p['ands_lowered']}->{p['ands_optimized']}"
                              for p in proofs)
    return Kernels(lowered, optimized, proofs)


def check_streaming(clock: StageClock, frontend, model, snet, kernels: Kernels,
                    tail: LogicNet, opts, source: str):
    """The decomposition in software == gatecomp's reference == the model's own forward."""
    from ..streaming.model import streaming_outputs
    from ..vectors import model_vectors

    with clock.stage("check", "check streaming decomposition vs PyTorch") as st:
        vec = model_vectors(frontend, model, opts.inputs, opts.max_vectors)
        reference = frontend.reference(model, vec.bits)
        got = streaming_outputs(snet, tail, vec.bits, kernels.optimized)
        _agree(got, reference, "gatecomp's reference", InternalError)
        own = frontend.own_forward(model, vec.bits)
        if own.outputs is not None:
            _agree(got, own.outputs, own.name, GatecompError, source)
        clock.say(f"  reference: {own.name}")
        st.detail = f"{len(vec.bits)} {vec.description} vectors, 0 mismatches"
    return vec, reference, own


def _agree(got: dict, want: dict, what: str, error: type, source: str = "") -> None:
    for port, values in want.items():
        bad = np.flatnonzero(np.asarray(got[port]) != np.asarray(values))
        if len(bad):
            raise error(f"{source + ': ' if source else ''}the streaming circuit differs from "
                        f"{what} on {len(bad)} vectors (first: vector {bad[0]}, {port})")


def compile_streaming(clock: StageClock, frontend, model, out_dir: Path, name: str, opts,
                      record: dict, source: str, target) -> dict:
    """The whole streaming compile after load; returns the report (the build is written)."""
    from ..frontends.torchlogix.lower import lower_network
    from ..streaming import streaming_net

    with clock.stage("extract", "window layers (position invariance checked)") as st:
        snet = streaming_net(model)
        tail = lower_network(snet.tail)
        st.detail = (f"{len(snet.layers)} window layers, tail {tail.aig.num_ands} ANDs over "
                     f"{tail.aig.num_inputs} bits")
    kernels = kernel_stage(clock, snet, opts.script)
    opt = optimize_stage(clock, tail, opts.script, opts.luts_per_stage)
    proofs = prove_stage(clock, tail.aig, opt.unaligned.aig, opts.prove, False)
    vec, reference, own = check_streaming(clock, frontend, model, snet, kernels, opt.net, opts,
                                          source)
    from .streaming_emit import emit_streaming, streaming_report

    verilog, sidecar, comp = emit_streaming(clock, snet, kernels.optimized, opt, name, opts,
                                            record, source)
    report = streaming_report(model, snet, kernels, tail, opt, proofs, comp, sidecar, record,
                              source, vec, own, clock.timings)
    _write(clock, out_dir, opts.force, name, snet, opt, verilog, sidecar, report, vec,
           reference, target)
    return report


def _write(clock, out_dir: Path, force: bool, name: str, snet, opt: Optimized, verilog: str,
           sidecar, report: dict, vec, expected: dict, target) -> None:
    from ..aig import write_aiger
    from ..verify.image_rtl import write_image_sim_dir

    g = snet.layers[0].geometry
    with atomic_directory(out_dir, force) as tmp:
        (tmp / "rtl").mkdir()
        (tmp / "rtl" / f"{name}.v").write_text(verilog)
        sidecar.write(tmp / "rtl" / f"{name}.json")
        write_aiger(opt.net.aig, tmp / f"{name}_tail.aig", comment="gatecomp: streaming tail")
        write_image_sim_dir(tmp / "sim", name, sidecar, vec.bits,
                            (g.channels, g.height, g.width), expected)
        np.save(tmp / "sim" / "labels.npy", vec.labels if vec.labels is not None
                else np.full(len(vec.bits), -1))
        (tmp / "report.json").write_text(json.dumps(report, indent=2) + "\n")
        if target is not None:
            from ..fpga.project import write_board_project
            write_board_project(tmp, name, sidecar, target, None, None)
            clock.say(f"board/ for {target.description}: run `gatecomp build {out_dir}`")
    clock.say(f"wrote {out_dir}")
