"""The bundled quantized models end to end: file -> Verilog -> cocotb (Icarus), full test set.

Issue 5's bar: a 2-bit sparse MLP from our own layers (``digits_qnn.pt``) and one trained with
Brevitas and exchanged as QONNX (``digits_brevitas_q2.onnx``) each match the integer PyTorch
reference on all 360 held-out digits with 0 mismatches.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gatecomp.cli import main
from gatecomp.frontends.qnn import dataset_vectors, load_qnn, reference_outputs

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(not shutil.which("iverilog"), reason="iverilog not installed")]

EXAMPLES = Path(__file__).resolve().parents[2] / "gatecomp" / "examples"


@pytest.mark.parametrize("name", ["digits_qnn.pt", "digits_brevitas_q2.onnx"])
def test_bundled_quantized_model_on_the_full_test_set(tmp_path, name):
    out = tmp_path / "q"
    res = CliRunner().invoke(main, ["compile", str(EXAMPLES / name), "-o", str(out),
                                    "--levels-per-stage", "16", "--no-prove"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["verify", str(out)])
    assert res.exit_code == 0, res.output
    model = load_qnn(EXAMPLES / name)
    bits, labels = dataset_vectors(model, "test")
    assert len(bits) == 360
    assert re.search(r"360 vectors, 0 mismatches, 0 timing errors", res.output), res.output
    acc = np.mean(reference_outputs(model, bits)["pred"] == labels)
    assert acc > 0.9 and f"accuracy {acc:.2%}" in res.output
