"""``gatecomp sweep``: compile one model over a grid of options, as Dask tasks, and find the
Pareto fronts.

``grid`` reads the grid file (one list per ``compile`` option), ``engine`` runs the points on
a local cluster or a scheduler's, ``task`` is one point in a worker, ``cache`` keeps finished
points by content hash, ``table`` writes ``sweep.csv``, ``pareto`` and ``page`` the fronts and
``sweep.html``. Needs ``gatecomp[sweep]`` (``dask[distributed]``) to run points; reading a grid
and writing the table do not.
"""

from .engine import SweepConfig, SweepResult, default_workers, run_sweep
from .grid import Grid, Point, keys_from_command, load_grid, parse_grid

__all__ = ["Grid", "Point", "SweepConfig", "SweepResult", "default_workers", "keys_from_command",
           "load_grid", "parse_grid", "run_sweep"]
