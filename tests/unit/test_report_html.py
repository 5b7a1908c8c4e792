"""report.html: written by every compile, redrawn by ``gatecomp report``, self-contained and
deterministic, and every number it shows is the one in the file it names (``data-key``).

The browser test (tests/browser) checks the same page as rendered by Chromium; the helpers
here (a small build, FPGA and ASIC figures beside it, the values behind the keys) serve both.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from gatecomp.aig import AIGBuilder, depth, levels
from gatecomp.cli import main
from gatecomp.flow import CompileOptions, compile_model
from gatecomp.frontends.dlgn.formats import save_dlgn
from gatecomp.nn import DIGITS_SPLIT
from gatecomp.nn.encoding import digits_encoding
from gatecomp.report import load_build, render_report, write_report_html
from gatecomp.report.structure import analyse
from tests.unit.dlgn_nets import random_dlgn

#: a ``gatecomp build`` report in make_report's shape (ECP5, numbers as nextpnr gives them)
BOARD = {
    "module": "net", "top": "net_ooc",
    "target": {"name": "ecp5-25k", "description": "ECP5 25K (out of context)",
               "family": "ecp5", "device": "25k", "package": "CABGA381", "speed": 6},
    "core_source": "rtl/net.v",
    "resources": {"total": {"luts": 141, "ffs": 77, "carry": 3, "ram": 0, "dsp": 0,
                            "lut_area": 147},
                  "core": {"luts": 120, "ffs": 60, "carry": 0, "ram": 0, "dsp": 0,
                           "lut_area": 120},
                  "shell": {"luts": 21, "ffs": 17, "carry": 3, "ram": 0, "dsp": 0,
                            "lut_area": 27}},
    "utilization": {"TRELLIS_COMB": {"used": 150, "available": 24288, "percent": 0.6},
                    "TRELLIS_FF": {"used": 77, "available": 24288, "percent": 0.3}},
    "logic_utilization_percent": 0.6,
    "timing": {"clocks": {"clk": {"fmax_mhz": 231.27, "constraint_mhz": 100.0, "met": True}},
               "fmax_mhz": 231.27, "critical_path_logic_levels": 4, "critical_path_ns": 4.324,
               "required_mhz": None, "nextpnr_target_mhz": 100.0, "met": None},
    "pipeline": {"latency": 2, "ir_levels": 9, "registers": 40, "latency_ns_at_fmax": 8.65},
    "throughput": {"core_inferences_per_s": 231270000, "note": "one per clock"},
    "commands": [], "timings_s": {"yosys": 3.1, "nextpnr-ecp5": 12.25, "ecppack": 0.4},
}
#: ``report.json["asic"]`` as the ASIC stage writes it
ASIC = {"library": "osu018", "area_um2": 5321.125, "cells": 212, "delay_ns": 2.4, "flops": 40,
        "fmax_mhz": 416.67, "min_period_ns": 2.4,
        "critical_path": {"from": "x[3]", "to": "out_pred[1]", "cells": 11, "setup_ns": 0.1},
        "cell_types": {"NAND2X1": 80, "INVX1": 52, "DFFPOSX1": 40, "XOR2X1": 40}}


def make_build(root: Path) -> Path:
    """A small random DLGN on the digits encoding (so its test vectors have labels) compiled
    into ``root/net`` (a few seconds)."""
    ckpt = save_dlgn(root / "net.pt", random_dlgn([120, 60], in_dim=192, k=10, seed=2),
                     encoding=digits_encoding(), dataset=dict(DIGITS_SPLIT))
    out = root / "net"
    compile_model(ckpt, out, CompileOptions(name="net", pipeline_stages=2, script="resyn2"))
    return out


def add_fpga_and_asic(build: Path) -> None:
    """Give ``build`` a board/report.json and report.json["asic"], then redraw the page."""
    (build / "board").mkdir(exist_ok=True)
    (build / "board" / "report.json").write_text(json.dumps(BOARD, indent=2))
    rep = json.loads((build / "report.json").read_text())
    rep["asic"] = ASIC
    (build / "report.json").write_text(json.dumps(rep, indent=2))
    write_report_html(build)


def _at(data, path: str):
    for part in path.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def expected_value(build: Path, key: str):
    """The value behind ``key``: report.json, board/report.json, or the AIG itself."""
    src, _, path = key.partition(".")
    if src == "report":
        return _at(json.loads((build / "report.json").read_text()), path)
    if src == "board":
        return _at(json.loads((build / "board" / "report.json").read_text()), path)
    assert src == "aig", key
    data = load_build(build)
    s = analyse(data.aig, data.sidecar)
    if path.startswith("port_depth."):
        return dict(s.port_depths)[path.split(".", 1)[1]]
    return {"ands": data.aig.num_ands, "depth": depth(data.aig),
            "critical_path": depth(data.aig)}[path]


def value_matches(text: str, fmt: str, value) -> bool:
    """Whether the shown ``text`` is ``value`` as written (to the digits shown)."""
    if isinstance(value, bool):
        return text == ("yes" if value else "no")
    if isinstance(value, str):
        return text == value
    m = re.fullmatch(r"(-?\d+(?:\.(\d+))?)%?( .*)?", text.strip())
    if m is None:
        return False
    shown, decimals = float(m.group(1)), len(m.group(2) or "")
    want = float(value) * (100.0 if fmt == "pct" else 1.0)
    return abs(shown - want) <= 0.5 * 10 ** -decimals + 1e-9 * abs(want)


class _Numbers(HTMLParser):
    """(data-key, data-fmt, text) of every keyed element, and every tag name seen."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[list[str]] = []
        self.tags: set[str] = set()
        self._open: list[list[str] | None] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        a = dict(attrs)
        if tag in ("rect", "circle", "line", "polyline", "meta"):
            return  # void / self-closed here
        entry = [a["data-key"], a.get("data-fmt", "auto"), ""] if "data-key" in a else None
        self._open.append(entry)
        if entry:
            self.found.append(entry)

    def handle_endtag(self, tag):
        if tag not in ("rect", "circle", "line", "polyline", "meta") and self._open:
            self._open.pop()

    def handle_data(self, data):
        for entry in self._open:
            if entry is not None:
                entry[2] += data


