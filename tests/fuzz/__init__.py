"""Fuzzing: random networks from every frontend, random AIGs and random pass scripts.

One case is ``(kind, seed)``: :data:`tests.fuzz.cases.KINDS` maps each kind to a function that
builds a random instance from ``numpy.random.default_rng(seed)``, runs it through its pipeline
(lower / optimize / prove, or the whole compile) and asserts bit-exact equivalence with the
reference. ``python -m tests.fuzz N SEED`` runs N cases (``make fuzz``); ``test_quick.py`` is
the slice ``make test`` runs; ``test_regressions.py`` keeps every minimised bug found.
"""
