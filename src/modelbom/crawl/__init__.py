"""The crawl stage: files to crawlers, in worker processes, with a per-file result cache.

:func:`crawl_files` runs the stage (see :mod:`modelbom.crawl.stage`); an
:class:`EntryReader` says where bytes come from (:class:`WorkTreeReader` for a work tree
or folder); :class:`FileCache` keeps each file's result across scans.
"""

from __future__ import annotations

from modelbom.crawl.cache import FileCache
from modelbom.crawl.reader import EntryReader, SourceReader, WorkTreeReader
from modelbom.crawl.stage import CrawlOutcome, crawl_files

__all__ = [
    "CrawlOutcome",
    "EntryReader",
    "FileCache",
    "SourceReader",
    "WorkTreeReader",
    "crawl_files",
]
