"""The crawler interface: a crawler says which files it wants and turns bytes into findings.

A crawler never opens a path, walks a directory or touches the network. The engine asks
:meth:`Crawler.wants` with the path and size only, reads at most :attr:`Crawler.max_bytes`
through the walker's bounded reader, and calls :meth:`Crawler.crawl` inside a guard: a
:class:`CrawlError` becomes an Unknown with its message as the reason, and any other
exception becomes an Unknown naming the crawler, so one bad file never stops a scan.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import ClassVar

from modelbom.errors import ModelbomError
from modelbom.model import Finding, Scope


class CrawlError(ModelbomError):
    """A file could not be parsed; ``str(error)`` is the reason shown to the user."""


class NeedBytes(CrawlError):
    """A ``prefix_only`` crawler needs a longer prefix than the one it was given.

    Raised from :meth:`Crawler.crawl` when ``file.truncated`` and the header declares more
    bytes than the first read holds. The engine reads ``wanted`` bytes (never more than
    :attr:`Crawler.max_bytes`) and calls :meth:`Crawler.crawl` once more; a second request
    is an ordinary :class:`CrawlError`. ``crawl`` must not keep state before raising it.
    """

    def __init__(self, wanted: int, reason: str) -> None:
        super().__init__(reason)
        self.wanted = wanted


@dataclass(frozen=True, slots=True)
class FileInput:
    """What a crawler gets: the file's relative path and its (possibly capped) bytes."""

    path: str
    data: bytes
    size: int
    truncated: bool = False
    # A first, short read of a prefix crawler: raising NeedBytes gets a longer prefix.
    extendable: bool = False

    @property
    def pure_path(self) -> PurePosixPath:
        """The relative path as a :class:`PurePosixPath`."""
        return PurePosixPath(self.path)


class Crawler(ABC):
    """One crawler per source kind (Python, notebooks, configs, model files, ...)."""

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    # Whole files larger than this are not parsed (an Unknown says so) ...
    max_bytes: ClassVar[int] = 2 * 1024 * 1024
    # ... unless the crawler only needs a prefix (headers of weight files). A prefix
    # crawler is first given ``first_read`` bytes (``None``: ``max_bytes``) and may raise
    # :class:`NeedBytes` to get a longer prefix, so small headers cost small reads.
    prefix_only: ClassVar[bool] = False
    first_read: ClassVar[int | None] = None
    # Content sniffing: a file that no crawler wants by its path is offered, by its first
    # ``sniff_bytes`` bytes, to the crawlers that set it (a pickle named ``notes.txt``).
    sniff_bytes: ClassVar[int] = 0

    @abstractmethod
    def wants(self, path: PurePosixPath, size: int) -> bool:
        """Whether this crawler wants the file; decided from path and size alone."""

    def wants_content(self, path: PurePosixPath, size: int, head: bytes) -> bool:
        """Whether this crawler wants a file no crawler wanted by path, from its first bytes.

        Only asked when :attr:`sniff_bytes` is set; *head* holds at most that many bytes.
        """
        return False

    @abstractmethod
    def crawl(self, file: FileInput) -> Iterable[Finding]:
        """Turn one file's bytes into findings. Raise :class:`CrawlError` on bad input."""

    def finish(self) -> Iterable[Finding]:
        """Findings that need every file seen first (names imported across modules).

        Called once after the last :meth:`crawl` of a scan; a crawler instance serves one
        scan only. The default has nothing to add.
        """
        return ()


_TEST_DIRS = frozenset({"test", "tests", "testing", "__tests__", "spec"})
_EXAMPLE_DIRS = frozenset({"example", "examples", "sample", "samples", "demo", "demos"})
_DOCS_DIRS = frozenset({"doc", "docs", "documentation"})


def scope_of_path(path: PurePosixPath) -> Scope:
    """The scope a file's location implies: test, example, docs, or code."""
    parts = [p.lower() for p in path.parts[:-1]]
    name = path.name.lower()
    if (
        any(p in _TEST_DIRS for p in parts)
        or name.startswith("test_")
        or name.endswith(("_test.py", ".test.js", ".test.ts", ".spec.ts", ".spec.js"))
        or name == "conftest.py"
    ):
        return Scope.TEST
    if any(p in _EXAMPLE_DIRS for p in parts):
        return Scope.EXAMPLE
    if any(p in _DOCS_DIRS for p in parts):
        return Scope.DOCS
    return Scope.CODE
