"""FPGA flow: board targets, board/ project files (shell tops, constraints, Makefile), and the
Yosys + nextpnr + packer run with its report (``gatecomp compile --board``, ``gatecomp build``)."""
