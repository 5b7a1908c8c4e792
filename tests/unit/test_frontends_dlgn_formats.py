"""Every checkpoint format: save, load, lower, and compare with the source model's forward."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from gatecomp.aig import simulate
from gatecomp.frontends.dlgn import difflogic_shim, load_dlgn, lower_dlgn, reference_outputs
from gatecomp.frontends.dlgn.formats import save_dlgn
from gatecomp.nn import ThermometerEncoding
from tests.unit.dlgn_nets import independent_forward, light_weights, peaked_raw_weights

IN_DIM, WIDTHS, K, TAU = 24, (60, 60, 40), 4, 2.0


def _random_layers(seed: int, light: bool = False):
    rng = np.random.default_rng(seed)
    layers, in_dim = [], IN_DIM
    for out in WIDTHS:
        w = light_weights(out, rng) if light else peaked_raw_weights(out, rng)
        layers.append((w, torch.from_numpy(rng.integers(0, in_dim, (2, out)))))
        in_dim = out
    return layers


def _vectors(n: int = 300) -> np.ndarray:
    return np.random.default_rng(5).integers(0, 2, (n, IN_DIM)).astype(bool)


def _check(model, expected: dict[str, np.ndarray], x: np.ndarray) -> None:
    """IR == reference_outputs == the expected (source-model) outputs."""
    ref = reference_outputs(model, x)
    net = lower_dlgn(model)
    got = net.output_words(simulate(net.aig, x))
    for name, want in expected.items():
        assert np.array_equal(ref[name], want), name
        assert np.array_equal(got[name], want), name


def _outputs_from_scores(scores: torch.Tensor, tau: float) -> dict[str, np.ndarray]:
    counts = torch.round(scores * tau).to(torch.int64)
    assert torch.allclose(counts.double(), scores.double() * tau, atol=1e-4)
    out = {f"count{c}": counts[:, c].numpy() for c in range(counts.shape[1])}
    out["pred"] = torch.argmax(counts, dim=1).numpy()
    return out


def test_difflogic_pickled_sequential(tmp_path, difflogic_module):
    layers = _random_layers(1)
    dl_layers, in_dim = [], IN_DIM
    for w, idx in layers:
        dl_layers.append(difflogic_module["LogicLayer"](in_dim, w.shape[0], (idx[0], idx[1]), w))
        in_dim = w.shape[0]
    net = torch.nn.Sequential(torch.nn.Flatten(), *dl_layers,
                              difflogic_module["GroupSum"](K, TAU)).eval()
    path = tmp_path / "difflogic_model.pt"
    torch.save(net, path)
    raw = path.read_bytes()
    assert b"difflogic.difflogic" in raw and b"gatecomp" not in raw
    x = _vectors()
    with torch.no_grad():
        expected = _outputs_from_scores(net(torch.from_numpy(x.astype(np.float32))), TAU)
    sys.modules.pop("difflogic.difflogic")  # loading must not need the package
    sys.modules.pop("difflogic")
    model = load_dlgn(path)
    assert model.format == "difflogic.pickle" and model.tau == TAU and model.num_classes == K
    _check(model, expected, x)


def test_difflogic_state_dict_with_and_without_wiring(tmp_path):
    layers = _random_layers(2)
    x = _vectors()
    expected = independent_forward(layers, x, K)
    # as difflogic's nn.Sequential(Flatten, LogicLayer..., GroupSum) names them: "1.weights", ...
    sd = {f"{i + 1}.weights": w for i, (w, _) in enumerate(layers)}
    path = tmp_path / "sd_no_wiring.pt"
    torch.save(sd, path)
    model = load_dlgn(path, num_classes=K, tau=TAU, input_width=IN_DIM,
                      indices=[idx for _, idx in layers])
    assert model.format == "difflogic.state_dict"
    _check(model, expected, x)
    # wiring stored next to the weights, GroupSum info in a wrapper dict
    sd.update({f"{i + 1}.indices": idx for i, (_, idx) in enumerate(layers)})
    path = tmp_path / "sd_wrapped.pt"
    torch.save({"state_dict": sd, "num_classes": K, "tau": TAU, "input_width": IN_DIM}, path)
    model = load_dlgn(path)
    assert model.tau == TAU and model.input_width == IN_DIM
    _check(model, expected, x)


@pytest.mark.parametrize("light", [False, True])
def test_torchlogix_state_dict(tmp_path, light):
    layers = _random_layers(3, light=light)
    x = _vectors()
    expected = independent_forward(layers, x, K)
    sd = {}
    for i, (w, idx) in enumerate(layers):
        sd[f"model.{i}.weight"] = w
        sd[f"model.{i}.connections.indices"] = idx
    path = tmp_path / "torchlogix.pt"
    torch.save(sd, path)
    model = load_dlgn(path, num_classes=K, input_width=IN_DIM,
                      parametrization="light" if light else None)
    assert model.format == "torchlogix.state_dict"
    assert {s.parametrization for s in model.layers} == {"light" if light else "raw"}
    _check(model, expected, x)


def test_layer_order_is_numeric_not_lexicographic(tmp_path):
    rng = np.random.default_rng(4)
    widths = [30] * 11 + [20]
    layers, in_dim = [], IN_DIM
    for out in widths:
        layers.append((peaked_raw_weights(out, rng),
                       torch.from_numpy(rng.integers(0, in_dim, (2, out)))))
        in_dim = out
    sd = {f"{i}.{k}": t for i, (w, idx) in enumerate(layers)
          for k, t in (("weights", w), ("indices", idx))}
    torch.save(sd, tmp_path / "deep.pt")
    model = load_dlgn(tmp_path / "deep.pt", num_classes=K, input_width=IN_DIM)
    x = _vectors(100)
    _check(model, independent_forward(layers, x, K), x)


@pytest.mark.parametrize("parametrization", ["raw", "light"])
def test_our_format_round_trip(tmp_path, parametrization):
    from tests.unit.dlgn_nets import random_dlgn

    module = random_dlgn(WIDTHS, IN_DIM, K, seed=6, parametrization=parametrization, tau=TAU)
    enc = ThermometerEncoding((1.0, 2.0, 3.0), IN_DIM // 3)
    path = save_dlgn(tmp_path / "ours.pt", module, encoding=enc, metrics={"test_accuracy": 0.5},
                     dataset={"name": "none"})
    ckpt = torch.load(path, weights_only=True)  # plain data: loads without any allow-list
    assert ckpt["format"] == "gatecomp.dlgn" and ckpt["version"] == 1
    model = load_dlgn(path)
    assert model.encoding == enc and model.metrics == {"test_accuracy": 0.5}
    x = _vectors()
    with torch.no_grad():
        expected = _outputs_from_scores(module(torch.from_numpy(x.astype(np.float32))), TAU)
    _check(model, expected, x)


def test_in_memory_module_and_shim_module():
    layers = _random_layers(8)
    dl, in_dim = [], IN_DIM
    for w, idx in layers:
        dl.append(difflogic_shim.LogicLayer(in_dim, w.shape[0], (idx[0], idx[1]), w))
        in_dim = w.shape[0]
    net = torch.nn.Sequential(*dl, difflogic_shim.GroupSum(K, TAU)).eval()
    model = load_dlgn(net)
    assert model.format == "difflogic.pickle" and model.source.startswith("<in-memory")
    x = _vectors()
    _check(model, independent_forward(layers, x, K), x)
