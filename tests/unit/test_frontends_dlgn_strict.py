"""The DLGN frontend reads every key and attribute or refuses, and checks against the model.

One test per class of mistake a reader can make silently (an unknown parametrization, a skipped
layer, an extra key, an unknown attribute), built from real torchlogix 0.2.2 objects, each
asserting the one-line error and that nothing was written; and the check against the model's
own forward, shown to catch a wrong reading.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from gatecomp.errors import GatecompError
from gatecomp.flow import CompileOptions, compile_model
from gatecomp.frontends.dlgn import load_dlgn
from gatecomp.frontends.dlgn.formats import dlgn_checkpoint
from gatecomp.nn import LogicLayer
from tests.unit.dlgn_nets import random_dlgn
from tests.unit.torchlogix_nets import (
    IN_DIM,
    K,
    conv_model,
    dense_model,
    forward_bits,
    residual_model,
)

FAST = CompileOptions(prove=False, max_vectors=300)


def _save(tmp_path, obj, name="m.pt"):
    path = tmp_path / name
    torch.save(obj, path)
    return path


def _refused(tmp_path, path, match: str, **options) -> str:
    """Compile ``path``: assert the one-line error and that no build directory appeared."""
    out = tmp_path / "build"
    with pytest.raises(GatecompError, match=match) as info:
        compile_model(path, out, CompileOptions(prove=False, max_vectors=300, **options))
    assert "\n" not in str(info.value)
    assert not out.exists()
    return str(info.value)


def _wrapped(model: nn.Module, **fields) -> dict:
    return {"state_dict": model.state_dict(), "num_classes": K, "tau": 2.0, **fields}


# -- parametrization -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["light", "warp"])
def test_out4_weights_without_a_parametrization_are_refused(tmp_path, kind):
    path = _save(tmp_path, _wrapped(dense_model(kind)))
    _refused(tmp_path, path, r"layer '1'\]: weights \(80, 4\) may be torchlogix's light or warp "
             r"parametrization .* --parametrization light\|warp")


@pytest.mark.parametrize("how", ["wrapper", "option", "walsh"])
def test_warp_compiles_to_torchlogix_forward(tmp_path, how):
    model = dense_model("warp", seed=3)
    fields = {"parametrization": "warp"} if how == "wrapper" else {}
    path = _save(tmp_path, _wrapped(model, **fields))
    options = {} if how == "wrapper" else {"parametrization": "warp" if how == "option"
                                           else "walsh"}
    result = compile_model(path, tmp_path / "b", CompileOptions(prove=False, **options))
    ref = result.report["checks"]["reference"]
    assert ref["independent"] and ref["name"].startswith("torchlogix 0.2.2 LogicDense forward")
    # the circuit's predictions are torchlogix's own, on vectors it has never seen
    from gatecomp.aig import read_aiger, simulate
    net = load_dlgn(path, parametrization="warp")
    bits = np.random.default_rng(9).integers(0, 2, (500, IN_DIM)).astype(np.uint8)
    out = simulate(read_aiger(tmp_path / "b" / "b.aig"), bits)
    pred_bits = out[:, -max(1, (K - 1).bit_length()):]
    pred = pred_bits @ (1 << np.arange(pred_bits.shape[1]))
    assert np.array_equal(pred, forward_bits(model, bits).argmax(1).numpy())
    assert net.layers[0].parametrization == "warp"


def test_declared_parametrization_must_match_a_stated_one(tmp_path):
    path = _save(tmp_path, dlgn_checkpoint(random_dlgn([20, 10], 8, k=2, seed=1,
                                                       parametrization="light")))
    _refused(tmp_path, path, r"is 'light' but --parametrization says 'warp'",
             parametrization="warp")


def test_unknown_parametrization_in_the_wrapper(tmp_path):
    path = _save(tmp_path, _wrapped(dense_model("light"), parametrization="sigmoid"))
    _refused(tmp_path, path, r"unknown parametrization 'sigmoid' \(supported: raw, light, warp\)")


# -- layers the dense reader does not know ---------------------------------------------------
def test_conv_layers_are_not_skipped(tmp_path):
    path = _save(tmp_path, _wrapped(conv_model()))
    msg = _refused(tmp_path, path, r"state_dict entry '0.tree_weights.0' was not understood")
    assert "LogicConv2d" in msg


def test_residual_block_is_not_skipped(tmp_path):
    path = _save(tmp_path, _wrapped(residual_model()))
    _refused(tmp_path, path, r"'0.main.0.tree_weights.0' was not understood \(it seems to belong "
             r"to a residual block \(torchlogix ResidualLogicBlock\)\)")


def test_learnable_connections_are_refused(tmp_path):
    path = _save(tmp_path, _wrapped(dense_model("raw", connections="learnable")))
    _refused(tmp_path, path, r"'1.connections.weights' was not understood .*learnable "
             r"connections")


def test_parameterless_layer_between_logic_layers_is_refused(tmp_path):
    model = dense_model("raw")
    model = nn.Sequential(*list(model)[:2], nn.Dropout(0.0), *list(model)[2:])
    path = _save(tmp_path, _wrapped(model))
    _refused(tmp_path, path, r"no entries for module\(s\) 2 between logic layers")


def test_extra_key_in_a_state_dict(tmp_path):
    sd = dense_model("raw").state_dict()
    sd["2.scale"] = torch.ones(3)
    path = _save(tmp_path, {"state_dict": sd, "num_classes": K})
    _refused(tmp_path, path, r"state_dict entry '2.scale' was not understood")


def test_unknown_wrapper_field(tmp_path):
    path = _save(tmp_path, _wrapped(dense_model("raw"), lut_rank=4))
    _refused(tmp_path, path, r"checkpoint field 'lut_rank' is not understood")


def test_training_bookkeeping_in_the_wrapper_is_skipped(tmp_path):
    path = _save(tmp_path, _wrapped(dense_model("raw"), epoch=3, optimizer_state_dict={}))
    assert load_dlgn(path).num_classes == K


def test_stale_export_ids_are_refused(tmp_path):
    sd = dense_model("raw").state_dict()
    ids = sd["1.weight"].argmax(1)
    sd["1._export_lut_ids"] = (ids + 1) % 16
    path = _save(tmp_path, {"state_dict": sd, "num_classes": K})
    _refused(tmp_path, path, r"'_export_lut_ids' disagree with the gates")
    sd["1._export_lut_ids"] = ids
    assert load_dlgn(_save(tmp_path, {"state_dict": sd, "num_classes": K}, "ok.pt"))


# -- our own format ----------------------------------------------------------------------------
def test_extra_key_in_our_format(tmp_path):
    ckpt = dlgn_checkpoint(random_dlgn([20, 10], 8, k=2, seed=1))
    ckpt["state_dict"]["0.bias"] = torch.zeros(20)
    _refused(tmp_path, _save(tmp_path, ckpt), r"state_dict entry '0.bias' was not understood")


def test_unknown_layer_field_in_our_format(tmp_path):
    ckpt = dlgn_checkpoint(random_dlgn([20, 10], 8, k=2, seed=1))
    ckpt["layers"][0]["lut_rank"] = 4
    _refused(tmp_path, _save(tmp_path, ckpt), r"layer 0 \(logic\): field 'lut_rank' is not "
             "understood")


def test_unknown_top_level_field_in_our_format(tmp_path):
    ckpt = dlgn_checkpoint(random_dlgn([20, 10], 8, k=2, seed=1))
    ckpt["residual"] = True
    _refused(tmp_path, _save(tmp_path, ckpt), r"checkpoint field 'residual' is not understood")


# -- pickled modules ---------------------------------------------------------------------------
@pytest.fixture
def difflogic_net(difflogic_module) -> nn.Sequential:
    """A Sequential of classes pickled under difflogic's own names."""
    torch.manual_seed(0)
    idx = (torch.randint(0, 16, (30,)), torch.randint(0, 16, (30,)))
    return nn.Sequential(nn.Flatten(), difflogic_module["LogicLayer"](16, 30, idx),
                         difflogic_module["GroupSum"](3, 1.0))


