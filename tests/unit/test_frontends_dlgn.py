"""DLGN lowering: the simulated AIG equals the PyTorch eval-mode reference bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from gatecomp.aig import check_aig, exhaustive_inputs, simulate, unpack_bits
from gatecomp.frontends.dlgn import (
    dataset_vectors,
    describe_dlgn,
    load_dlgn,
    lower_dlgn,
    reference_outputs,
)
from gatecomp.nn import GroupSum, LogicLayer
from tests.unit.dlgn_nets import independent_forward, layers_of, random_dlgn

BUNDLED = Path(__file__).resolve().parents[2] / "gatecomp" / "examples" / "digits_dlgn.pt"


def _assert_same(net, x, expected):
    got = net.output_words(simulate(net.aig, x))
    assert set(got) == set(expected)
    for name, want in expected.items():
        assert np.array_equal(got[name], want), name


@pytest.mark.parametrize("parametrization", ["raw", "light"])
@pytest.mark.parametrize("seed", range(4))
def test_tiny_nets_exhaustively(seed, parametrization):
    in_dim = 10
    module = random_dlgn([24, 24, 12], in_dim, k=3 + seed % 2 * 1, seed=seed,
                         parametrization=parametrization)
    model = load_dlgn(module)
    net = lower_dlgn(model)
    check_aig(net.aig)
    x = unpack_bits(exhaustive_inputs(in_dim), 1 << in_dim)
    ref = reference_outputs(model, x)
    _assert_same(net, x, ref)
    # the reference itself agrees with an independent table-lookup forward
    indep = independent_forward(layers_of(module), x, model.num_classes)
    for name in ref:
        assert np.array_equal(ref[name], indep[name]), name


def test_every_gate_type_lowered_in_one_layer():
    rng = np.random.default_rng(0)
    gates = np.repeat(np.arange(16), 4)
    w = torch.full((64, 16), -1.0)
    w[np.arange(64), gates] = 1.0
    idx = rng.integers(0, 6, (2, 64))
    module = torch.nn.Sequential(LogicLayer(6, 64, indices=idx, weights=w), GroupSum(4, 1.0))
    model = load_dlgn(module)
    assert np.array_equal(model.layers[0].gate_ids, gates)
    net = lower_dlgn(model)
    x = unpack_bits(exhaustive_inputs(6), 64)
    _assert_same(net, x, reference_outputs(model, x))
    assert net.meta["gate_histogram"] == {name: 4 for name in net.meta["gate_histogram"]}
    assert len(net.meta["gate_histogram"]) == 16


def test_wider_random_net_on_random_vectors():
    module = random_dlgn([300, 300, 200], 64, k=10, seed=7)
    model = load_dlgn(module)
    net = lower_dlgn(model)
    x = np.random.default_rng(1).integers(0, 2, (500, 64)).astype(bool)
    ref = reference_outputs(model, x)
    _assert_same(net, x, ref)
    indep = independent_forward(layers_of(module), x, 10)
    assert all(np.array_equal(ref[k], indep[k]) for k in ref)


def test_ports_and_meta():
    model = load_dlgn(random_dlgn([40, 30], 12, k=5, seed=3, tau=2.5))
    net = lower_dlgn(model)
    assert [(p.name, p.width) for p in net.inputs] == [("x", 12)]
    assert [(p.name, p.width) for p in net.outputs] == (
        [(f"count{c}", 3) for c in range(5)] + [("pred", 3)])
    assert net.aig.input_names[0] == "x[0]" and net.aig.output_names[-1] == "pred[2]"
    assert net.meta["layer_sizes"] == [12, 40, 30]
    assert net.meta["logic_gates"] == 70 and net.meta["tau"] == 2.5
    assert sum(net.meta["gate_histogram"].values()) == 70


def test_reference_tie_break_is_first_index():
    # every gate constant TRUE: all classes tie, prediction must be class 0
    w = torch.zeros(8, 16)
    w[:, 15] = 1
    module = torch.nn.Sequential(LogicLayer(4, 8, indices=np.zeros((2, 8), int), weights=w),
                                 GroupSum(4))
    model = load_dlgn(module)
    x = np.zeros((3, 4), dtype=bool)
    ref = reference_outputs(model, x)
    assert ref["pred"].tolist() == [0, 0, 0] and ref["count2"].tolist() == [2, 2, 2]
    _assert_same(lower_dlgn(model), x, ref)


def test_describe_counts_wiring():
    w = torch.zeros(4, 16)
    w[:, 3] = 1  # gate "A": reads only its first wire
    idx = np.array([[0, 1, 1, 2], [3, 3, 3, 3]])
    module = torch.nn.Sequential(LogicLayer(5, 4, indices=idx, weights=w), GroupSum(2))
    d = describe_dlgn(load_dlgn(module))
    layer = d["layers"][0]
    assert layer["inputs_unwired"] == 1  # input 4
    assert layer["inputs_unused"] == 2  # inputs 3 (only a B wire of "A" gates) and 4
    assert layer["fanout_max"] == 2 and layer["trivial_gates"] == 4
    assert d["gate_types"] == {"A": 4} and d["logic_gates"] == 4


@pytest.mark.skipif(not BUNDLED.exists(), reason="bundled example not built")
def test_bundled_digits_model_matches_reference_on_test_set():
    model = load_dlgn(BUNDLED)
    assert model.format == "gatecomp.dlgn" and model.encoding is not None
    x, y = dataset_vectors(model, "test")
    assert x.shape == (360, model.input_width)
    net = lower_dlgn(model)
    ref = reference_outputs(model, x)
    _assert_same(net, x, ref)
    acc = float(np.mean(ref["pred"] == y))
    assert acc == pytest.approx(model.metrics["test_accuracy"], abs=1e-6)
    assert acc >= 0.9
