"""MNIST-1D as a recorded split (``gatecomp.nn.mnist1d``) and the bundled recurrent model on it:
the compiled sequential circuit equals the model's own forward on all 1,000 test signals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import gatecomp
from gatecomp.nn import MNIST1D_SPLIT, load_split

mnist1d = pytest.importorskip("mnist1d", reason="mnist1d not installed (gatecomp[datasets])")
MNIST1D_MODEL = Path(gatecomp.__file__).parent / "examples" / "mnist1d_recurrent.pt"


def test_split_is_the_packages_own_data_and_leaves_the_rng_alone():
    from mnist1d.data import get_dataset_args, make_dataset

    np.random.seed(7)
    before = np.random.get_state()[1].copy()
    split = load_split(MNIST1D_SPLIT)
    assert np.array_equal(np.random.get_state()[1], before)
    theirs = make_dataset(get_dataset_args())
    assert split["x_train"].shape == (4000, 40) and split["x_test"].shape == (1000, 40)
    for ours, key in (("x_train", "x"), ("y_train", "y"), ("x_test", "x_test"),
                      ("y_test", "y_test")):
        assert np.array_equal(split[ours], theirs[key]), ours
    split["x_test"][0, 0] = 99.0  # a copy: the cache is not changed through it
    assert load_split(MNIST1D_SPLIT)["x_test"][0, 0] != 99.0


def test_unknown_generator_argument_is_refused():
    with pytest.raises(ValueError, match="unknown key 'shuffle_seq'"):
        load_split(dict(MNIST1D_SPLIT, shuffle_seq=True))


def test_bundled_recurrent_model_compiles_bit_exact_on_the_test_set(tmp_path):
    """gatecomp compile on the bundled checkpoint; its AIGER (latches) run over all 1,000 test
    signals equals RecurrentLogic's own eval forward, and gives the recorded accuracy."""
    from gatecomp.aig.aiger import read_aiger_latches
    from gatecomp.aig.seq import run_sequences
    from gatecomp.flow import CompileOptions, compile_model
    from gatecomp.frontends.registry import load_model

    frontend, model = load_model(MNIST1D_MODEL)
    bits, labels = frontend.dataset_vectors(model, "test")
    assert bits.shape == (1000, 10, 20)
    report = compile_model(MNIST1D_MODEL, tmp_path / "m", CompileOptions()).report
    assert report["sequential"]["sequences_checked"] == 1000
    assert report["checks"]["equivalence"]["equivalent"] is True
    step, init = read_aiger_latches(tmp_path / "m" / "m.aig")
    seq = frontend.lower(model)
    assert init == seq.init and len(init) == model.state_width
    got = run_sequences(seq.with_step(seq.step.with_aig(step)), bits).emitted(seq.emit)
    own = frontend.own_forward(model, bits)
    assert own.name.startswith("gatecomp.nn.RecurrentLogic")
    for port, words in own.outputs.items():
        assert np.array_equal(got[port], words), port
    accuracy = float(np.mean(got["pred"].reshape(-1) == labels))
    assert accuracy == pytest.approx(model.metrics["test_accuracy"])
