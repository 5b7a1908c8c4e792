"""compile --care-set train through the RTL: the Verilog computes the swept function exactly."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from gatecomp.cli import main
from gatecomp.frontends.qnn import dataset_vectors, load_qnn, reference_outputs
from gatecomp.frontends.qnn.formats import save_qnn
from gatecomp.nn import DIGITS_SPLIT
from tests.unit.qnn_nets import digits_qnn

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(not shutil.which("iverilog"), reason="iverilog not installed")]


def test_care_set_build_verifies_in_rtl(tmp_path):
    layers, enc = digits_qnn(hidden=24, fan_in=4)
    ckpt = save_qnn(tmp_path / "q.pt", layers, encoding=enc, dataset=dict(DIGITS_SPLIT))
    out = tmp_path / "b"
    res = CliRunner().invoke(main, ["compile", str(ckpt), "-o", str(out), "--care-set", "train",
                                    "--pipeline-stages", "2"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["verify", str(out)])
    assert res.exit_code == 0, res.output
    assert re.search(r"360 vectors, 0 mismatches, 0 timing errors", res.output), res.output
    # the accuracy the RTL reached is the one the report gives for the swept function, and it
    # differs from PyTorch on exactly the reported number of vectors
    care = json.loads((out / "report.json").read_text())["care_set"]
    assert f"accuracy {care['accuracy']:.2%}" in res.output
    model = load_qnn(ckpt)
    bits, _ = dataset_vectors(model, "test")
    with np.load(out / "sim" / "vectors.npz") as npz:
        expected_pred = npz["pred"]
    changed = expected_pred != reference_outputs(model, bits)["pred"]
    assert int(changed.sum()) <= care["vectors_changed"]
