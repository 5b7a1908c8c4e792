"""torchlogix's own AIG export of one pickled model, under Python 3.12, for bench/torchlogix.py.

torchlogix 0.2.2's ``Circuit`` exporter needs Python 3.12 (its f-strings), so
``bench/torchlogix.py`` runs this file in a 3.12 interpreter with torch, numpy and torchlogix
installed, one fresh process per model:

    python3.12 bench/torchlogix_export.py MODEL.pt C,H,W OUT.aig RESULT.json

It loads the whole pickled model (``torch.load(weights_only=False)``: the bench's own files),
calls ``Circuit.from_model(model, input_shape)`` (which sets torchlogix's export mode itself)
and ``circuit.write_to_aiger_file(OUT.aig)``, and writes RESULT.json: ``ok``, the export's wall
seconds (``from_model`` + ``write_to_aiger_file``, not the imports or the load), the process'
peak RSS, torchlogix's own gate and sum-node counts, and on failure the exception's type and
first line. The exit status is 0 either way; RESULT.json says what happened.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import traceback

# this file's folder leaves sys.path: bench/torchlogix.py would shadow the torchlogix package
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    model_path, shape_text, aig_path, result_path = argv
    shape = [int(s) for s in shape_text.split(",")]
    result: dict = {"ok": False, "python": sys.version.split()[0]}
    try:
        import torch
        import torchlogix
        from torchlogix.circuit import Circuit

        result["torch"] = torch.__version__
        result["torchlogix"] = getattr(torchlogix, "__version__", None)
        model = torch.load(model_path, weights_only=False)
        t0 = time.perf_counter()
        circuit = Circuit.from_model(model, shape)
        result["from_model_s"] = time.perf_counter() - t0
        result["gates"] = len(circuit.gates)
        result["sum_nodes"] = len(circuit.sum_nodes)
        circuit.write_to_aiger_file(aig_path)
        result["export_s"] = time.perf_counter() - t0
        result["ok"] = True
    except BaseException as exc:  # noqa: BLE001 - every failure is a result to report
        text = str(exc).strip().splitlines()
        result["error"] = f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")
        result["traceback"] = traceback.format_exc()[-3000:]
    result["peak_mb"] = _peak_mb()
    with open(result_path, "w") as f:
        json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
