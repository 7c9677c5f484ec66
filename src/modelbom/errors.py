"""The root of modelbom's exceptions.

Each extension point declares its own root next to its interface (``CrawlError`` in
:mod:`modelbom.crawlers.base`, ``ResolverError`` in :mod:`modelbom.resolvers.base`,
``EmitError`` in :mod:`modelbom.emit.base`); all of them derive from
:class:`ModelbomError`. The CLI turns a ``UsageError`` into exit code 2 and any other
``ModelbomError`` into a clear message, never a traceback.
"""

from __future__ import annotations


class ModelbomError(Exception):
    """Root of every error modelbom raises on purpose."""


class UsageError(ModelbomError):
    """The user asked for something that cannot be done (bad path, bad option value)."""


class OutputError(ModelbomError):
    """An output file could not be written."""
