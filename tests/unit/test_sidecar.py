"""The typed sidecar: its file reads back equal, keeps the key order, and refuses foreign files
in one line naming the file and the key."""

from __future__ import annotations

import json
import re
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from gatecomp.errors import GatecompError
from gatecomp.sidecar import InData, InputField, OutputPort, Sidecar, SizeStats


def make_sidecar(module: str = "m", latency: int = 1, inputs=(("x", 6),),
                 outputs=(("a", 3),), **kw) -> Sidecar:
    """A hand-written sidecar: ``inputs``/``outputs`` are (name, width), packed LSB first."""
    fields, lsb = [], 0
    for name, width in inputs:
        fields.append(InputField(name, lsb, width))
        lsb += width
    values = {"module": module, "generator": "hand-written test fixture", "source": "",
              "options": {}, "latency": latency, "clock": "clk", "reset": "rst",
              "in_data": InData(lsb, tuple(fields)),
              "outputs": tuple(OutputPort(f"out_{n}", n, w) for n, w in outputs),
              "stats": SizeStats(0, 0, 0), "construction": "level"}
    return Sidecar(**{**values, **kw})


def test_written_file_reads_back_equal(tmp_path: Path):
    side = make_sidecar("net", 2, (("x", 5), ("y", 3)), (("a", 4), ("pred", 2)),
                        options={"script": "cleanup", "pipeline_stages": 2})
    side.write(tmp_path / "net.json")
    back = Sidecar.read(tmp_path / "net.json")
    assert back == side and back.to_json() == side.to_json()
    assert list(json.loads(side.to_json())) == [
        "module", "generator", "source", "options", "latency", "clock", "reset", "in_data",
        "outputs", "stats", "construction"]
    assert back.output("out_pred").name == "pred"


def test_unknown_sizes_are_null(tmp_path: Path):
    side = make_sidecar(stats=SizeStats(None, None, None))  # a core gatecomp did not write
    side.write(tmp_path / "naive.json")
    assert Sidecar.read(tmp_path / "naive.json").stats == SizeStats(None, None, None)


def test_it_is_frozen_and_its_options_read_only():
    options = {"script": "cleanup"}
    side = make_sidecar(options=options)
    options["script"] = "resyn2"  # the caller's dict does not reach the sidecar
    assert side.options["script"] == "cleanup"
    with pytest.raises(FrozenInstanceError):
        side.latency = 3
    with pytest.raises(TypeError):
        side.options["script"] = "x"


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("latency"), "lacks the key 'latency'"),
    (lambda d: d["stats"].pop("levels"), "lacks the key 'stats.levels'"),
    (lambda d: d["outputs"][0].pop("name"), r"lacks the key 'outputs\[0\].name'"),
    (lambda d: d.update(extra=1), "has an unknown key 'extra'"),
    (lambda d: d["in_data"].update(width="6"), "the key 'in_data.width' is not an integer"),
])
def test_foreign_files_are_refused_in_one_line(tmp_path: Path, change, message):
    data = make_sidecar().to_dict()
    change(data)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    with pytest.raises(GatecompError, match=rf"^sidecar {re.escape(str(path))}:? {message}$"):
        Sidecar.read(path)


def test_unreadable_files_are_refused(tmp_path: Path):
    path = tmp_path / "bad.json"
    path.write_text("{")
    with pytest.raises(GatecompError, match=f"cannot read sidecar {re.escape(str(path))}"):
        Sidecar.read(path)
    path.write_text("[]")
    with pytest.raises(GatecompError, match="the file is not a JSON object"):
        Sidecar.read(path)
