"""gatecomp: compile trained logic-gate networks to verified hardware.

``gatecomp.compile_model(checkpoint, out_dir)`` is the whole flow from Python; the ``gatecomp``
command line is a thin layer over it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gatecomp")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.1.0"


def compile_model(*args, **kwargs):
    """See :func:`gatecomp.flow.compile_model` (imported lazily: it pulls in torch)."""
    from .flow import compile_model as _compile

    return _compile(*args, **kwargs)


__all__ = ["__version__", "compile_model"]
