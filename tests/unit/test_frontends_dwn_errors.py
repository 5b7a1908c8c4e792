"""torch_dwn models gatecomp refuses, each in one line naming the problem: unknown attributes,
tensors, hooks and classes, NaN tables, mappings outside the input or of a dtype the kernel
does not read, sums of raw LUT values, a GroupSum that is not last or a tau it cannot order."""

from __future__ import annotations

import sys
import types

import pytest
import torch
from torch import nn

from gatecomp.errors import GatecompError
from gatecomp.frontends.dwn import load_dwn
from gatecomp.frontends.registry import load_model
from tests.unit.test_frontends_dwn import dwn

DUMMY = "_LUTLayer__dummy_mapping"


def _model(**kw) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(dwn.LUTLayer(12, 10, n=3, **kw), dwn.GroupSum(2)).eval()


def _refused(model: nn.Module, match: str, tmp_path) -> None:
    torch.save(model, tmp_path / "m.pt")
    for source in (model, tmp_path / "m.pt"):
        with pytest.raises(GatecompError, match=match) as info:
            load_model(source)
        assert "\n" not in str(info.value)


def _set(model, fn):
    with torch.no_grad():
        fn(model)
    return model


CASES = {
    "nan_table": (lambda: _set(_model(), lambda m: m[0].luts.__setitem__((3, 5), float("nan"))),
                  "luts holds NaN"),
    "mapping_out_of_range": (lambda: _set(_model(), lambda m: m[0].mapping.__setitem__(
        (2, 1), 12)), "mapping holds index 12 outside 0..11"),
    "negative_mapping": (lambda: _set(_model(), lambda m: m[0].mapping.__setitem__((0, 0), -1)),
                         "index -1 outside"),
    "dummy_mapping_out_of_range": (lambda: _set(_model(mapping="learnable"), lambda m: m[0]
                                                .get_parameter(DUMMY).__setitem__((0, 0), 30)),
                                   "dummy mapping holds index"),
    "nan_mapping_weights": (lambda: _set(_model(mapping="learnable"), lambda m: m[0].mapping
                                         .weights.__setitem__((0, 0), float("nan"))),
                            "mapping.weights holds NaN"),
    "ste_false_into_groupsum": (lambda: _model(ste=False), "sums raw LUT values"),
    "groupsum_not_last": (lambda: nn.Sequential(*_model(), dwn.LUTLayer(2, 2, n=1)),
                          "after the GroupSum"),
    "no_groupsum": (lambda: nn.Sequential(dwn.LUTLayer(12, 10, n=3)), "does not end in a GroupSum"),
    "negative_tau": (lambda: nn.Sequential(dwn.LUTLayer(12, 10, n=3), dwn.GroupSum(2, tau=-1.0)),
                     "tau=-1.0"),
    "tau_ties_counts": (lambda: nn.Sequential(dwn.LUTLayer(12, 10, n=3), dwn.GroupSum(2, tau=1e39)),
                        "same float score"),
    "input_size_mismatch": (lambda: nn.Sequential(dwn.LUTLayer(12, 10, n=3),
                                                  dwn.LUTLayer(11, 4, n=2), dwn.GroupSum(2)),
                            "input_size=11 but it receives 10 bits"),
    "n_too_big": (lambda: nn.Sequential(dwn.LUTLayer(12, 2, n=9), dwn.GroupSum(2)),
                  "at most 8 inputs"),
    "foreign_layer": (lambda: nn.Sequential(dwn.LUTLayer(12, 10, n=3), nn.ReLU(),
                                            dwn.GroupSum(2)), "ReLU is not a layer"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_in_one_line(case, tmp_path):
    build, match = CASES[case]
    _refused(build(), match, tmp_path)


def test_unknown_attribute_buffer_and_hook(tmp_path):
    m = _model()
    m[0].scale = 2.0
    _refused(m, "unknown attribute 'scale'", tmp_path)
    m = _model()
    m[1].register_buffer("bias", torch.zeros(2))
    _refused(m, "unknown buffer 'bias'", tmp_path)
    m = _model()
    m[0].register_forward_hook(lambda *a: None)
    with pytest.raises(GatecompError, match="forward_hooks"):
        load_dwn(m)


def test_mapping_dtype_the_kernel_does_not_read():
    m = _model()
    m[0].mapping = nn.Parameter(m[0].mapping.long(), requires_grad=False)
    with pytest.raises(GatecompError, match=r"mapping is torch.int64; torch_dwn's kernel reads "
                                            r"torch.int32"):
        load_dwn(m)


def test_unknown_torch_dwn_class_in_a_pickle(tmp_path, monkeypatch):
    fake = types.ModuleType("torch_dwn.fancy")

    class FancyLUT(nn.Module):
        pass

    FancyLUT.__module__, FancyLUT.__qualname__ = "torch_dwn.fancy", "FancyLUT"
    fake.FancyLUT = FancyLUT
    monkeypatch.setitem(sys.modules, "torch_dwn.fancy", fake)
    torch.save(nn.Sequential(FancyLUT(), dwn.GroupSum(2)), tmp_path / "m.pt")
    with pytest.raises(GatecompError, match="torch_dwn.fancy.FancyLUT is not a torch_dwn 1.1.1 "
                                            "class gatecomp reads"):
        load_model(tmp_path / "m.pt")


def test_state_dict_wrapper_refusals():
    sd = _model().state_dict()
    with pytest.raises(GatecompError, match="field 'epochs' is not understood"):
        load_dwn({"state_dict": sd, "num_classes": 2, "input_size": 12, "epochs": 3})
    with pytest.raises(GatecompError, match="lacks 'num_classes'"):
        load_dwn({"state_dict": sd, "input_size": 12})
    with pytest.raises(GatecompError, match="entry '0.extra' was not understood"):
        load_dwn({"state_dict": {**sd, "0.extra": torch.zeros(1)}, "num_classes": 2,
                  "input_size": 12})
