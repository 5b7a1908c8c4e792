"""BNN frontend: the lowered AIG equals the PyTorch integer reference bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from gatecomp.aig import simulate
from gatecomp.errors import GatecompError, UnknownFormatError
from gatecomp.frontends.bnn import (
    describe_bnn,
    load_bnn,
    lower_bnn,
    reference_outputs,
)
from gatecomp.frontends.bnn import formats as bnn_formats
from gatecomp.frontends.registry import load_model
from gatecomp.nn import DIGITS_SPLIT, BinaryLinear, digits_encoding
from tests.unit.bnn_nets import random_bnn

BUNDLED = Path(__file__).resolve().parents[2] / "gatecomp" / "examples" / "digits_bnn.pt"
BUNDLED_DLGN = BUNDLED.with_name("digits_dlgn.pt")


def _all_inputs(n: int) -> np.ndarray:
    return ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(bool)


def _check(model, x):
    net = lower_bnn(model)
    got = net.output_words(simulate(net.aig, x))
    want = reference_outputs(model, x)
    for port in net.outputs:
        assert np.array_equal(got[port.name], want[port.name]), port.name
    return net, want


@pytest.mark.parametrize(("widths", "in_dim", "k", "seed"),
                         [([], 6, 3, 0), ([5], 8, 2, 1), ([9, 7], 10, 4, 2), ([12], 11, 5, 3)])
def test_lowering_exhaustive_tiny_nets(widths, in_dim, k, seed):
    model = load_bnn(random_bnn(widths, in_dim, k, seed))
    net, want = _check(model, _all_inputs(in_dim))
    assert [p.name for p in net.outputs] == [*(f"count{c}" for c in range(k)), "pred"]
    # the random nets exercise both comparison directions and constant neurons
    if widths:
        d = np.concatenate([m.direction.numpy() for m in model.hidden])
        assert (d > 0).any() and (d < 0).any()
    assert len(np.unique(want["pred"])) > 1


def test_bundled_model_on_the_digits_test_set():
    model = load_bnn(BUNDLED)
    assert model.format == "gatecomp.bnn" and model.layer_sizes == [192, 64, 10]
    from gatecomp.frontends.bnn import dataset_vectors

    bits, labels = dataset_vectors(model, "test")
    _, want = _check(model, bits)
    acc = float(np.mean(want["pred"] == labels))
    assert acc == pytest.approx(model.metrics["test_accuracy"]) and acc >= 0.9


def test_checkpoint_round_trip_and_module_equal(tmp_path):
    net = random_bnn([16, 8], in_dim=20, k=3, seed=7)
    path = bnn_formats.save_bnn(tmp_path / "b.pt", net, encoding=None)
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == "gatecomp.bnn"
    x = np.random.default_rng(0).integers(0, 2, (500, 20)).astype(bool)
    a = reference_outputs(load_bnn(path), x)
    with torch.no_grad():
        counts = net(torch.from_numpy(x).float()).numpy()  # our layers' own eval forward
    assert np.array_equal(np.stack([a[f"count{c}"] for c in range(3)], 1), counts)
    assert np.array_equal(a["pred"], counts.argmax(1))


def test_registry_picks_the_right_frontend(tmp_path):
    fe, model = load_model(BUNDLED)
    assert fe.name == "bnn" and model.num_classes == 10
    fe, _ = load_model(BUNDLED_DLGN)
    assert fe.name == "dlgn"
    fe, _ = load_model(random_bnn([4], in_dim=6, k=2))
    assert fe.name == "bnn"
    # the DLGN frontend passes a BNN file on instead of misreading it
    from gatecomp.frontends.dlgn import load_dlgn

    with pytest.raises(UnknownFormatError):
        load_dlgn(BUNDLED)
    with pytest.raises(UnknownFormatError):
        bnn_formats.read_file(BUNDLED_DLGN)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(GatecompError, match="not a readable"):
        load_model(junk)


def test_malformed_checkpoints_are_one_line_errors(tmp_path):
    ckpt = bnn_formats.bnn_checkpoint(random_bnn([4], in_dim=6, k=2))
    bad = dict(ckpt, layers=list(reversed(ckpt["layers"])))
    torch.save(bad, tmp_path / "bad.pt")
    with pytest.raises(GatecompError, match="layer"):
        load_bnn(tmp_path / "bad.pt")
    torch.save(dict(ckpt, version=9), tmp_path / "v.pt")
    with pytest.raises(GatecompError, match="version"):
        load_bnn(tmp_path / "v.pt")
    enc = digits_encoding()
    torch.save(dict(ckpt, encoding=enc.to_dict(), dataset=DIGITS_SPLIT), tmp_path / "e.pt")
    with pytest.raises(GatecompError, match="192 bits"):
        load_bnn(tmp_path / "e.pt")
    with pytest.raises(GatecompError, match="scores layer"):
        load_bnn(torch.nn.Sequential(BinaryLinear(4, 3)))


def test_describe():
    d = describe_bnn(load_bnn(BUNDLED))
    assert d["layer_sizes"] == [192, 64, 10]
    assert d["layers"][0]["ge"] + d["layers"][0]["le"] == 64
