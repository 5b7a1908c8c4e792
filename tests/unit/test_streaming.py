"""Streaming conv hardware: kernel extraction, its formal check, the cycle model, and the
Amaranth design simulated on tiny images (with back-pressure) against torchlogix's forward."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from amaranth.sim import Simulator
from torch import nn

from gatecomp.backends.streaming import StageSpec, StreamingComponent
from gatecomp.errors import GatecompError
from gatecomp.frontends.torchlogix import load_torchlogix
from gatecomp.frontends.torchlogix.lower import lower_network
from gatecomp.mapping.stages import PipelineParams, plan_pipeline
from gatecomp.streaming import streaming_net
from gatecomp.streaming.cycles import simulate_control
from gatecomp.streaming.formal import prove_kernel
from gatecomp.streaming.model import streaming_outputs
from tests.unit.torchlogix_nets import conv_model, forward_bits, residual_model, torchlogix


def _randomized(model: nn.Module, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p))
    return model.eval()


def two_layer_model(seed: int = 0) -> nn.Module:
    """conv (2 channels in, pad 1) + pool + strided conv (no pad) + pool: 8x8 images."""
    tlx = torchlogix()
    torch.manual_seed(seed)
    return _randomized(nn.Sequential(
        tlx.layers.LogicConv2d(in_dim=8, channels=2, num_kernels=4, tree_depth=2,
                               receptive_field_size=3, padding=1),
        tlx.layers.OrPooling2d(kernel_size=2, stride=2),
        tlx.layers.LogicConv2d(in_dim=4, channels=4, num_kernels=8, tree_depth=2,
                               receptive_field_size=2, padding=0, stride=2),
        nn.Flatten(), tlx.layers.LogicDense(32, 40), tlx.layers.GroupSum(4)), seed)


@pytest.fixture(params=["conv_pool", "two_layer"])
def model(request) -> nn.Module:
    return _randomized(conv_model(), 3) if request.param == "conv_pool" else two_layer_model()


def _bits(net, n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, (n, net.input_width)).astype(bool)


def test_decomposition_equals_torchlogix_forward(model):
    net = load_torchlogix(model)
    snet = streaming_net(net)
    x = _bits(net, 100)
    got = streaming_outputs(snet, lower_network(snet.tail), x)
    scores = forward_bits(model, x.reshape(len(x), *net.input_shape)).numpy()
    assert np.array_equal(got["pred"], scores.argmax(axis=1))
    for layer in snet.layers:
        proof = prove_kernel(layer)
        assert proof.positions == proof.of  # small layers: every position proved


def test_refuses_residual_blocks():
    with pytest.raises(GatecompError, match="plain chain"):
        streaming_net(load_torchlogix(residual_model()))


def test_refuses_a_gather_that_is_not_a_window():
    net = load_torchlogix(_randomized(conv_model(), 1))
    s0 = net.stages[0]
    idx = s0.inputs.copy()
    idx[0, 5] = (idx[0, 5] + 1) % net.bits_width if idx[0, 5] >= 0 else 3  # one position moved
    net.stages[0] = type(s0)(s0.src, idx, s0.tables, s0.shape, s0.layer)
    with pytest.raises(GatecompError, match="window|different window entries"):
        streaming_net(net)


def _simulate(dut, words: list[list[int]], ports: list[str], backpressure: bool, seed: int = 0):
    got, cycles = [], []

    async def bench(ctx):
        rng, seq, i, cyc = random.Random(seed), [w for img in words for w in img], 0, 0
        while len(got) < len(words) and cyc < 20000:
            v = i < len(seq) and (not backpressure or rng.random() < 0.8)
            rdy = 1 if not backpressure else int(rng.random() < 0.6)
            ctx.set(dut.in_valid, int(v))
            ctx.set(dut.in_data, seq[i] if v else 0)
            ctx.set(dut.out_ready, rdy)
            await ctx.delay(1e-9)
            if v and ctx.get(dut.in_ready):
                i += 1
            if rdy and ctx.get(dut.out_valid):
                got.append({p: ctx.get(getattr(dut, f"out_{p}")) for p in ports})
                cycles.append(cyc)
            await ctx.tick()
            cyc += 1

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return got, cycles


@pytest.mark.parametrize("backpressure", [False, True])
@pytest.mark.parametrize("stages", [0, 2])
def test_amaranth_design_streams_images(model, backpressure, stages):
    net = load_torchlogix(model)
    snet = streaming_net(net)
    tail = lower_network(snet.tail)
    plan = plan_pipeline(tail.aig, PipelineParams(stages=stages))
    specs = [StageSpec(la.name, g.channels, g.height, g.width, g.field, g.stride, g.pad,
                       la.kernel) for la in snet.layers for g in (la.geometry,)]
    dut = StreamingComponent(specs, tail, plan, "level")
    x = _bits(net, 5, seed=1)
    g = snet.layers[0].geometry
    pix = x.reshape(len(x), g.channels, g.height * g.width).transpose(0, 2, 1)
    words = [[int(sum(int(b) << c for c, b in enumerate(p))) for p in img] for img in pix]
    ref = streaming_outputs(snet, tail, x)
    got, cycles = _simulate(dut, words, list(ref), backpressure)
    assert len(got) == len(x)
    for n, out in enumerate(got):
        assert all(out[k] == ref[k][n] for k in ref), n
    if not backpressure:  # the cycle model is the RTL's control, clock for clock
        timing = simulate_control([la.geometry for la in snet.layers], plan.latency, len(x))
        assert cycles == timing.results
