"""torchlogix models that start with a binarization layer: which input the circuit takes.

By default the circuit takes the binarization's output bits; with ``input_bits=N`` it takes
N-bit unsigned features and compares them with the thresholds in hardware. Either way the
simulated circuit must equal torchlogix's own forward, computed here from the module itself
(on float features for the comparator circuit, so the thresholds are torchlogix's too).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gatecomp.aig import simulate
from gatecomp.errors import GatecompError
from gatecomp.frontends.dlgn.torchlogix_import import import_torchlogix
from gatecomp.frontends.torchlogix import load_torchlogix, lower_network

tlx = import_torchlogix()
pytestmark = pytest.mark.skipif(tlx is None, reason="torchlogix is not installed")


def _models() -> dict[str, torch.nn.Module]:
    from torchlogix.layers import (
        FixedBinarization,
        GroupSum,
        LearnableBinarization,
        LogicConv2d,
        LogicDense,
        OrPooling2d,
    )

    torch.manual_seed(11)
    models = {
        "fixed_global": torch.nn.Sequential(
            FixedBinarization(torch.tensor([2.5, 7.0, 11.2])), torch.nn.Flatten(),
            LogicDense(48, 60, parametrization="warp"), GroupSum(6)),
        "learnable_per_feature": torch.nn.Sequential(
            LearnableBinarization(torch.rand(16, 3).cumsum(-1) * 5), torch.nn.Flatten(),
            LogicDense(48, 40, lut_rank=4, parametrization="light"), GroupSum(4, 3.0)),
        "image_per_channel": torch.nn.Sequential(
            FixedBinarization(torch.tensor([[3.0, 8.0], [5.5, 9.0], [1.0, 12.0]]),
                              feature_dim=1),
            LogicConv2d(in_dim=6, channels=6, num_kernels=4, tree_depth=2,
                        receptive_field_size=3, padding=1),
            OrPooling2d(2, 2), torch.nn.Flatten(), LogicDense(36, 20), GroupSum(4, 2.0)),
    }
    for m in models.values():
        with torch.no_grad():
            for name, p in m.named_parameters():
                if "raw_diffs" not in name:
                    p.copy_(torch.randn_like(p))
        m.eval()
    return models


def _torchlogix_forward(module, features: torch.Tensor, k: int) -> dict[str, np.ndarray]:
    sums = []
    gs = module[-1]
    hook = gs.register_forward_hook(lambda _m, inputs, _o: sums.append(inputs[0]))
    with torch.no_grad():
        scores = module(features)
    hook.remove()
    counts = sums[0].reshape(len(features), k, -1).sum(-1).numpy().astype(np.int64)
    out = {f"count{c}": counts[:, c] for c in range(k)}
    out["pred"] = torch.argmax(scores, dim=1).numpy()
    return out


def _circuit(net, x_bits: np.ndarray) -> dict[str, np.ndarray]:
    logic = lower_network(net)
    return logic.output_words(simulate(logic.aig, x_bits.astype(np.uint8)))


@pytest.mark.parametrize("name", ["fixed_global", "learnable_per_feature", "image_per_channel"])
def test_comparator_circuit_equals_torchlogix_on_integer_features(name, tmp_path):
    module = _models()[name]
    path = tmp_path / "m.pt"
    torch.save(module, path)
    net = load_torchlogix(path, input_bits=4)
    c = net.comparators
    assert c is not None and c.bits == 4
    rng = np.random.default_rng(3)
    values = rng.integers(0, 16, (400, c.features))
    bits = ((values[:, :, None] >> np.arange(4)) & 1).reshape(400, -1)  # LSB first
    feats = torch.from_numpy(values.astype(np.float32)).reshape(400, *c.feature_shape)
    want = _torchlogix_forward(module, feats, net.num_classes)
    got = _circuit(net, bits)
    for key, value in want.items():
        np.testing.assert_array_equal(got[key], value, err_msg=key)
    assert len(set(want["pred"].tolist())) > 1  # the check is not vacuous


@pytest.mark.parametrize("name", ["fixed_global", "image_per_channel"])
def test_default_circuit_takes_the_binarization_bits(name, tmp_path):
    module = _models()[name]
    path = tmp_path / "m.pt"
    torch.save(module, path)
    net = load_torchlogix(path)
    assert net.comparators is None and net.binarization is not None
    rng = np.random.default_rng(4)
    feats = torch.from_numpy(rng.integers(0, 16, (300, *_feature_shape(name))).astype(
        np.float32))
    with torch.no_grad():
        bits = module[0](feats)  # torchlogix's own binarization gives the circuit's inputs
    want = _torchlogix_forward(module, feats, net.num_classes)
    got = _circuit(net, bits.reshape(300, -1).numpy().astype(np.uint8))
    for key, value in want.items():
        np.testing.assert_array_equal(got[key], value, err_msg=key)


def _feature_shape(name: str) -> tuple[int, ...]:
    return {"fixed_global": (16,), "image_per_channel": (3, 6, 6)}[name]


def test_shared_comparators_and_constant_thresholds(tmp_path):
    """A threshold below 0 is always 1 and one at or above 2**N always 0: no gate for them."""
    from torchlogix.layers import FixedBinarization, GroupSum, LogicDense

    module = torch.nn.Sequential(FixedBinarization(torch.tensor([-1.0, 3.5, 99.0])),
                                 torch.nn.Flatten(), LogicDense(12, 8), GroupSum(2)).eval()
    path = tmp_path / "m.pt"
    torch.save(module, path)
    net = load_torchlogix(path, input_bits=4)
    assert net.comparators.const_of_bit.tolist()[:3] == [0, 4, 16]


def test_input_bits_refused_without_binarization(tmp_path):
    from torchlogix.layers import GroupSum, LogicDense

    path = tmp_path / "m.pt"
    torch.save(torch.nn.Sequential(LogicDense(8, 8), GroupSum(2)).eval(), path)
    with pytest.raises(GatecompError, match="--input-bits applies to models that start"):
        load_torchlogix(path, input_bits=8)


def test_input_bits_must_be_exact_in_float32(tmp_path):
    module = _models()["fixed_global"]
    path = tmp_path / "m.pt"
    torch.save(module, path)
    with pytest.raises(GatecompError, match="1..24-bit"):
        load_torchlogix(path, input_bits=30)
