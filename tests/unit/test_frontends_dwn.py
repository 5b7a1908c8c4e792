"""The torch_dwn frontend on models built with torch_dwn 1.1.1's own classes: the lowered
circuit, simulated, equals gatecomp's reading, the frontend's own forward (torch_dwn's modules
with gatecomp's CPU port of the CUDA kernel) and this file's reference (torch_dwn's modules with
a second port written here); state_dict wrappers read like the pickles."""

from __future__ import annotations

import importlib
import json
from contextlib import contextmanager

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from torch import nn

from gatecomp.aig import simulate
from gatecomp.errors import GatecompError
from gatecomp.frontends.dwn import load_dwn, lower_network, own_forward, reference_outputs
from gatecomp.frontends.dwn.own_forward import efd_forward_cpu, torch_dwn_version
from gatecomp.frontends.registry import load_model

if torch_dwn_version() is None:
    pytest.skip("torch_dwn is not installed: python -m gatecomp.frontends.dwn.install "
                "(make setup does it)", allow_module_level=True)

import torch_dwn as dwn  # noqa: E402 - only where installed

SAMPLES = 400


def kernel_loop(x: torch.Tensor, mapping: torch.Tensor, luts: torch.Tensor) -> torch.Tensor:
    """``efd_cuda_forward_kernel`` as its loops read, one sample and one LUT at a time."""
    out = torch.empty(x.shape[0], luts.shape[0], dtype=torch.float32)
    for i in range(x.shape[0]):
        for j in range(luts.shape[0]):
            addr = int(x[i, int(mapping[j, 0])] > 0)
            for col in range(1, mapping.shape[1]):
                addr |= int(x[i, int(mapping[j, col])] > 0) << col
            out[i, j] = luts[j, addr]
    return out


def kernel_powers(x, mapping, luts):
    """The kernel again, vectorised another way (powers of two, gather)."""
    bits = (x[:, mapping.long()] > 0).long()  # (batch, M, n)
    addr = (bits * (2 ** torch.arange(mapping.shape[1]))).sum(-1)
    return torch.gather(luts.expand(x.shape[0], -1, -1), 2, addr.unsqueeze(-1)).squeeze(-1)


class _EFD:
    @staticmethod
    def apply(x, mapping, luts, alpha, beta):
        return kernel_powers(x, mapping, luts)


@contextmanager
def patched_kernel():
    """torch_dwn's ``EFDFunction`` replaced by :func:`kernel_powers` (CPU)."""
    lut_layer = importlib.import_module("torch_dwn.lut_layer")
    saved, lut_layer.EFDFunction = lut_layer.EFDFunction, _EFD
    try:
        yield
    finally:
        lut_layer.EFDFunction = saved


