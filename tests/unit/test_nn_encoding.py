"""Thermometer encoding: bit order, thresholds, dict round trip; digits split is reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from gatecomp.nn import DIGITS_SPLIT, ThermometerEncoding, digits_encoding, load_split


def test_feature_major_bit_order():
    enc = ThermometerEncoding((2.0, 6.0, 10.0), 2)
    bits = enc.encode(np.array([[0, 16], [6, 7], [3, 10]]))
    assert bits.tolist() == [
        [False, False, False, True, True, True],
        [True, False, False, True, True, False],  # 6 > 6 is False: strict threshold
        [True, False, False, True, True, False],
    ]
    assert enc.width == 6


def test_round_trip_and_validation():
    enc = digits_encoding()
    assert ThermometerEncoding.from_dict(enc.to_dict()) == enc
    assert enc.width == 64 * len(enc.thresholds)
    with pytest.raises(ValueError):
        ThermometerEncoding((3.0, 1.0), 4)
    with pytest.raises(ValueError):
        ThermometerEncoding.from_dict({"type": "onehot"})
    with pytest.raises(ValueError):
        ThermometerEncoding.from_dict({**enc.to_dict(), "width": 5})
    with pytest.raises(ValueError):
        enc.encode(np.zeros((3, 63)))


def test_digits_split_is_fixed():
    a, b = load_split(DIGITS_SPLIT), load_split(DIGITS_SPLIT)
    assert a["x_test"].shape == (360, 64) and a["x_train"].shape == (1437, 64)
    assert np.array_equal(a["y_test"], b["y_test"])
    assert np.bincount(a["y_test"]).min() >= 35  # stratified
    with pytest.raises(ValueError):
        load_split({"name": "mnist"})