def test_unknown_attribute_of_a_pickled_difflogic_layer(tmp_path, difflogic_net):
    difflogic_net[1].residual = True
    _refused(tmp_path, _save(tmp_path, difflogic_net), r"module 1 \(LogicLayer\): unknown "
             "attribute 'residual'")


def test_unknown_attribute_of_our_layer(tmp_path):
    model = random_dlgn([20, 10], 8, k=2, seed=1)
    layer = next(m for m in model if isinstance(m, LogicLayer))
    layer.beta = 0.5
    with pytest.raises(GatecompError, match=r"unknown attribute 'beta'"):
        load_dlgn(model)


def test_unknown_buffer_of_a_pickled_layer(tmp_path, difflogic_net):
    difflogic_net[1].register_buffer("mask", torch.ones(30))
    _refused(tmp_path, _save(tmp_path, difflogic_net), r"unknown buffer 'mask'")


def test_flatten_that_merges_samples_is_refused(tmp_path, difflogic_net):
    difflogic_net[0] = nn.Flatten(0, -1)
    _refused(tmp_path, _save(tmp_path, difflogic_net), r"start_dim=0 is not supported")


def test_pickled_difflogic_model_is_checked_against_its_forward(tmp_path, difflogic_net):
    result = compile_model(_save(tmp_path, difflogic_net), tmp_path / "b", FAST)
    ref = result.report["checks"]["reference"]
    assert ref["independent"] and ref["name"].startswith("difflogic's python forward")


# -- the check against the model's own forward has teeth --------------------------------------
def test_a_misread_model_is_caught_by_its_own_forward(tmp_path, monkeypatch):
    """Break gatecomp's reading of warp weights: the torchlogix forward refuses the circuit."""
    path = _save(tmp_path, _wrapped(dense_model("warp", seed=5), parametrization="warp"))

    def misread(self):  # reads warp weights as light, the mistake the issue reported
        return ((self.weights.detach() > 0).to(torch.int64)
                @ torch.tensor([8, 4, 2, 1], dtype=torch.int64))

    monkeypatch.setattr(LogicLayer, "gate_ids", misread)
    _refused(tmp_path, path, r"the circuit differs from torchlogix 0.2.2 LogicDense forward .* "
             "gatecomp cannot read this model exactly; nothing was written")
