"""The crawler interface: a crawler says which files it wants and turns bytes into findings.

A crawler never opens a path, walks a directory or touches the network. The engine asks
:meth:`Crawler.wants` with the path and size only, reads at most :attr:`Crawler.max_bytes`
through the walker's bounded reader, and calls :meth:`Crawler.crawl` inside a guard: a
:class:`CrawlError` becomes an Unknown with its message as the reason, and any other
exception becomes an Unknown naming the crawler, so one bad file never stops a scan.

Where each method runs. :meth:`Crawler.wants` runs in the main process, for every listed
file, in walk order. :meth:`Crawler.crawl` may run in a worker process, or not at all when
the per-file result cache already holds what it returned for the same bytes, so a
crawler keeps nothing in its own attributes between files. What :meth:`Crawler.finish`
needs from earlier files (names a module exports, folders that hold a pipeline) is
recorded with :meth:`Crawler.note`: small JSON data (dicts, lists, strings, numbers,
booleans, None) about the file being crawled. The engine takes each file's notes where
the file was crawled, stores them in the cache with its findings, and hands them to the
main-process instance before :meth:`Crawler.finish`, which reads them with
:meth:`Crawler.notes`. The protocol of one scan is therefore::

    wants (every file) -> crawl (wanted files, anywhere) -> notes to the main instance
    -> [revisit -> crawl(revisit=True) -> notes]* -> finish

A crawler whose prefilter skipped work that :meth:`Crawler.finish` may still need (the
Python crawler does not analyse modules without any load call, yet a constant one of them
exports may be imported elsewhere) names those files in :meth:`Crawler.revisit`; the
engine crawls them once more with ``FileInput.revisit`` set, and asks again until no new
file is named.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, ClassVar

from modelbom.errors import ModelbomError
from modelbom.model import Finding, Scope

# A note: a JSON object recorded about one file for :meth:`Crawler.finish`.
Note = dict[str, Any]


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
    # A second look asked for by Crawler.revisit(): no prefilter may skip the file now.
    revisit: bool = False

    @property
    def pure_path(self) -> PurePosixPath:
        """The relative path as a :class:`PurePosixPath`."""
        return PurePosixPath(self.path)


class Crawler(ABC):
    """One crawler per source kind (Python, notebooks, configs, model files, ...)."""

    name: ClassVar[str]
    # Part of the per-file result cache's key: raise it whenever what crawl() returns or
    # notes for the same bytes may change, so no result of the old code is reused.
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
        """Whether this crawler wants the file; decided from path and size alone.

        Runs in the main process for every listed file of the scan, so a crawler may
        remember what a path alone tells (the license-files crawler notes where weight
        files are) without reading anything.
        """

    def wants_content(self, path: PurePosixPath, size: int, head: bytes) -> bool:
        """Whether this crawler wants a file no crawler wanted by path, from its first bytes.

        Only asked when :attr:`sniff_bytes` is set; *head* holds at most that many bytes.
        May run in a worker process: it must not change the crawler's state.
        """
        return False

    @abstractmethod
    def crawl(self, file: FileInput) -> Iterable[Finding]:
        """Turn one file's bytes into findings. Raise :class:`CrawlError` on bad input.

        May run in a worker process, or be skipped when the cache knows the answer: what
        :meth:`finish` needs goes through :meth:`note`, never into other attributes.
        """

    def finish(self) -> Iterable[Finding]:
        """Findings that need every file seen first (names imported across modules).

        Called once after the last :meth:`crawl` of a scan, in the main process, with the
        notes of every file restored (:meth:`notes`); a crawler instance serves one scan
        only. The default has nothing to add.
        """
        return ()

    def revisit(self) -> Iterable[str]:
        """Paths of files this crawler wanted, skipped by a prefilter, and needs after all.

        Asked in the main process after every file's notes are restored, and again after
        each round of revisits until it names no new file. Each named file is crawled once
        more with ``FileInput.revisit`` set. The default needs nothing.
        """
        return ()

    # -- notes: what finish() needs from earlier files, as plain JSON data -----------------

    def note(self, path: str, note: Note) -> None:
        """Record *note* about the file at *path* (the file being crawled) for :meth:`finish`.

        *note* must be JSON (dicts, lists, strings, numbers, booleans, None): it travels
        between processes and into the per-file result cache. Strings in it pass through
        the redaction of secrets on the way, so a note never carries a token. Notes are
        read-only once recorded: files with equal notes may share one object.
        """
        self._notebook().setdefault(path, []).append(note)
        self._changed()

    def notes(self) -> list[tuple[str, Note]]:
        """Every note of this scan as ``(path, note)``, by path, in recorded order per file."""
        state = self._state()
        if state.get("sorted_at") != state["changes"]:
            book = self._notebook()
            state["sorted"] = [(path, note) for path in sorted(book) for note in book[path]]
            state["sorted_at"] = state["changes"]
        listed: list[tuple[str, Note]] = state["sorted"]
        return listed

    def notes_changes(self) -> int:
        """How often the notes changed so far: equal counts mean equal :meth:`notes`."""
        changes: int = self._state()["changes"]
        return changes

    def take_notes(self, path: str) -> list[Note]:
        """Remove and return the notes recorded about *path* (the engine, after a crawl)."""
        taken = self._notebook().pop(path, [])
        if taken:
            self._changed()
        return taken

    def take_all_notes(self) -> dict[str, list[Note]]:
        """Remove and return every note recorded so far, by path (the engine, after the
        ``wants()`` of a scan: notes a crawler records there travel with each file)."""
        book = self._notebook()
        taken = dict(book)
        book.clear()
        self._changed()
        return taken

    def add_notes(self, path: str, notes: Sequence[Note]) -> None:
        """Restore notes taken elsewhere (a worker process, the cache) about *path*."""
        if notes:
            self._notebook().setdefault(path, []).extend(notes)
            self._changed()

    def _state(self) -> dict[str, Any]:
        # Created on first use, so subclasses need not call ``super().__init__()``.
        state: dict[str, Any] | None = self.__dict__.get("_crawler_notes")
        if state is None:
            state = {"book": {}, "changes": 0}
            self.__dict__["_crawler_notes"] = state
        return state

    def _notebook(self) -> dict[str, list[Note]]:
        book: dict[str, list[Note]] = self._state()["book"]
        return book

    def _changed(self) -> None:
        self._state()["changes"] += 1


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
