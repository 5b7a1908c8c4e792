"""``python -m gatecomp`` is the ``gatecomp`` command."""

from .cli import main

main()
