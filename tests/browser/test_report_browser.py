"""report.html in a real browser: Debian's Chromium driven by Playwright (PyPI).

The page must load with no console errors and no request leaving the file, every plot must
render with a nonzero size (and draw its bars), and every number shown must equal the value
in the file its ``data-key`` names. Playwright's own browser download cannot reach the
internet here, so the system ``chromium`` (``make`` installs it) is launched by path; without
either the test is skipped, saying which is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.unit.test_report_html import (
    add_fpga_and_asic,
    expected_value,
    make_build,
    value_matches,
)

sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright not installed (pip install -e '.[dev]')")
CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "",
                             shutil.which("chromium-browser") or "") if p and Path(p).is_file()),
                None)
pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="no chromium executable (apt-get install chromium)")


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Path:
    out = make_build(tmp_path_factory.mktemp("browser"))
    add_fpga_and_asic(out)
    return out


@pytest.fixture(scope="module")
def loaded(build):
    """(page, console errors, page errors, requests not to the file) after loading."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        console, errors, outside = [], [], []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: None if r.url.startswith("file://")
                else outside.append(r.url))
        page.goto((build / "report.html").resolve().as_uri(), wait_until="load")
        yield page, console, errors, outside
        browser.close()


def test_page_loads_without_errors_or_network(loaded):
    page, console, errors, outside = loaded
    assert console == [] and errors == [], (console, errors)
    assert outside == []
    assert page.title().startswith("gatecomp report")


def test_every_plot_renders(loaded):
    page = loaded[0]
    plots = page.eval_on_selector_all("svg.plot", """els => els.map(e => {
        const r = e.getBoundingClientRect();
        const bars = [...e.querySelectorAll('.bar')].map(b => b.getBoundingClientRect())
            .filter(b => b.width > 0 && b.height > 0).length;
        return [e.dataset.plot, r.width, r.height, bars]; })""")
    names = {name for name, *_ in plots}
    for needed in ("accuracy", "stages_ands", "layer_gates", "gate_types", "level_profile",
                   "port_depth", "passes_ands", "fpga_core_shell", "fpga_utilization",
                   "asic_cells", "timings"):
        assert needed in names, needed
    for name, width, height, bars in plots:
        assert width > 50 and height > 20, (name, width, height)
        assert bars > 0, f"{name}: no bar drawn"


def test_numbers_shown_equal_the_files(loaded, build):
    page = loaded[0]
    shown = page.eval_on_selector_all("[data-key]", """els => els.map(e =>
        [e.dataset.key, e.dataset.fmt || 'auto', e.textContent])""")
    assert len(shown) > 100
    keys = {k for k, _, _ in shown}
    for needed in ("report.accuracy.reference", "report.accuracy.ir",
                   "report.checks.ir_vs_reference_mismatches", "board.timing.fmax_mhz",
                   "board.resources.total.luts", "report.asic.area_um2", "aig.depth"):
        assert needed in keys, needed
    for key, fmt, text in shown:
        assert value_matches(text, fmt, expected_value(build, key)), (key, text)


def test_screenshot(loaded, build):
    """A full-page screenshot (for a person to look at; nonempty is all that is checked)."""
    shot = build / "report_screenshot.png"
    loaded[0].screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
