"""bench/compile_speed.py's synthetic DLGNs: gate choices follow the mix they are given.

``bench/fpga.py --gate-mix trained`` draws a synthetic net's gates with a trained net's
per-layer frequencies; a mix that is not honoured would make that benchmark measure another net.
"""

from __future__ import annotations

import pytest

from gatecomp.cli import BUNDLED_EXAMPLE
from tests.bench_modules import load_bench


@pytest.fixture(scope="module")
def bench():
    return load_bench("compile_speed")


def test_a_one_function_mix_gives_only_that_function(bench, tmp_path):
    only_xor = [[0] * 6 + [1] + [0] * 9]
    bench.make_synthetic(tmp_path / "x.pt", 1200, gate_mix=only_xor)
    counts = bench.trained_gate_mix(tmp_path / "x.pt")
    assert counts == [[0] * 6 + [300] + [0] * 9] * 4


def test_the_digits_mix_is_followed_per_layer(bench, tmp_path):
    mix = bench.trained_gate_mix(BUNDLED_EXAMPLE)
    assert len(mix) == 4 and sum(mix[3]) == 1000
    bench.make_synthetic(tmp_path / "t.pt", 8000, gate_mix=mix)
    drawn = bench.trained_gate_mix(tmp_path / "t.pt")
    for want, got in zip(mix, drawn, strict=True):
        assert sum(got) == 2000
        assert all(g == 0 for w, g in zip(want, got, strict=True) if w == 0)
        # the most frequent trained function is among the three most drawn ones
        top = sorted(range(16), key=lambda f: -got[f])[:3]
        assert max(range(16), key=lambda f: want[f]) in top


def test_uniform_nets_use_every_function(bench, tmp_path):
    bench.make_synthetic(tmp_path / "u.pt", 4000)
    assert all(c > 0 for layer in bench.trained_gate_mix(tmp_path / "u.pt") for c in layer)
