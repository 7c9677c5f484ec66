"""modelbom: an AI bill-of-materials scanner for code repositories.

The public API is small: build :class:`ScanOptions`, call :func:`scan`, and hand the
resulting :class:`ScanResult` to an emitter from :mod:`modelbom.emit`.
"""

from __future__ import annotations

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