def shown_numbers(page: str) -> list[list[str]]:
    parser = _Numbers()
    parser.feed(page)
    return parser.found


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Path:
    return make_build(tmp_path_factory.mktemp("report"))


def test_every_compile_writes_a_self_contained_page(build):
    page = (build / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    for banned in ("<script", "<link", "@import", "url(", "<img", "<iframe"):
        assert banned not in page, banned
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"] * \
        page.count("<svg")
    for plot in ("accuracy", "stages_ands", "layer_gates", "gate_types", "level_profile",
                 "port_depth", "passes_ands", "passes_levels", "timings"):
        assert f'data-plot="{plot}"' in page, plot
    assert "FPGA: not measured" in page and "ASIC: not measured" in page
    assert "not measured" not in page.split('id="accuracy"')[1].split("</section>")[0]


def test_numbers_shown_are_the_files_numbers(build):
    found = shown_numbers((build / "report.html").read_text())
    keys = {k for k, _, _ in found}
    for needed in ("report.gates.ands_lowered", "report.gates.ands_optimized",
                   "report.accuracy.reference", "report.accuracy.ir",
                   "report.checks.ir_vs_reference_mismatches", "report.passes.0.ands_after",
                   "report.network.gate_histogram.AND", "aig.depth", "aig.critical_path"):
        assert needed in keys, needed
    for key, fmt, text in found:
        assert value_matches(text, fmt, expected_value(build, key)), (key, text)


def test_fpga_and_asic_figures_appear_when_measured(tmp_path, build):
    import shutil

    b = tmp_path / "b"
    shutil.copytree(build, b)
    add_fpga_and_asic(b)
    page = (b / "report.html").read_text()
    for plot in ("fpga_core_shell", "fpga_utilization", "fpga_percent", "asic_cells",
                 "fpga_timings"):
        assert f'data-plot="{plot}"' in page, plot
    assert "not measured (no asic" not in page and "FPGA: not measured" not in page
    found = shown_numbers(page)
    keys = {k for k, _, _ in found}
    for needed in ("board.timing.fmax_mhz", "board.resources.core.luts",
                   "board.utilization.TRELLIS_COMB.available", "report.asic.area_um2",
                   "report.asic.fmax_mhz", "report.asic.flops"):
        assert needed in keys, needed
    for key, fmt, text in found:
        assert value_matches(text, fmt, expected_value(b, key)), (key, text)


def test_page_is_deterministic_and_report_redraws_it(tmp_path, build):
    first = (build / "report.html").read_text()
    assert render_report(load_build(build)) == first
    res = CliRunner().invoke(main, ["report", str(build)])
    assert res.exit_code == 0, res.output
    assert (build / "report.html").read_text() == first


def test_report_open_shows_the_page(build, monkeypatch):
    import webbrowser

    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url))
    res = CliRunner().invoke(main, ["report", str(build), "--open"])
    assert res.exit_code == 0, res.output
    assert opened == [(build / "report.html").resolve().as_uri()]


