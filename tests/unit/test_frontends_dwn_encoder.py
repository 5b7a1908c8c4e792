"""``--encoder``: a torch_dwn thermometer folded into the circuit as comparators. On raw
integer scikit-learn digits features the circuit equals torch_dwn's encoder + model; every
encoder kind, feature-wise or shared thresholds, the pickled object or a thresholds array."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from torch import nn

from gatecomp.errors import GatecompError
from gatecomp.flow import CompileOptions, compile_model
from gatecomp.frontends.dwn import load_dwn, lower_network, own_forward, reference_outputs
from gatecomp.frontends.registry import load_model
from tests.unit.test_frontends_dwn import (
    counts_of,
    dwn,
    dwn_classes,
    patched_kernel,
    simulate_net,
)

DIGITS = load_digits()
FEATURES = DIGITS.data.astype(np.int64)  # 64 pixels, 0..16


def feature_bits(x: np.ndarray, bits: int) -> np.ndarray:
    """The circuit's input: each feature ``bits`` wide, LSB first."""
    return ((x[:, :, None] >> np.arange(bits)) & 1).reshape(len(x), -1).astype(np.uint8)


def fit_tables(model: nn.Sequential, bits: torch.Tensor, labels: np.ndarray) -> nn.Sequential:
    """The last LUT layer's tables set by counting, as a RAM-node (WiSARD) is trained: a neuron
    of class c outputs 1 at the addresses where c is more frequent than overall. (torch_dwn's
    own training needs its CUDA backward.)"""
    *hidden, last, gs = list(model)
    with torch.no_grad(), patched_kernel():
        x = nn.Sequential(*hidden)(bits) if hidden else bits
        addr = ((x[:, last.mapping.long()] > 0).long() << torch.arange(last.n)).sum(-1)
        block = -(-last.output_size // gs.k)
        prior = np.bincount(labels, minlength=gs.k) / len(labels)
        for j in range(last.output_size):
            c = j // block
            hits = np.bincount(addr[:, j].numpy(), minlength=1 << last.n)
            mine = np.bincount(addr[:, j].numpy(), weights=labels == c, minlength=1 << last.n)
            last.luts[j] = torch.from_numpy(mine - prior[c] * hits).float()
    return model.eval()


def digits_model(encoder, seed: int = 0, hidden: bool = False) -> nn.Sequential:
    """A DWN fitted on the first 1200 digits (tables by counting)."""
    torch.manual_seed(seed)
    x = encoder.binarize(torch.from_numpy(FEATURES[:1200])).flatten(start_dim=1)
    layers = [dwn.LUTLayer(x.shape[1], 200, n=6, mapping="learnable")] if hidden else []
    width = 200 if hidden else x.shape[1]
    model = nn.Sequential(*layers, dwn.LUTLayer(width, 300, n=6), dwn.GroupSum(10, tau=1 / 0.3))
    return fit_tables(model, x, DIGITS.target[:1200])


def assert_raw_features_match(net, model, encoder, x: np.ndarray) -> np.ndarray:
    """Circuit on raw features == reading == own forward == torch_dwn's encoder + model; the
    circuit gets them clipped to its width (every threshold is below it: the same bits)."""
    counts, pred = dwn_classes(model, encoder.binarize(torch.from_numpy(x)).flatten(1))
    top = (1 << net.comparators.bits) - 1
    bits = feature_bits(np.minimum(x, top), net.comparators.bits)
    for name, words in (("circuit", simulate_net(lower_network(net), bits)),
                        ("reading", reference_outputs(net, bits)),
                        ("own", own_forward(net, bits).outputs)):
        np.testing.assert_array_equal(counts_of(words, 10), counts, name)
        np.testing.assert_array_equal(words["pred"], pred, err_msg=name)
    return pred


ENCODERS = [("Thermometer", True), ("Thermometer", False), ("DistributiveThermometer", True),
            ("DistributiveThermometer", False), ("GaussianThermometer", True)]


@pytest.mark.parametrize(("kind", "feature_wise"), ENCODERS)
def test_encoder_folded_equals_torch_dwn_on_digits(kind, feature_wise, tmp_path):
    encoder = getattr(dwn, kind)(4, feature_wise=feature_wise).fit(
        torch.from_numpy(DIGITS.data[:1200]))  # float64, as scikit-learn gives them
    model = digits_model(encoder)
    torch.save(model, tmp_path / "m.pt")
    torch.save(encoder, tmp_path / "enc.pt")
    net = load_dwn(tmp_path / "m.pt", encoder=tmp_path / "enc.pt")
    assert net.encoder.kind == kind and net.comparators.bits in (4, 5)  # thresholds < 17
    x = np.concatenate([FEATURES[1200:], np.random.default_rng(0).integers(0, 32, (200, 64))])
    pred = assert_raw_features_match(net, model, encoder, x)
    assert (pred[:597] == DIGITS.target[1200:]).mean() > 0.7


def test_thresholds_array_constant_bits_and_input_bits(tmp_path):
    encoder = dwn.Thermometer(3).fit(torch.from_numpy(FEATURES[:1200]))
    model = digits_model(encoder, seed=2, hidden=True)
    torch.save(model, tmp_path / "m.pt")
    thresholds = encoder.thresholds.clone()
    thresholds[0], thresholds[1] = -1.0, 300.0  # always 1, never 1 for 8-bit features
    encoder.thresholds = thresholds
    np.save(tmp_path / "t.npy", thresholds.numpy())
    net = load_dwn(tmp_path / "m.pt", encoder=tmp_path / "t.npy", input_bits=8)
    assert net.encoder.kind == "thresholds" and net.input_width == 64 * 8
    assert net.comparators.constant_bits == 6
    assert_raw_features_match(net, model, encoder, np.random.default_rng(1).integers(
        0, 256, (300, 64)))
    with pytest.raises(GatecompError, match="needs 25-bit features; give --input-bits"):
        load_dwn(tmp_path / "m.pt", encoder=thresholds * 1e5)


def test_compile_with_encoder_takes_features(tmp_path):
    encoder = dwn.DistributiveThermometer(2).fit(torch.from_numpy(FEATURES[:1200]))
    model = nn.Sequential(dwn.LUTLayer(128, 60, n=4), dwn.GroupSum(10)).eval()
    torch.save(model, tmp_path / "m.pt")
    torch.save(encoder, tmp_path / "enc.pt")
    np.save(tmp_path / "x.npy", feature_bits(FEATURES[1200:1400], 5))
    result = compile_model(tmp_path / "m.pt", tmp_path / "b", CompileOptions(
        encoder=tmp_path / "enc.pt", inputs=tmp_path / "x.npy", prove=False))
    rep = result.report
    assert rep["checks"]["reference"]["name"].startswith("torch_dwn 1.1.1 LUT forward")
    assert rep["network"]["encoder"]["input_bits"] == 5
    assert "5-bit unsigned features" in rep["network"]["input"]


def test_encoder_refusals(tmp_path):
    model = nn.Sequential(dwn.LUTLayer(128, 20, n=2), dwn.GroupSum(2)).eval()
    torch.save(model, tmp_path / "m.pt")
    torch.save(dwn.Thermometer(2), tmp_path / "unfitted.pt")
    with pytest.raises(GatecompError, match="never fitted"):
        load_dwn(tmp_path / "m.pt", encoder=tmp_path / "unfitted.pt")
    torch.save(dwn.Thermometer(3).fit(torch.from_numpy(FEATURES)), tmp_path / "e3.pt")
    with pytest.raises(GatecompError, match="gives 64 x 3 bits.*reads 128"):
        load_dwn(tmp_path / "m.pt", encoder=tmp_path / "e3.pt")
    with pytest.raises(GatecompError, match="--input-bits applies with --encoder"):
        load_model(tmp_path / "m.pt", input_bits=5)
    np.save(tmp_path / "nan.npy", np.full((64, 2), np.nan))
    with pytest.raises(GatecompError, match="NaN"):
        load_dwn(tmp_path / "m.pt", encoder=tmp_path / "nan.npy")
    with pytest.raises(GatecompError, match="--encoder does not apply"):
        load_model("gatecomp/examples/digits_dlgn.pt", encoder=tmp_path / "nan.npy")
