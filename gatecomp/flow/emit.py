"""The build's outputs: LUT-count estimates, the Verilog, and the build directory itself.

The directory is written atomically (:mod:`gatecomp.outdir`): a failed compile leaves nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..aig import write_aiger
from ..outdir import atomic_directory
from ..report import write_report_html
from ..sidecar import Sidecar
from .cells import CellCore
from .check import Checked
from .clock import StageClock
from .optimize import Optimized

#: above this many ANDs the LUT-count estimate in the report is skipped (it is a figure only)
LUT_ESTIMATE_LIMIT = 500_000


def lut_estimate_stage(clock: StageClock, opt: Optimized) -> dict[str, dict]:
    """4- and 6-input LUT counts and depths of the optimized AIG (our priority-cut mapper)."""
    if opt.net.aig.num_ands > LUT_ESTIMATE_LIMIT:
        return {}
    from ..mapping.lutmap import LutMapParams, lutmap

    with clock.stage("lutmap", "LUT mapping estimate") as st:
        out = {}
        for k in (4, 6):
            lut_net, _ = lutmap(opt.unaligned.aig, LutMapParams(k=k))
            out[f"lut{k}"] = {"luts": lut_net.num_luts, "depth": lut_net.depth()}
        st.detail = ", ".join(f"{v['luts']} {k} (depth {v['depth']})" for k, v in out.items())
    return out


def verilog_stage(clock: StageClock, opt: Optimized, name: str, opts, options: dict,
                  source: str) -> tuple[str, Sidecar]:
    """The RTL (Amaranth) and its sidecar: port map, widths, latency, source, options."""
    from ..backends.verilog import emit_verilog
    from ..mapping.stages import PipelineParams

    with clock.stage("emit", "emit Verilog") as st:
        pipeline = PipelineParams(stages=opts.pipeline_stages,
                                  levels_per_stage=opts.levels_per_stage or opts.luts_per_stage)
        levels = None if opt.alignment is None else opt.alignment.levels
        verilog, sidecar = emit_verilog(opt.net, name, pipeline, source=source, options=options,
                                        node_levels=levels)
        st.detail = f"{len(verilog) / 1e6:.1f} MB, latency {sidecar.latency}"
    return verilog, sidecar


def write_build(clock: StageClock, out_dir: Path, force: bool, name: str, source: str,
                opt: Optimized, checked: Checked, verilog: str, sidecar: Sidecar, report: dict,
                target, cells: CellCore | None) -> None:
    """Write the build directory in one step: rtl/, NAME.aig, sim/, report.json, board/."""
    from ..verify.rtl_sim import write_sim_dir

    vec = checked.vectors
    with atomic_directory(out_dir, force) as tmp:
        (tmp / "rtl").mkdir()
        (tmp / "rtl" / f"{name}.v").write_text(verilog)
        sidecar.write(tmp / "rtl" / f"{name}.json")
        write_aiger(opt.net.aig, tmp / f"{name}.aig", comment=f"gatecomp: {source}")
        write_sim_dir(tmp / "sim", name, sidecar, vec.bits, checked.expected)
        np.save(tmp / "sim" / "labels.npy", vec.labels if vec.labels is not None
                else np.full(len(vec.bits), -1))
        (tmp / "report.json").write_text(json.dumps(report, indent=2) + "\n")
        write_report_html(tmp)  # report.html: drawn from the files just written
        if target is not None:
            from ..fpga.project import write_board_project
            write_board_project(tmp, name, sidecar, target,
                                None if cells is None else cells.verilog,
                                None if cells is None else cells.chains_script)
            clock.say(f"board/ for {target.description}: run `gatecomp build {out_dir}`")
    clock.say(f"wrote {out_dir}")