def dwn_classes(model: nn.Module, x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(counts, pred) of torch_dwn's own forward: counts from its GroupSum with tau 1."""
    gs = [m for m in model.modules() if isinstance(m, dwn.GroupSum)][-1]
    seen = []
    hook = gs.register_forward_hook(lambda m, i, _o: seen.append(dwn.GroupSum(m.k, 1).forward(
        i[0][:, m.randperm] if m.randperm is not None else i[0])))
    model.eval()
    try:
        with patched_kernel(), torch.no_grad():
            scores = model(x)
    finally:
        hook.remove()
    return seen[0].numpy().astype(np.int64), torch.argmax(scores, 1).numpy()


def simulate_net(net, bits: np.ndarray) -> dict[str, np.ndarray]:
    return net.output_words(simulate(net.aig, np.asarray(bits, dtype=np.uint8)))


def counts_of(words: dict, k: int) -> np.ndarray:
    return np.stack([words[f"count{c}"] for c in range(k)], axis=1)


def inputs(rng: np.random.Generator, n: int, width: int) -> torch.Tensor:
    """Floats with exact zeros of both signs: the kernel's address bit is ``x > 0``."""
    return torch.from_numpy(rng.choice(np.float32([-1, -0.0, 0, 0.25, 1]), (n, width)))


def assert_matches(net, model: nn.Module, x: torch.Tensor) -> None:
    """Circuit == gatecomp's reading == own_forward == torch_dwn's forward here."""
    counts, pred = dwn_classes(model, x)
    bits = (x.reshape(len(x), -1) > 0).numpy()
    assert bits.shape[1] == net.input_width
    own = own_forward(net, bits)
    assert own.outputs is not None and "CPU port of its CUDA kernel" in own.name, own.name
    for name, words in (("circuit", simulate_net(lower_network(net), bits)),
                        ("reading", reference_outputs(net, bits)), ("own", own.outputs)):
        np.testing.assert_array_equal(counts_of(words, net.num_classes), counts, name)
        np.testing.assert_array_equal(words["pred"], pred, err_msg=f"{name} pred")


def _fixed_mapping() -> torch.Tensor:
    m = torch.randint(0, 24, (18, 3), dtype=torch.int32)
    m[:, 1] = m[:, 0]  # a neuron reading one input twice
    return m


CASES = {
    "random_n2": lambda: [dwn.LUTLayer(24, 30, n=2), dwn.GroupSum(3)],
    "arange_n3_tau": lambda: [dwn.LUTLayer(24, 30, n=3, mapping="arange"),
                              dwn.GroupSum(5, tau=2.5)],
    "learnable_n6_padded": lambda: [dwn.LUTLayer(24, 40, n=6, mapping="learnable"),
                                    dwn.LUTLayer(40, 21, n=4), dwn.GroupSum(4, tau=1 / 0.3)],
    "n8": lambda: [dwn.LUTLayer(24, 12, n=8), dwn.GroupSum(3)],
    "ste_false_then_ste": lambda: [dwn.LUTLayer(24, 30, n=3, ste=False),
                                   dwn.LUTLayer(30, 20, n=2, ste=False), dwn.STE(),
                                   dwn.GroupSum(4)],
    "flatten_randperm": lambda: [nn.Flatten(), dwn.LUTLayer(24, 20, n=4),
                                 dwn.GroupSum(3, randperm=20)],
    "tensor_mapping_repeats": lambda: [dwn.LUTLayer(24, 18, n=3, mapping=_fixed_mapping()),
                                       dwn.GroupSum(6)],
}


def build(case: str, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(*CASES[case]()).eval()


def _x(model, rng):
    x = inputs(rng, SAMPLES, 24)
    return x.reshape(-1, 4, 6) if isinstance(model[0], nn.Flatten) else x


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("source", ["pickle", "memory"])
def test_circuit_equals_torch_dwn(case, source, tmp_path):
    model = build(case)
    if source == "pickle":
        torch.save(model, tmp_path / "m.pt")
        net = load_dwn(tmp_path / "m.pt")
        assert net.format == "torch_dwn.pickle"
    else:
        net = load_dwn(model)
    assert_matches(net, model, _x(model, np.random.default_rng(1)))


def test_cpu_port_equals_the_kernel_loops():
    gen = torch.Generator().manual_seed(3)
    x = inputs(np.random.default_rng(2), 7, 10)
    mapping = torch.randint(0, 10, (9, 5), dtype=torch.int32, generator=gen)
    luts = torch.rand(9, 32, generator=gen) * 2 - 1
    np.testing.assert_array_equal(efd_forward_cpu(x, mapping, luts), kernel_loop(x, mapping, luts))
    with pytest.raises(RuntimeError, match="int32"):
        efd_forward_cpu(x, mapping.long(), luts)


def test_learnable_mapping_ties_take_the_first_index(tmp_path):
    model = nn.Sequential(dwn.LUTLayer(10, 6, n=2, mapping="learnable"), dwn.GroupSum(2)).eval()
    with torch.no_grad():
        model[0].mapping.weights.zero_()
        model[0].mapping.weights[7, ::2] = 1.0  # every input 0 of a neuron: input 7
    net = load_dwn(model)
    assert (net.layers[0].inputs[0] == 7).all() and (net.layers[0].inputs[1] == 0).all()
    assert_matches(net, model, inputs(np.random.default_rng(0), 100, 10))


def test_tied_counts_give_the_lowest_class():
    model = nn.Sequential(dwn.LUTLayer(8, 6, n=2), dwn.GroupSum(3)).eval()
    with torch.no_grad():
        model[0].luts.fill_(-0.5)
    net = load_dwn(model)
    bits = np.random.default_rng(0).integers(0, 2, (50, 8))
    assert (reference_outputs(net, bits)["pred"] == 0).all()
    assert_matches(net, model, torch.from_numpy(bits.astype(np.float32)))


@pytest.mark.parametrize("case", ["learnable_n6_padded", "tensor_mapping_repeats"])
def test_state_dict_wrapper_reads_like_the_pickle(case, tmp_path):
    model = build(case, seed=5)
    gs = model[-1]
    path = tmp_path / "sd.pt"
    wrapper = {"state_dict": model.state_dict(), "num_classes": gs.k, "tau": gs.tau,
               "input_size": 24}
    torch.save(wrapper, path)
    fe, net = load_model(path)
    assert fe.name == "dwn" and net.format == "torch_dwn.state_dict"
    assert_matches(net, model, _x(model, np.random.default_rng(4)))
    assert "state_dict loaded strictly" in own_forward(net, np.zeros((1, 24), bool)).name


def test_bare_state_dict_is_refused_with_what_to_save(tmp_path):
    torch.save(build("random_n2").state_dict(), tmp_path / "sd.pt")
    with pytest.raises(GatecompError, match=r"bare torch_dwn state_dict .*torch\.save\(model\)"):
        load_model(tmp_path / "sd.pt")
    wrapper = {"state_dict": build("random_n2").state_dict(), "num_classes": 3}
    with pytest.raises(GatecompError, match="add 'input_size'"):
        load_dwn(wrapper)


def test_registry_and_info(tmp_path):
    from gatecomp.cli import main

    torch.save(build("learnable_n6_padded"), tmp_path / "m.pt")
    fe, net = load_model(tmp_path / "m.pt")
    assert fe.name == "dwn" and net.block_size == 6 and (net.groups < 0).sum() == 3
    out = CliRunner().invoke(main, ["info", str(tmp_path / "m.pt")])
    assert out.exit_code == 0, out.output
    desc = json.loads(out.output)
    assert desc["library"] == "torch_dwn 1.1.1" and desc["group_sum"]["padding"] == 3
    assert [r["luts_shape"] for r in desc["layers"]] == [[40, 64], [21, 16]]
    assert desc["layers"][0]["mapping"] == "learnable"
