"""The one exception type users see: a one-line message, printed by the CLI without a traceback."""


class GatecompError(Exception):
    """Bad input or a failed check, explained in one line (the CLI prints it and exits 1)."""


class UnknownFormatError(GatecompError):
    """A frontend does not recognise the file; the registry then asks the next frontend."""
