"""gatecomp sweep without a cluster: the grid, the cache key, the fronts, the table and page,
one point run in-process, and the command line's -q / --log-json."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from gatecomp.cli import compile_cmd, main
from gatecomp.errors import GatecompError
from gatecomp.flow import CompileOptions
from gatecomp.frontends.dlgn.formats import save_dlgn
from gatecomp.sweep import SweepConfig, keys_from_command, parse_grid
from gatecomp.sweep.cache import file_sha256, normalized_options, point_key, read_done, write_done
from gatecomp.sweep.engine import plan
from gatecomp.sweep.page import Summary, render_sweep
from gatecomp.sweep.pareto import FRONTS, mark_fronts
from gatecomp.sweep.table import csv_text, figures, make_row
from gatecomp.sweep.task import Outcome, PointTask, run_point
from tests.unit.dlgn_nets import random_dlgn


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return save_dlgn(tmp_path_factory.mktemp("m") / "net.pt",
                     random_dlgn([60, 40], in_dim=24, k=4, seed=2))


def _grid(table):
    return parse_grid(table, compile_cmd)


def test_grid_is_the_product_in_command_line_spelling():
    grid = _grid({"passes": ["cleanup", "fast"], "pipeline-stages": [0, 1, "default"],
                  "vectors": 50, "prove": False})
    assert grid.keys == ("passes", "pipeline-stages", "vectors", "prove")
    assert len(grid.points) == 6
    assert [p.values["pipeline-stages"] for p in grid.points[:3]] == [0, 1, None]
    opts = grid.points[1].options()
    assert (opts.script, opts.pipeline_stages, opts.max_vectors, opts.prove) == \
        ("cleanup", 1, 50, False)
    assert grid.points[2].options().pipeline_stages is None  # "default": left out
    assert grid.points[4].label() == "passes=fast, pipeline-stages=1, vectors=50, prove=false"


def test_effort_sets_the_script_unless_passes_does():
    if "effort" not in keys_from_command(compile_cmd):
        pytest.skip("this compile command has no --effort")
    assert _grid({"effort": ["high"]}).points[0].options().script == "high"
    assert _grid({"effort": "high", "passes": "cleanup"}).points[0].options().script == \
        "cleanup"


@pytest.mark.parametrize("table, fragment", [
    ({"pipeline_stages": [1], "stages": [2]},
     "unknown grid keys 'pipeline_stages', 'stages'; the grid takes the options of gatecomp "
     "compile without their dashes: "),
    ({"pipeline-stages": [-1]}, "grid key 'pipeline-stages': -1 is not in the range x>=0"),
    ({"care-set": ["test"]}, "grid key 'care-set': 'test' is not 'train'"),
    ({"prove": ["yes"]}, "grid key 'prove': 'yes' is not true or false"),
    ({"vectors": []}, "grid key 'vectors' has no values"),
    ({}, "the grid is empty"),
])
def test_bad_grid_is_one_line_error(table, fragment):
    with pytest.raises(GatecompError) as exc:
        _grid(table)
    assert fragment in str(exc.value) and "\n" not in str(exc.value)
    if "unknown" in fragment:
        assert "pipeline-stages, levels-per-stage" in str(exc.value)
        assert "output" not in str(exc.value) and "force" not in str(exc.value)


def test_bad_combination_names_the_point(model, tmp_path):
    grid = _grid({"pipeline-stages": [2], "levels-per-stage": ["default", 3]})
    with pytest.raises(GatecompError, match=r"grid point 1 \(pipeline-stages=2, "
                       r"levels-per-stage=3\): --pipeline-stages and --levels-per-stage "
                       r"cannot be combined"):
        plan(model, grid, tmp_path, SweepConfig())


def test_key_is_content_options_and_versions(model, tmp_path):
    sha = file_sha256(model)
    base = normalized_options(CompileOptions(pipeline_stages=1))
    v = {"gatecomp": "0.1.0"}
    key = point_key(sha, base, v)
    # an option left out ("default") is the same point; a build's name is not in it
    same = _grid({"levels-per-stage": "default", "pipeline-stages": 1}).points[0].options()
    assert point_key(sha, normalized_options(same), v) == key
    named = CompileOptions(pipeline_stages=1, name="x", force=True)
    assert point_key(sha, normalized_options(named), v) == key
    other = normalized_options(CompileOptions(pipeline_stages=2))
    assert point_key(sha, other, v) != key
    assert point_key(sha, base, {"gatecomp": "0.2.0"}) != key
    assert point_key("0" * 64, base, v) != key
    vec = tmp_path / "v.npy"
    vec.write_bytes(b"a")
    with_file = normalized_options(CompileOptions(inputs=vec))
    vec.write_bytes(b"b")  # the same path with other bytes is another point
    assert normalized_options(CompileOptions(inputs=vec)) != with_file


def test_done_json_round_trip_and_key_check(tmp_path):
    write_done(tmp_path / "p", {"key": "abc", "outcome": {"key": "abc", "ok": True}})
    assert read_done(tmp_path / "p", "abc")["outcome"]["ok"] is True
    assert read_done(tmp_path / "p", "abd") is None
    (tmp_path / "p" / "done.json").write_text('{"key": "abc", ')  # torn: not an entry
    assert read_done(tmp_path / "p", "abc") is None
    assert not list((tmp_path / "p").glob(".done.*"))


def _outcome(ands, levels, latency, lut4, area=None, fmax=None):
    board = None if area is None else {"resources": {"core": {"lut_area": area, "luts": area,
                                                              "ffs": 9}},
                                       "timing": {"fmax_mhz": fmax},
                                       "target": {"name": "ecp5-25k"},
                                       "pipeline": {"latency_ns_at_fmax": 1.0}}
    report = {"gates": {"ands_optimized": ands, "levels_optimized": levels},
              "pipeline": {"latency": latency, "registers": 0},
              "luts": {"lut4": {"luts": lut4, "depth": 3}}, "timings_s": {"a": 1.0, "b": 0.5}}
    return Outcome("k", True, report=report, board_report=board)


def test_fronts_figures_table_and_page():
    grid = _grid({"pipeline-stages": [0, 1, 2, 3]})
    outs = [_outcome(100, 10, 0, 50, area=50, fmax=100.0),
            _outcome(90, 12, 1, 60, area=60, fmax=200.0),
            _outcome(95, 12, 2, 70, area=70, fmax=150.0),  # beaten by the second everywhere
            None]  # not finished
    rows = [make_row(p, f"{i:064d}", o, cached=i == 0)
            for i, (p, o) in enumerate(zip(grid.points, outs, strict=True))]
    fronts = mark_fronts(rows)
    assert fronts == {"fpga": [0, 1], "luts": [0], "logic": [0, 1]}
    assert rows[0]["pareto"] == "fpga;luts;logic" and rows[2]["pareto"] == ""
    assert figures(outs[0])["compile_s"] == 1.5 and figures(outs[0])["fmax_mhz"] == 100.0
    table = list(csv.DictReader(io.StringIO(csv_text(grid, rows))))
    assert [r["status"] for r in table] == ["ok", "ok", "ok", "pending"]
    assert table[1]["pipeline-stages"] == "1" and table[1]["fpga_lut_area"] == "60"
    assert table[0]["cached"] == "true" and table[3]["ands"] == ""
    html = render_sweep(grid, rows, fronts, Summary("m.pt", "on x", 1.0, 3, 1, 0))
    assert html.count('data-plot="front-') == len(FRONTS)
    assert html.count('class="dot front"') == 5 and "<script" not in html
    no_fpga = [make_row(grid.points[0], "0" * 64, _outcome(1, 1, 0, 1), False)]
    assert "not measured" in render_sweep(grid, no_fpga, mark_fronts(no_fpga),
                                          Summary("m.pt", "on x", 1.0, 1, 0, 0))


def test_run_point_in_process(model, tmp_path):
    opts = CompileOptions(script="cleanup", pipeline_stages=1, prove=False, max_vectors=20)
    task = PointTask("k" * 64, str(model), file_sha256(model), opts, str(tmp_path / "p"), "net")
    out = run_point(task)
    assert out.ok, out.error
    assert out.report["pipeline"]["latency"] == 1
    assert (tmp_path / "p" / "net" / "rtl" / "net.v").is_file()
    assert "wrote" in (tmp_path / "p" / "log.txt").read_text()
    again = run_point(task)  # a retry replaces the first try's build
    assert again.ok and again.report["gates"] == out.report["gates"]
    moved = PointTask(task.key, str(tmp_path / "gone.pt"), task.model_sha256, opts,
                      task.directory, "net")
    failed = run_point(moved)
    assert not failed.ok and "cannot read" in failed.error and "share" in failed.error


def _run(*args, env=None):
    return CliRunner(env=env).invoke(main, [str(a) for a in args])


def test_sweep_cli_errors(model, tmp_path):
    grid = tmp_path / "g.toml"
    grid.write_text('pipeline_stages = [0, 1]\n')
    res = _run("sweep", model, "--grid", grid, "-o", tmp_path / "s")
    assert res.exit_code == 1 and "Error: unknown grid key 'pipeline_stages'" in res.output
    grid.write_text('pipeline-stages = [0, 1\n')
    res = _run("sweep", model, "--grid", grid, "-o", tmp_path / "s")
    assert res.exit_code == 1 and "is not TOML" in res.output
    grid.write_text('pipeline-stages = [0, 1]\n')
    res = _run("sweep", model, "--grid", grid, "-o", tmp_path / "s", "--workers", "2",
               "--scheduler", "tcp://127.0.0.1:1")
    assert res.exit_code == 1 and "--workers sizes the local cluster" in res.output


def test_quiet_and_log_json(model, tmp_path):
    res = _run("-q", "compile", model, "-o", tmp_path / "a", "--no-prove")
    assert res.exit_code == 0, res.output
    assert "[gatecomp]" not in res.stderr and "ANDs" in res.stdout
    res = _run("--log-json", "compile", model, "-o", tmp_path / "b", "--no-prove",
               "--pipeline-stages", "1")
    assert res.exit_code == 0, res.output
    events = [json.loads(line) for line in res.stderr.splitlines()]
    assert events and all(set(e) == {"event", "stage", "message", "seconds", "time"}
                          for e in events)
    load = next(e for e in events if e["stage"] == "load")
    assert load["event"] == "progress" and load["seconds"] >= 0
    assert "ANDs" in res.stdout  # results stay on stdout, as text
    res = _run("--log-json", "compile", model, "-o", tmp_path / "b")  # exists: an error
    assert res.exit_code == 1 and "Error:" not in res.output
    err = json.loads(res.stderr.splitlines()[-1])
    assert err["event"] == "error" and "exists" in err["message"]


def test_progress_lines_stay_in_ci(model, tmp_path):
    """CI=true turns off progress bars only: the [gatecomp] lines are the CI log."""
    res = _run("compile", model, "-o", tmp_path / "a", "--no-prove", env={"CI": "true"})
    assert res.exit_code == 0 and "[gatecomp] load:" in res.stderr


@pytest.mark.slow
def test_run_point_builds_for_a_device(model, tmp_path):
    """A point with a device runs gatecomp build; its FPGA figures come from board/report.json
    and its key depends on the FPGA tools' versions."""
    from gatecomp.sweep.cache import versions
    from gatecomp.toolchain import find_fpga_tool

    if find_fpga_tool("yosys") is None or find_fpga_tool("nextpnr-ecp5") is None:
        pytest.skip("needs gatecomp[fpga]")
    assert set(versions("ecp5")) == {"gatecomp", "amaranth", "yosys", "nextpnr-ecp5"}
    opts = CompileOptions(device="ecp5-25k", prove=False, max_vectors=20)
    task = PointTask("d" * 64, str(model), file_sha256(model), opts, str(tmp_path / "p"),
                     "net", fpga=True)
    out = run_point(task)
    assert out.ok, out.error
    fig = figures(out)
    assert fig["fpga_target"] == "ecp5-25k" and fig["fmax_mhz"] > 0
    assert fig["fpga_lut_area"] > 0 and fig["latency"] == out.report["pipeline"]["latency"]
    assert (tmp_path / "p" / "net" / "board" / "report.json").is_file()


def test_missing_dask_names_the_extra(model, tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "distributed" else real(name, *a))
    grid = tmp_path / "g.toml"
    grid.write_text('pipeline-stages = [0]\nprove = false\n')
    res = _run("sweep", model, "--grid", grid, "-o", tmp_path / "s")
    assert res.exit_code == 1
    assert "gatecomp sweep needs the 'distributed' package, which is not installed: pip " \
           "install 'gatecomp[sweep]'" in res.output
