"""ASIC estimate (``gatecomp compile --asic [LIB]``): the build's RTL mapped onto a real
standard-cell library and timed statically, beside the FPGA figures.

``library`` reads the Liberty file (OSU018 from Debian's ``qflow-tech-osu018`` by default) and
decides its area unit, ``synth`` maps with Yosys + ABC, ``timing`` runs OpenSTA, ``stage`` is
the compile stage that yields ``report.json["asic"]`` and ``asic/``; ``tools`` finds the native
executables (the yowasp wheel prints none of ABC's timing).
"""

from .stage import AsicBuild, asic_stage, prepare

__all__ = ["AsicBuild", "asic_stage", "prepare"]
