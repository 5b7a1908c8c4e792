"""Two torchlogix 0.2.2 networks TRAINED here on scikit-learn digits (a convolutional one and a
dense light rank-4 one), saved whole with ``torch.save(model)``, compiled to RTL: the simulated
hardware's class counts and predictions equal torchlogix's own eval forward on the whole test
split, bit for bit (computed here by running the module, not through gatecomp)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from torch import nn

from gatecomp.flow import CompileOptions, compile_model
from gatecomp.verify.rtl_sim import run_rtl_verify
from tests.torchlogix_models import (
    GroupSum,
    LogicConv2d,
    LogicDense,
    OrPooling2d,
    counts_of,
    torchlogix_classes,
)

pytestmark = [pytest.mark.sim, pytest.mark.slow,
              pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog")]

TRAIN = 1437  # sklearn digits: 1797 images; the last 360 are the test split


def _digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    d = load_digits()
    bits = (d.data > 4).astype(np.float32)  # 8x8 pixels 0..16 -> one bit per pixel
    return bits[:TRAIN], d.target[:TRAIN], bits[TRAIN:], d.target[TRAIN:]


def _train(model: nn.Module, x: np.ndarray, y: np.ndarray, shape: tuple[int, ...],
           epochs: int, lr: float = 0.05, batch: int = 128) -> nn.Module:
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    xt, yt = torch.from_numpy(x).reshape(-1, *shape), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a few seconds on one core; no oversubscription on a busy host
    try:
        model.train()
        for _ in range(epochs):
            perm = torch.randperm(len(xt), generator=gen)
            for at in range(0, len(xt), batch):
                idx = perm[at:at + batch]
                loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
    finally:
        torch.set_num_threads(threads)
    return model.eval()


def _conv_model() -> tuple[nn.Module, tuple[int, ...]]:
    kw = {"parametrization": "light", "parametrization_kwargs": {"weight_init": "random"}}
    model = nn.Sequential(
        LogicConv2d(in_dim=8, channels=1, num_kernels=8, tree_depth=2, receptive_field_size=3,
                    padding=1, **kw),
        OrPooling2d(kernel_size=2, stride=2),
        nn.Flatten(),
        LogicDense(8 * 4 * 4, 800, **kw), LogicDense(800, 400, **kw),
        GroupSum(10, tau=4.0))
    return model, (1, 8, 8)


def _dense_light4_model() -> tuple[nn.Module, tuple[int, ...]]:
    kw = {"lut_rank": 4, "parametrization": "light",
          "parametrization_kwargs": {"weight_init": "random"}}
    model = nn.Sequential(nn.Flatten(), LogicDense(64, 300, **kw), LogicDense(300, 200, **kw),
                          GroupSum(10, tau=4.0))
    return model, (64,)


@pytest.mark.parametrize("name,make,epochs", [("conv", _conv_model, 15),
                                               ("dense_light4", _dense_light4_model, 8)])
def test_trained_torchlogix_rtl_equals_its_forward_on_digits(name, make, epochs, tmp_path):
    torch.manual_seed(0)
    x_train, y_train, x_test, y_test = _digits()
    model, shape = make()
    _train(model, x_train, y_train, shape, epochs)
    path = tmp_path / f"{name}.pt"
    torch.save(model, path)  # the whole module, as torchlogix users save it
    test_bits = x_test.astype(np.uint8)
    np.save(tmp_path / "test.npy", test_bits)

    build = tmp_path / "net"
    result = compile_model(path, build, CompileOptions(inputs=tmp_path / "test.npy",
                                                       pipeline_stages=2))
    report = result.report
    assert report["checks"]["reference"]["name"].startswith("torchlogix 0.2.2")
    assert report["checks"]["reference"]["independent"]
    proof = report["checks"]["equivalence"]
    assert proof is None or proof["equivalent"]  # optimized circuit proved equal to the lowered

    res = run_rtl_verify(build)
    assert res.passed and res.vectors == len(test_bits) and res.mismatches == 0

    counts, pred = torchlogix_classes(model, torch.from_numpy(x_test).reshape(-1, *shape))
    np.testing.assert_array_equal(res.outputs["pred"], pred)
    np.testing.assert_array_equal(counts_of(res.outputs, 10), counts)
    accuracy = float((pred == y_test).mean())
    gates = report["gates"]
    print(f"\n{name}: torchlogix accuracy {accuracy:.2%} on {len(y_test)} test digits, RTL "
          f"identical; {gates['trained_logic_gates']} trained gates, ANDs "
          f"{gates['ands_lowered']} lowered -> {gates['ands_optimized']} optimized; proof: "
          f"{(report['checks']['equivalence'] or {}).get('message')}; RTL sim "
          f"{res.sim_seconds:.1f} s")
    assert accuracy > 0.5  # it learnt something: the check is not on a constant classifier
