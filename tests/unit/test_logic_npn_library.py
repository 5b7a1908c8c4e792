"""NPN canonical forms and the shipped 4-input rewriting library (checked by simulation)."""

from __future__ import annotations

import numpy as np

from gatecomp.logic.npn import NUM_CLASSES_4, npn_canon, npn_table, transform_truth
from gatecomp.passes.rewrite_library import (
    isop_size,
    load_library,
    structure_truth,
)

AND2 = 0xAAAA & 0xCCCC
XOR2 = 0xAAAA ^ 0xCCCC
MUX = (0xAAAA & 0xF0F0) | (0xCCCC & ~0xF0F0 & 0xFFFF)  # x2 ? x0 : x1
MAJ3 = (0xAAAA & 0xCCCC) | (0xAAAA & 0xF0F0) | (0xCCCC & 0xF0F0)
XOR3 = 0xAAAA ^ 0xCCCC ^ 0xF0F0


def _brute_rep(f: int) -> int:
    """Smallest member of f's class by explicit enumeration of all 768 transforms."""
    best = 1 << 16
    from itertools import permutations
    for perm in permutations(range(4)):
        for neg in range(16):
            g = 0
            for m in range(16):
                x = sum((((m >> perm[i]) & 1) ^ ((neg >> i) & 1)) << i for i in range(4))
                g |= ((f >> x) & 1) << m
            best = min(best, g, g ^ 0xFFFF)
    return best


def test_222_classes_and_transforms_are_consistent():
    reps, class_of, _, _, _ = npn_table()
    assert len(reps) == NUM_CLASSES_4 == 222
    assert np.all(reps[class_of] <= np.arange(65536))  # the rep is the smallest member
    rng = np.random.default_rng(0)
    for f in rng.integers(0, 65536, 300).tolist():
        rep, perm, neg, out = npn_canon(f)
        assert transform_truth(f, perm, neg, out) == rep
    for f in rng.integers(0, 65536, 20).tolist():
        assert npn_canon(f)[0] == _brute_rep(f)


def test_library_has_every_class_and_each_structure_computes_it():
    lib = load_library()
    reps = npn_table()[0]
    assert len(lib.reps) == 222
    assert np.array_equal(lib.reps, reps)
    for c in range(222):
        rows, root = lib.structure(c)
        assert len(rows) == lib.size[c]
        assert structure_truth(rows, root) == int(lib.reps[c]), f"class {c}"
        # rows only reference inputs, constants and earlier ANDs
        assert np.all(rows < 10 + 2 * np.arange(len(rows))[:, None])


def test_library_is_never_worse_than_factored_isop():
    lib = load_library()
    for c in range(222):
        assert lib.size[c] <= isop_size(int(lib.reps[c])), f"class {c}"
    assert np.all(lib.lower <= lib.size)
    assert np.array_equal(lib.proven, lib.lower == lib.size)
    assert lib.proven.sum() >= 180  # exhaustive enumeration through 8 ANDs


def test_known_minimum_sizes():
    lib = load_library()
    reps = npn_table()[0]
    _, class_of, _, _, _ = npn_table()
    expected = {AND2: 1, XOR2: 3, MUX: 3, MAJ3: 4, XOR3: 6, 0: 0, 0xAAAA: 0}
    for f, size in expected.items():
        c = int(class_of[f])
        assert lib.size[c] == size, hex(f)
        assert lib.proven[c]
    assert int(reps[class_of[XOR2]]) == int(reps[class_of[XOR2 ^ 0xFFFF]])
