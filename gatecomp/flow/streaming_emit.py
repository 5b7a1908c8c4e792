"""Emit a streaming build's Verilog and sidecar, and its ``report.json`` with per-layer figures.

Resource figures per layer are what the RTL instantiates: the kernel's LUT4 cover (gatecomp's
mapper on the optimized kernel; Yosys maps the same logic), the flip-flops (window columns,
skid buffer, raster counters), the line buffer (bits, and its rows x width shape, block RAM
where the device has it); the tail as any pipelined net. ``gatecomp build`` adds the placed
totals and Fmax (``board/report.json``), which give the images per second.
"""

from __future__ import annotations

import math

from ..aig import LogicNet, depth
from ..sidecar import InData, InputField, OutputPort, Sidecar, SizeStats
from .clock import StageClock
from .optimize import Optimized


def _specs(snet, kernels: list[LogicNet]):
    from ..backends.streaming import StageSpec

    return [StageSpec(layer.name, g.channels, g.height, g.width, g.field, g.stride, g.pad, k)
            for layer, k in zip(snet.layers, kernels, strict=True)
            for g in (layer.geometry,)]


def emit_streaming(clock: StageClock, snet, kernels: list[LogicNet], opt: Optimized, name: str,
                   opts, record: dict, source: str):
    """``(verilog, sidecar, component)`` of the streaming net (Amaranth, one top module)."""
    from ..backends.streaming import StreamingComponent
    from ..backends.verilog import _header, convert, gatecomp_version, verilog_identifier
    from ..backends.verilog_core import core_module_name, core_verilog
    from ..mapping.stages import PipelineParams, plan_pipeline
    from ..streaming.cycles import simulate_control

    verilog_identifier(name)
    with clock.stage("emit", "emit streaming Verilog") as st:
        levels = None if opt.alignment is None else opt.alignment.levels
        params = PipelineParams(stages=opts.pipeline_stages,
                                levels_per_stage=opts.levels_per_stage or opts.luts_per_stage)
        plan = plan_pipeline(opt.net.aig, params, levels)
        core = core_module_name(name)
        comp = StreamingComponent(_specs(snet, kernels), opt.net, plan, "auto", core)
        timing = simulate_control([la.geometry for la in snet.layers], plan.latency)
        side = Sidecar(
            module=name, generator=f"gatecomp {gatecomp_version()}", source=source,
            options={**record, "conv": "streaming"}, latency=timing.latency, clock="clk",
            reset="rst", in_data=InData(snet.pixel_bits, (InputField("pixel", 0,
                                                                     snet.pixel_bits),)),
            outputs=tuple(OutputPort(h, p, w) for h, p, w in comp.output_port_names()),
            stats=SizeStats(opt.net.aig.num_ands + sum(k.aig.num_ands for k in kernels),
                            depth(opt.net.aig), plan.num_registers),
            construction=comp.construction)
        text = convert(comp, name)
        if comp.construction == "direct":
            text += "\n" + core_verilog(opt.net, plan, core)
        comp.timing, comp.plan = timing, plan
        st.detail = (f"{len(text) / 1e6:.1f} MB, {timing.interval} clocks per image, latency "
                     f"{timing.latency}")
    return _stream_header(side, snet) + _header(side, plan) + text, side, comp


def _stream_header(side: Sidecar, snet) -> str:
    h, w = snet.image_shape
    return (f"// streaming: in_data = one pixel ({snet.pixel_bits} bits, bit c = channel c), "
            f"{h}x{w} pixels per image in raster order, in_valid/in_ready per pixel; one "
            f"result per image; latency = clocks from an image's first pixel to its result "
            f"with no stalls\n")


def layer_figures(layer, kernel: LogicNet) -> dict:
    """LUTs, FFs and RAM of one window layer as the RTL builds it."""
    from ..mapping.lutmap import LutMapParams, lutmap

    g = layer.geometry
    wp, hp = g.width + 2 * g.pad, g.height + 2 * g.pad
    luts = lutmap(kernel.aig, LutMapParams(k=4))[0].num_luts if kernel.aig.num_ands else 0
    counters = math.ceil(math.log2(max(2, hp))) + math.ceil(math.log2(max(2, wp)))
    return {
        "name": layer.name, "type": layer.type,
        "in_shape": [g.channels, g.height, g.width], "out_shape": list(layer.out_shape),
        "field": g.field, "stride": g.stride, "padding": g.pad,
        "kernel_ands": kernel.aig.num_ands, "kernel_luts4": luts,
        "flip_flops": (g.field - 1) * g.field * g.channels + 2 * layer.out_channels + 2
        + counters,
        "ram_bits": (g.field - 1) * g.channels * wp,
        "ram_shape": [wp, (g.field - 1) * g.channels],
        "steps_per_image": hp * wp,
    }


def streaming_report(model, snet, kernels, tail: LogicNet, opt: Optimized, proofs, comp,
                     sidecar: Sidecar, record: dict, source: str, vec, own, timings) -> dict:
    from ..mapping.lutmap import LutMapParams, lutmap
    from ..verify.accuracy import accuracy

    layers = [layer_figures(la, k) for la, k in zip(snet.layers, kernels.optimized, strict=True)]
    for row, proof in zip(layers, kernels.proofs, strict=True):
        row["proof"] = proof
    last = snet.layers[-1]
    tail_luts = lutmap(opt.unaligned.aig, LutMapParams(k=4))[0].num_luts
    timing = comp.timing
    return {
        "source": source, "format": model.format, "options": dict(sidecar.options),
        "network": {"layers": [{"name": r.name, "type": r.type, "out_shape": list(r.out_shape),
                                "gates": r.gates} for r in model.rows],
                    "logic_gates": model.logic_gates, "num_classes": model.num_classes},
        "gates": {
            "trained_logic_gates": model.logic_gates,
            "ands_lowered": tail.aig.num_ands + sum(k.aig.num_ands for k in kernels.lowered),
            "ands_optimized": opt.unaligned.aig.num_ands
            + sum(k.aig.num_ands for k in kernels.optimized),
            "levels_lowered": depth(tail.aig), "levels_optimized": depth(opt.unaligned.aig),
        },
        "streaming": {
            "layers": layers,
            "collector": {"bits": last.out_channels * last.geometry.positions,
                          "flip_flops": last.out_channels * last.geometry.positions + 1},
            "tail": {"ands_lowered": tail.aig.num_ands, "ands": opt.unaligned.aig.num_ands,
                     "luts4": tail_luts, "pipeline_latency": comp.plan.latency,
                     "flip_flops": comp.plan.num_registers + comp.plan.latency},
            "pixel_bits": snet.pixel_bits, "image": list(snet.image_shape),
            "latency_clocks": timing.latency, "clocks_per_image": timing.interval,
            "images_per_clock": 1.0 / timing.interval if timing.interval else None,
            "totals": {"kernel_luts4": sum(r["kernel_luts4"] for r in layers),
                       "luts4_estimate": sum(r["kernel_luts4"] for r in layers) + tail_luts,
                       "ram_bits": sum(r["ram_bits"] for r in layers)},
        },
        "pipeline": {"latency": sidecar.latency, "registers": sidecar.stats.registers},
        "vectors": {"count": len(vec.bits), "kind": vec.description},
        "accuracy": {"reference": accuracy(own.outputs["pred"], vec.labels)
                     if own.outputs is not None else None},
        "checks": {"streaming_vs_reference_mismatches": 0,
                   "equivalence": None if proofs.own is None else proofs.own.as_dict(),
                   "kernels_formal": kernels.proofs,
                   "reference": {"name": own.name, "independent": own.independent}},
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }
