"""Engines the passes and the verifier share, none of them a pass itself.

``cnf`` and ``sat_sweep`` (SAT encodings and SAT sweeping), ``npn`` (canonical forms of small
functions), ``truth_tables`` (64-bit cut truth tables), ``factor`` (algebraic factoring of
covers), ``window`` (reconvergence-bounded windows) and ``dag_edit`` (in-place AIG rewriting
with reference counts).
"""
