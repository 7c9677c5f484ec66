"""modelbom: an AI bill-of-materials scanner for code repositories.

The public API is small: build :class:`ScanOptions`, call :func:`scan`, and hand the
resulting :class:`ScanResult` to an emitter from :mod:`modelbom.emit`.

The names are imported on first use, so that ``import modelbom`` (which the command line
does before anything else) is instant and a Ctrl-C while the command starts is handled
like one at any other time.
"""

# No ``from __future__`` import here: it is a real import, and it would run first.
import os as _os
import sys as _sys

# ``python -m modelbom`` puts the working directory first on sys.path. When that is the
# repository being scanned, its ``yaml.py`` or ``git/`` would be imported in place of
# modelbom's own dependencies and run. Drop it before anything else is imported (``os``
# and ``sys`` are loaded by the interpreter at start-up; the ``modelbom`` command adds no
# such entry, and neither does ``python -P``).
if _sys.argv[:1] == ["-m"] and not _sys.flags.safe_path and _sys.path[:1] == [_os.getcwd()]:
    del _sys.path[0]

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from modelbom.engine import scan
    from modelbom.model import ScanResult
    from modelbom.options import ScanOptions

__all__ = ["ScanOptions", "ScanResult", "__version__", "scan"]


def __getattr__(name: str) -> Any:
    """The public API, imported on first use: ``python -m modelbom --version`` and the
    command line's usage errors do not pay for the engine and its crawlers."""
    if name == "scan":
        from modelbom.engine import scan

        return scan
    if name == "ScanResult":
        from modelbom.model import ScanResult

        return ScanResult
    if name == "ScanOptions":
        from modelbom.options import ScanOptions

        return ScanOptions
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
