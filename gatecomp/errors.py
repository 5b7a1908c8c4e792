"""The one exception type users see: a one-line message, printed by the CLI without a traceback."""


class GatecompError(Exception):
    """Bad input or a failed check, explained in one line (the CLI prints it and exits 1)."""
