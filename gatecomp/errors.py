"""The exceptions users see: one-line messages for bad input, and a report line for bugs.

:class:`GatecompError` is bad input or a check the user's model fails: the CLI prints it as one
line and exits 1. :class:`InternalError` is a broken invariant of gatecomp itself (a pass that
changed a function, a lowering that disagrees with its reference): the CLI says it is a bug,
exits 2, and shows the traceback under ``--debug``, so the cause is not lost.
"""


class GatecompError(Exception):
    """Bad input or a failed check, explained in one line (the CLI prints it and exits 1)."""


class UnknownFormatError(GatecompError):
    """A frontend does not recognise the file; the registry then asks the next frontend."""


class InternalError(Exception):
    """A bug in gatecomp: an invariant that held for the input broke inside the compiler."""
