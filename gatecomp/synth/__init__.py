"""Logic generators shared by the frontends and the FPGA backends.

``arith``: adders, compressor-tree popcounts and column sums, constant comparators, argmax;
``truth_synth``: small truth tables to minimal logic (ISOP, exact and decomposition).
Frontends lower networks with these; :mod:`gatecomp.fpga` rebuilds popcounts from them.
"""