@pytest.mark.parametrize("make, fragment", [
    (lambda d: d / "missing", "not found"),
    (lambda d: d, "has no report.json"),
])
def test_bad_build_dir_is_one_line(tmp_path, make, fragment):
    res = CliRunner().invoke(main, ["report", str(make(tmp_path))])
    assert res.exit_code == 1
    errors = [ln for ln in res.output.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and fragment in errors[0] and "Traceback" not in res.output


def test_torchlogix_layers_and_missing_sections(tmp_path, build):
    """A frontend with named layers gets its layer table; absent data says so."""
    import shutil

    b = tmp_path / "t"
    shutil.copytree(build, b)
    rep = json.loads((b / "report.json").read_text())
    rep["network"] = {"frontend": "torchlogix", "layers": [
        {"name": "0", "type": "LogicConv2d", "out_shape": [4, 6, 6], "gates": 144},
        {"name": "2", "type": "LogicDense", "out_shape": [40], "gates": 40}]}
    rep["passes"] = []
    (b / "report.json").write_text(json.dumps(rep))
    (b / "net.aig").unlink()
    page = render_report(load_build(b))
    assert "LogicConv2d" in page and "Gates (LUT neurons) per layer type" in page
    assert 'data-key="report.network.layers.1.gates"' in page
    assert "net.aig is missing" in page and "No passes ran" in page


def test_critical_path_walks_one_level_per_and():
    b = AIGBuilder(4)
    x = b.inputs()
    deep = b.add_and(b.add_and(b.add_and(x[0], x[1]), x[2]), x[3])
    aig = b.build([b.add_and(x[0], x[3]), deep])
    s = analyse(aig, None)
    lev = levels(aig)
    assert s.depth == 3 and s.critical.length == 3 and s.ands_per_level == (2, 1, 1)
    assert [int(lev[n]) for n in s.critical.nodes] == [1, 2, 3]
    assert s.critical.end == aig.output_names[1]


def test_gatecomp_build_redraws_the_page_with_fpga_results(tmp_path, monkeypatch):
    """``gatecomp build`` rewrites report.html after board/report.json (the tools stubbed)."""
    from gatecomp.fpga import flow

    ckpt = save_dlgn(tmp_path / "n.pt", random_dlgn([40, 20], in_dim=16, k=2, seed=3))
    out = tmp_path / "net"
    compile_model(ckpt, out, CompileOptions(name="net", device="ecp5-25k", script="fast",
                                            prove=False))
    assert "FPGA: not measured" in (out / "report.html").read_text()
    monkeypatch.setattr(flow, "require_fpga_tool", lambda tool: tool)
    monkeypatch.setattr(flow, "_run_steps", lambda *a, **k: ([], {}))
    monkeypatch.setattr(flow, "make_report", lambda *a, **k: BOARD)
    flow.build(out)
    page = (out / "report.html").read_text()
    assert 'data-key="board.timing.fmax_mhz"' in page and "FPGA: not measured" not in page
