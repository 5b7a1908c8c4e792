"""Shared fixtures: small random AIGs built through the builder."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import pytest

from gatecomp.aig import AIG, AIGBuilder, check_aig, depth, read_aiger, simulate_words
from gatecomp.frontends.dlgn import difflogic_shim
from gatecomp.toolchain import find_abc

#: the EPFL benchmark AIGs in ../shared beside the repository (present in CI and dev checkouts)
EPFL = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "epfl"

needs_abc = pytest.mark.skipif(find_abc() is None, reason="ABC (berkeley-abc) not installed")


def epfl(name: str) -> AIG:
    """An EPFL benchmark circuit, or skip the test where the benchmarks are not beside us."""
    path = EPFL / f"{name}.aig"
    if not path.exists():
        pytest.skip(f"EPFL benchmark {path} not available")
    return read_aiger(path)


def assert_same_function(a: AIG, b: AIG, words: np.ndarray) -> None:
    """``a`` and ``b`` agree on every packed input pattern in ``words``."""
    assert np.array_equal(simulate_words(a, words), simulate_words(b, words))


def random_aig(num_inputs: int, num_gates: int, num_outputs: int, seed: int = 0) -> AIG:
    """A random AIG with redundancy (constants, duplicates, dead gates) for passes to remove."""
    rng = np.random.default_rng(seed)
    b = AIGBuilder(num_inputs)
    pool = [0, 1, *b.inputs().tolist()]
    for _ in range(num_gates):
        x, y = rng.choice(len(pool), size=2)
        lx, ly = pool[x] ^ int(rng.integers(2)), pool[y] ^ int(rng.integers(2))
        kind = rng.integers(3)
        g = b.add_and(lx, ly) if kind == 0 else b.add_or(lx, ly) if kind == 1 else b.add_xor(lx, ly)
        pool.append(g)
    outs = [pool[-1 - int(k)] ^ int(rng.integers(2)) for k in rng.choice(num_gates, num_outputs)]
    return b.build(outs)


@pytest.fixture
def small_aig() -> AIG:
    return random_aig(8, 120, 6, seed=1)


def assert_local_pass_contract(aig: AIG, out: AIG, stats, params, words: np.ndarray) -> None:
    """What rewrite, refactor and resub promise on any input: a valid graph with the same
    function on ``words``, never more ANDs than the cleaned-up input (unless ``zero_gain``),
    never deeper (with ``preserve_levels``), and stats that describe the result."""
    from gatecomp.passes import cleanup

    check_aig(out)
    assert_same_function(aig, out, words)
    clean, _ = cleanup(aig)
    if not params.zero_gain:
        assert out.num_ands <= clean.num_ands
    if params.preserve_levels:
        assert depth(out) <= depth(clean)
    assert stats.ands_after == out.num_ands


@pytest.fixture
def difflogic_module(monkeypatch):
    """Classes named exactly like difflogic's, registered under difflogic's module names."""
    pkg, mod = types.ModuleType("difflogic"), types.ModuleType("difflogic.difflogic")
    classes = {}
    for base in (difflogic_shim.LogicLayer, difflogic_shim.GroupSum):
        cls = type(base.__name__, (base,), {"__module__": "difflogic.difflogic"})
        setattr(mod, cls.__name__, cls)
        classes[cls.__name__] = cls
    pkg.difflogic = mod
    monkeypatch.setitem(sys.modules, "difflogic", pkg)
    monkeypatch.setitem(sys.modules, "difflogic.difflogic", mod)
    return classes
