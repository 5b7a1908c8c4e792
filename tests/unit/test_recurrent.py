"""Recurrent logic networks: the layer, our checkpoint, the step AIG + registers (SeqNet), AIGER
latches, the sequential component (Amaranth's simulator) and a sequential compile."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import torch

from gatecomp.aig import read_aiger, write_aiger
from gatecomp.aig.aiger import AigerError, read_aiger_latches
from gatecomp.aig.seq import SeqNet, run_sequences
from gatecomp.errors import GatecompError
from gatecomp.frontends.recurrent import recurrent_checkpoint, save_recurrent
from gatecomp.frontends.registry import load_model
from gatecomp.nn.recurrent import RecurrentLogic, rows_as_steps
from gatecomp.toolchain import find_abc

STEPS, WIDTH = 5, 6


def small_net(output: str = "last", seed: int = 3) -> RecurrentLogic:
    """A random (untrained) recurrent net with a random learned initial state."""
    torch.manual_seed(seed)
    m = RecurrentLogic(WIDTH, 8, [12], [20], 4, 2.0, output=output, learn_init=True,
                       seed=seed, init="random")
    with torch.no_grad():
        m.init_logits.copy_(torch.randn(8))
    return m


def sequences(n: int = 300, steps: int = STEPS, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, (n, steps, WIDTH)).astype(bool)


@pytest.fixture(params=["last", "each"])
def saved(request, tmp_path):
    path = tmp_path / f"rec_{request.param}.pt"
    save_recurrent(path, small_net(request.param), steps=STEPS)
    return path


def test_eval_forward_is_binary_and_training_is_relaxed():
    m = small_net("each").eval()
    x = torch.from_numpy(sequences(50).astype(np.float32))
    h = m.states(x)
    assert h.shape == (50, STEPS, 8) and bool(((h == 0) | (h == 1)).all())
    assert m(x).shape == (50, STEPS, 4)
    m.train()
    assert not bool(((m.states(x) == 0) | (m.states(x) == 1)).all())
    assert m(x).requires_grad


def test_rows_as_steps_cuts_row_major():
    x = np.arange(2 * 64).reshape(2, 64)
    assert rows_as_steps(x, 8)[1, 2].tolist() == list(range(64 + 16, 64 + 24))
    with pytest.raises(ValueError):
        rows_as_steps(x, 7)


def test_step_circuit_equals_both_references(saved):
    frontend, model = load_model(saved)
    assert frontend.name == "recurrent" and model.steps == STEPS
    seq = frontend.lower(model)
    assert isinstance(seq, SeqNet) and seq.state_width == 8 and seq.init == model.init
    bits = sequences()
    got = run_sequences(seq, bits).emitted(seq.emit)
    ref = frontend.reference(model, bits)
    own = frontend.own_forward(model, bits).outputs
    for port in ref:
        assert np.array_equal(got[port], ref[port]), port
        assert np.array_equal(own[port], ref[port]), port
    desc = frontend.describe(model)
    assert (desc["state_width"], desc["steps"], desc["output"]) == (8, STEPS, seq.emit)


def test_checkpoint_fields_are_read_or_refused(tmp_path):
    ckpt = recurrent_checkpoint(small_net(), steps=STEPS)
    bad = dict(ckpt, optimizer="adam")
    torch.save(bad, tmp_path / "a.pt")
    with pytest.raises(GatecompError, match="'optimizer' is not understood"):
        load_model(tmp_path / "a.pt")
    sd = dict(ckpt["state_dict"], extra=torch.zeros(1))
    torch.save(dict(ckpt, state_dict=sd), tmp_path / "b.pt")
    with pytest.raises(GatecompError, match="does not fit the spec"):
        load_model(tmp_path / "b.pt")
    torch.save(dict(ckpt, spec=dict(ckpt["spec"], hidden=3)), tmp_path / "c.pt")
    with pytest.raises(GatecompError, match="'hidden'"):
        load_model(tmp_path / "c.pt")


def test_aiger_latches_round_trip(tmp_path):
    frontend, model = load_model(_save(tmp_path))
    seq = frontend.lower(model)
    data = write_aiger(seq.aig, tmp_path / "s.aig", latches=seq.init)
    header = data.split(b"\n", 1)[0].split()
    assert header[3] == b"8" and int(header[2]) == WIDTH
    aig, init = read_aiger_latches(data)
    assert init == seq.init and aig.num_inputs == seq.aig.num_inputs
    assert np.array_equal(aig.outputs, seq.aig.outputs)
    assert aig.input_names == seq.aig.input_names
    with pytest.raises(AigerError, match="latches"):
        read_aiger(data)
    combinational = write_aiger(seq.aig)
    assert combinational.split(b"\n", 1)[0].split()[3] == b"0"


@pytest.mark.skipif(find_abc() is None, reason="ABC not installed")
def test_abc_reads_the_latches_and_proves_the_optimized_step(tmp_path):
    from gatecomp.passes.script import run_script

    frontend, model = load_model(_save(tmp_path))
    seq = frontend.lower(model)
    opt, _ = run_script(seq.aig, "cleanup,balance,rewrite")
    write_aiger(seq.aig, tmp_path / "a.aig", latches=seq.init)
    write_aiger(opt, tmp_path / "b.aig", latches=seq.init)
    out = subprocess.run([str(find_abc()), "-c", f"read {tmp_path / 'a.aig'}; print_stats; "
                          f"dsec {tmp_path / 'a.aig'} {tmp_path / 'b.aig'}"],
                         capture_output=True, text=True, timeout=60).stdout
    assert "lat =    8" in out or "lat = 8" in out.replace("  ", " ")
    assert "Networks are equivalent" in out


def test_sequential_sidecar_round_trip(tmp_path):
    from gatecomp.backends.sequential import emit_sequential
    from gatecomp.seq_sidecar import SeqSidecar
    from gatecomp.sidecar import Sidecar

    frontend, model = load_model(_save(tmp_path))
    text, side = emit_sequential(frontend.lower(model), "rnet", source="x.pt")
    assert "module rnet(" in text and "in_last" in text
    side.write(tmp_path / "rnet.json")
    back = SeqSidecar.read(tmp_path / "rnet.json")
    assert back == side and back.sequence.state_width == 8 and back.latency == 1
    assert back.sequence.init == "".join(map(str, model.init))
    with pytest.raises(GatecompError, match="unknown key 'sequence'"):
        Sidecar.read(tmp_path / "rnet.json")


@pytest.mark.parametrize("output", ["last", "each"])
def test_component_streams_sequences_in_amaranths_simulator(output):
    """Back-to-back sequences with random out_ready stalls: every output event equals the
    reference, in order, and the state restarts after every in_last beat."""
    from amaranth.sim import Simulator

    from gatecomp.backends.sequential import SeqNetComponent
    from gatecomp.frontends.recurrent.frontend import _model

    model = _model(small_net(output).eval(), "mem", "recurrent.module", {"sequence": {}})
    seq = load_model(model.module)[0].lower(model)
    bits = sequences(12, 3)
    expected = run_sequences(seq, bits).emitted(seq.emit)
    events = [{k: int(v.reshape(-1)[e]) for k, v in expected.items()}
              for e in range(len(expected["pred"].reshape(-1)))]
    dut = SeqNetComponent(seq, "level")
    got: list[dict] = []

    async def bench(ctx):
        rng = np.random.default_rng(1)
        beats = [(s, t) for s in range(len(bits)) for t in range(bits.shape[1])]
        at = 0
        while len(got) < len(events):
            ready = int(rng.random() < 0.6)
            ctx.set(dut.out_ready, ready)
            if at < len(beats):
                s, t = beats[at]
                word = int(np.packbits(bits[s, t], bitorder="little")[0])
                ctx.set(dut.in_data, word)
                ctx.set(dut.in_last, int(t == bits.shape[1] - 1))
            ctx.set(dut.in_valid, int(at < len(beats)))
            took = ctx.get(dut.in_valid) and ctx.get(dut.in_ready)
            if ctx.get(dut.out_valid) and ready:
                got.append({k: ctx.get(getattr(dut, f"out_{k}")) for k in expected})
            await ctx.tick()
            at += int(bool(took))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert got == events


def _save(tmp_path, output: str = "last"):
    path = tmp_path / f"net_{output}.pt"
    if not path.exists():
        save_recurrent(path, small_net(output), steps=STEPS)
    return path


@pytest.mark.slow
def test_training_script_runs_and_saves(tmp_path):
    """The example's train() on a tiny net: the checkpoint holds what the metrics say, and its
    recorded split gives (sequences, 8 rows, 24 bits) check vectors."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location(
        "train_recurrent_digits", root / "examples" / "train_recurrent_digits.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "r.pt"
    metrics = mod.train(out, state_dim=16, step_widths=(32,), readout_widths=(40,), epochs=1,
                        batch_size=256, threads=None, log=None)
    frontend, model = load_model(out)
    assert model.metrics == metrics and model.steps == 8 and model.state_width == 16
    bits, labels = frontend.dataset_vectors(model, "test")
    assert bits.shape == (360, 8, 24) and len(labels) == 360
    acc = np.mean(frontend.reference(model, bits)["pred"] == labels)
    assert acc == pytest.approx(metrics["test_accuracy"])
