"""Bad DLGN input raises GatecompError with a one-line message saying what is wrong."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gatecomp.errors import GatecompError
from gatecomp.frontends.dlgn import load_dlgn, reference_outputs
from gatecomp.frontends.dlgn.formats import dlgn_checkpoint
from tests.unit.dlgn_nets import random_dlgn


def _raises(match: str, *args, **kwargs) -> str:
    with pytest.raises(GatecompError, match=match) as info:
        load_dlgn(*args, **kwargs)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def _ours(**changes) -> dict:
    ckpt = dlgn_checkpoint(random_dlgn([20, 10], 8, k=2, seed=1))
    ckpt.update(changes)
    return ckpt


def _save(tmp_path, obj, name="m.pt"):
    path = tmp_path / name
    torch.save(obj, path)
    return path


def test_missing_file(tmp_path):
    _raises("not found", tmp_path / "nope.pt")


def test_not_a_checkpoint(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"this is not a checkpoint at all")
    _raises("not a readable PyTorch checkpoint", tmp_path / "junk.pt")


def test_truncated_checkpoint(tmp_path):
    path = _save(tmp_path, _ours())
    path.write_bytes(path.read_bytes()[:300])
    _raises("truncated torch.save archive", path)


def test_unknown_format(tmp_path):
    msg = _raises("unknown checkpoint format 'keras'", _save(tmp_path, {"format": "keras"}))
    assert "gatecomp.dlgn" in msg and "torchlogix.state_dict" in msg
    _raises("unknown checkpoint format", _save(tmp_path, [1, 2, 3], "list.pt"))
    _raises("neither a difflogic", _save(tmp_path, {"fc.bias": torch.zeros(3)}, "sd.pt"))


def test_unsupported_layer_in_pickle(tmp_path):
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 4))
    msg = _raises("unsupported layer or object type torch.nn.modules.linear.Linear",
                  _save(tmp_path, net))
    assert "LogicLayer" in msg


def test_unsupported_layer_in_memory_and_in_our_format(tmp_path):
    _raises("unsupported layer type torch.nn.modules.activation.ReLU",
            torch.nn.Sequential(torch.nn.ReLU()))
    ckpt = _ours()
    ckpt["layers"].insert(1, {"type": "conv"})
    _raises("unsupported layer type 'conv'", _save(tmp_path, ckpt))


def test_wrong_weight_shape(tmp_path):
    ckpt = _ours()
    ckpt["state_dict"]["0.weights"] = torch.zeros(20, 8)
    _raises(r"logic layer 0 .*weights have shape \(20, 8\), expected \(out, 16\)",
            _save(tmp_path, ckpt))


def test_wrong_wiring_shape(tmp_path):
    ckpt = _ours()
    ckpt["state_dict"]["1.indices"] = torch.zeros(3, 10, dtype=torch.int64)
    _raises(r"logic layer 1 .*wiring has shape \(3, 10\) int64, expected integer \(2, 10\)",
            _save(tmp_path, ckpt))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_weights(tmp_path, bad):
    ckpt = _ours()
    ckpt["state_dict"]["1.weights"][3, 2] = bad
    _raises("logic layer 1 .*NaN or inf", _save(tmp_path, ckpt))


def test_wiring_out_of_range(tmp_path):
    ckpt = _ours()
    ckpt["state_dict"]["1.indices"][0, 4] = 20
    _raises("logic layer 1 .*wiring index 20 out of range for in_dim 20", _save(tmp_path, ckpt))
    ckpt["state_dict"]["1.indices"][0, 4] = -1
    _raises("wiring index -1 out of range", _save(tmp_path, ckpt, "neg.pt"))


def test_width_mismatch_between_layers(tmp_path):
    ckpt = _ours()
    ckpt["layers"][1]["in_dim"] = 21
    _raises("logic layer 1 .*in_dim 21 does not match the previous layer's out_dim 20",
            _save(tmp_path, ckpt))


def test_groupsum_problems(tmp_path):
    ckpt = _ours()
    ckpt["layers"][-1]["k"] = 3
    _raises("GroupSum k=3 does not divide the last layer's width 10", _save(tmp_path, ckpt))
    ckpt["layers"][-1].update(k=2, tau=-1.0)
    _raises("tau must be a positive number", _save(tmp_path, ckpt, "tau.pt"))
    sd = {"0.weights": torch.zeros(10, 16), "0.indices": torch.zeros(2, 10, dtype=torch.int64)}
    _raises("number of classes is unknown", _save(tmp_path, sd, "sd.pt"))


def test_missing_or_bad_wiring_in_difflogic_state_dict(tmp_path):
    path = _save(tmp_path, {"1.weights": torch.zeros(10, 16)})
    _raises("no wiring found", path, num_classes=2)
    _raises("2 wiring arrays given for 1 logic layers", path, num_classes=2,
            indices=[np.zeros((2, 10), int)] * 2)
    _raises(r"wiring has shape \(2, 10\) float64", path, num_classes=2,
            indices=[np.zeros((2, 10))])


def test_bad_version_and_encoding(tmp_path):
    _raises("unsupported gatecomp.dlgn version 7", _save(tmp_path, _ours(version=7)))
    enc = {"type": "thermometer", "thresholds": [1.0, 2.0], "num_features": 5}
    _raises("encoding gives 10 bits but the first layer reads 8",
            _save(tmp_path, _ours(encoding=enc), "enc.pt"))
    _raises("bad input encoding", _save(tmp_path, _ours(encoding={"type": "x"}), "enc2.pt"))


def test_bad_reference_vectors():
    model = load_dlgn(random_dlgn([20, 10], 8, k=2, seed=1))
    with pytest.raises(GatecompError, match=r"expected \(samples, 8\)"):
        reference_outputs(model, np.zeros((4, 7), dtype=bool))
    with pytest.raises(GatecompError, match="0/1"):
        reference_outputs(model, np.full((4, 8), 2))
