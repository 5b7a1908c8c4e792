"""compile --care-set train: smaller hardware, exact on the training inputs, changes reported."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from gatecomp.aig import read_aiger, simulate
from gatecomp.cli import main
from gatecomp.frontends.dlgn.formats import save_dlgn
from gatecomp.frontends.qnn import dataset_vectors, load_qnn, reference_outputs
from gatecomp.frontends.qnn.formats import save_qnn
from gatecomp.nn import DIGITS_SPLIT
from tests.unit.dlgn_nets import random_dlgn
from tests.unit.qnn_nets import digits_qnn


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def qnn_ckpt(tmp_path_factory):
    layers, enc = digits_qnn(hidden=24, fan_in=4)
    return save_qnn(tmp_path_factory.mktemp("qnn") / "q.pt", layers, encoding=enc,
                    dataset=dict(DIGITS_SPLIT))


def test_care_set_compile_is_exact_on_training_inputs(tmp_path, qnn_ckpt):
    out = tmp_path / "b"
    res = _run("compile", qnn_ckpt, "-o", out, "--care-set", "train")
    assert res.exit_code == 0, res.output
    assert "care set (train" in res.output
    report = json.loads((out / "report.json").read_text())
    care = report["care_set"]
    assert care["ands_after"] < care["ands_before"]
    assert report["options"]["care_set"] == "train"

    model = load_qnn(qnn_ckpt)
    aig = read_aiger(out / "b.aig")
    net_words = _words(aig, report)
    train_bits, _ = dataset_vectors(model, "train")
    want = reference_outputs(model, train_bits)
    got = net_words(train_bits)
    for port, values in want.items():  # every training input: the network's exact outputs
        assert np.array_equal(got[port], values), port

    test_bits, labels = dataset_vectors(model, "test")
    ref, hw = reference_outputs(model, test_bits), net_words(test_bits)
    changed = np.zeros(len(test_bits), dtype=bool)
    for port in ref:
        changed |= ref[port] != hw[port]
    assert care["vectors_changed"] == int(changed.sum())
    assert care["accuracy"] == pytest.approx(float(np.mean(hw["pred"] == labels)))
    assert care["reference_accuracy"] == pytest.approx(float(np.mean(ref["pred"] == labels)))
    # the testbench expects what the hardware computes (the swept function), not PyTorch
    with np.load(out / "sim" / "vectors.npz") as npz:
        assert np.array_equal(npz["pred"], hw["pred"])
    assert report["checks"]["equivalence"]["equivalent"] is True


def _words(aig, report):
    widths = [(p, w) for p, w in _ports(report)]

    def words(bits):
        out = simulate(aig, bits).astype(np.int64)
        res, at = {}, 0
        for port, w in widths:
            res[port] = out[:, at:at + w] @ (1 << np.arange(w))
            at += w
        return res
    return words


def _ports(report):
    meta = report["network"]
    k, sw = meta["num_classes"], meta["score_width"]
    return [*((f"score{c}", sw) for c in range(k)), ("pred", max(1, (k - 1).bit_length()))]


def test_care_set_needs_a_recorded_dataset(tmp_path):
    ckpt = save_dlgn(tmp_path / "n.pt", random_dlgn([40, 20], in_dim=16, k=2, seed=1))
    res = _run("compile", ckpt, "-o", tmp_path / "o", "--care-set", "train")
    assert res.exit_code == 1
    assert "--care-set train needs a model that records its dataset" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "o").exists()
