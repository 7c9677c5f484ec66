"""Crawlers: one module per source kind, each turning file bytes into findings."""

from __future__ import annotations

from modelbom.crawlers.base import Crawler, CrawlError, FileInput, scope_of_path
from modelbom.crawlers.python import PythonCrawler

__all__ = [
    "CrawlError",
    "Crawler",
    "FileInput",
    "PythonCrawler",
    "default_crawlers",
    "scope_of_path",
]


def default_crawlers() -> list[Crawler]:
    """Every crawler modelbom runs by default, in a fixed order."""
    return [PythonCrawler()]
