"""Brevitas BNNs folded to integer thresholds: equal to the float forward except on ties."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("brevitas")

from gatecomp.aig import simulate  # noqa: E402
from gatecomp.errors import GatecompError  # noqa: E402
from gatecomp.frontends.bnn import load_bnn, lower_bnn, reference_outputs  # noqa: E402
from gatecomp.frontends.registry import load_model  # noqa: E402
from tests.unit.brevitas_nets import random_brevitas_bnn  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore")


def _all_inputs(n: int) -> np.ndarray:
    return ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(bool)


@pytest.mark.parametrize(("widths", "seed"), [([9], 1), ([9, 7], 2)])
def test_folded_brevitas_lowering_exhaustive(widths, seed):
    x = _all_inputs(10)
    model = load_bnn(random_brevitas_bnn(widths, 10, 4, seed=seed), calibration=x)
    assert model.format == "brevitas.module"
    rep = model.folding
    # planted ties exist and are the only disagreements (fold_brevitas raises otherwise)
    assert rep["calibration_samples"] == 1024 and rep["tie_samples"] > 0
    assert rep["prediction_agreement"] >= 1 - rep["tie_samples"] / 1024
    net = lower_bnn(model)
    got = net.output_words(simulate(net.aig, x))
    want = reference_outputs(model, x)
    for port in net.outputs:
        assert np.array_equal(got[port.name], want[port.name]), port.name


def test_float_brevitas_forward_matches_off_ties():
    """With the scale 1 (exact in float) and no planted ties the models agree everywhere."""
    import torch

    m = random_brevitas_bnn([12], 10, 3, seed=4, weight_scale=1.0)
    with torch.no_grad():
        m[2].bias.add_(0.25)  # move every threshold off the reachable grid: no ties
    x = _all_inputs(10)
    model = load_bnn(m, calibration=x)
    assert model.folding["tie_samples"] == 0
    with torch.no_grad():
        logits = m(torch.from_numpy(2.0 * x - 1.0).float())
    counts = np.stack([reference_outputs(model, x)[f"count{c}"] for c in range(3)], 1)
    assert np.array_equal(logits.numpy(), (2 * counts - 12).astype(np.float32))


def test_registry_takes_in_memory_brevitas_module():
    fe, model = load_model(random_brevitas_bnn([5], 6, 2, seed=0))
    assert fe.name == "bnn" and model.layer_sizes == [6, 5, 2]


def test_unsupported_brevitas_layers_are_named():
    import brevitas.nn as qnn
    from torch import nn

    m = random_brevitas_bnn([5], 6, 2, seed=0)
    with pytest.raises(GatecompError, match="ReLU"):
        load_bnn(nn.Sequential(*m, nn.ReLU()))
    with pytest.raises(GatecompError, match="not binary"):
        load_bnn(nn.Sequential(m[0], qnn.QuantLinear(6, 3, bias=False, weight_bit_width=4)))
