"""modelbom: an AI bill-of-materials scanner for code repositories.

The public API is small: build :class:`ScanOptions`, call :func:`scan`, and hand the
resulting :class:`ScanResult` to an emitter from :mod:`modelbom.emit`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from modelbom.engine import scan
from modelbom.model import ScanResult
from modelbom.options import ScanOptions

__all__ = ["ScanOptions", "ScanResult", "__version__", "scan"]
