"""Where the crawl stage gets a file's bytes, and what identifies their version.

The crawl stage never opens a path itself: it asks an :class:`EntryReader`. A work-tree
scan reads through :func:`modelbom.walk.read_bytes`, which any process can call, so
worker processes read the files they crawl. A reader that only works in the process
that made it (one long-lived ``git cat-file --batch`` process serving the blobs of a
revision) says so with ``workers_can_read = False``, and the files are then crawled in
the main process, one after another.

:meth:`EntryReader.content_key` names the version of a file's bytes for the per-file
result cache: a git blob id says it exactly; in a work tree the stat that listed the
file does, as git's own index uses it: device, inode, size, modification and change
time. A file whose times are not older than the scan's start minus a margin is *racy*
(it may change again within the same clock tick without its stat changing) and gets no
key, so it is crawled and its result is not stored. The change time cannot be set back
by a program, so every later write to a file that had a key gives it a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from modelbom.walk import Entry, FileEntry, read_bytes

# How much older than the scan a file's times must be for its stat to be trusted: more
# than the coarsest timestamp granularity of common file systems (FAT: 2 s).
RACY_MARGIN_NS = 3_000_000_000


class EntryReader(Protocol):
    """Reads the listed files of one scan for the crawlers."""

    @property
    def workers_can_read(self) -> bool:
        """Whether another process may call :meth:`read` on a copy of this reader."""
        ...

    def read(self, entry: Entry, limit: int, *, prefix: bool) -> bytes:
        """The bytes of *entry*, like :func:`modelbom.walk.read_bytes`; raises ``ReadError``."""
        ...

    def content_key(self, entry: Entry) -> str | None:
        """What names this version of *entry*'s bytes; None when nothing safely does."""
        ...


@dataclass(frozen=True, slots=True)
class WorkTreeReader:
    """The files of a work tree or folder, read by any process through the walker.

    *started_ns* is the scan's start (``time.time_ns()``), for the racy-file rule.
    """

    started_ns: int
    workers_can_read: ClassVar[bool] = True

    def read(self, entry: Entry, limit: int, *, prefix: bool) -> bytes:
        """The bytes of *entry* through :func:`modelbom.walk.read_bytes`."""
        if not isinstance(entry, FileEntry):
            raise TypeError(f"a work tree has no blob entries: {entry.path}")
        return read_bytes(entry, limit, prefix=prefix)

    def content_key(self, entry: Entry) -> str | None:
        """The stat key of *entry*, unless its stat is unknown or too recent to trust."""
        if not isinstance(entry, FileEntry) or not entry.ctime_ns:
            return None
        if max(entry.mtime_ns, entry.ctime_ns) >= self.started_ns - RACY_MARGIN_NS:
            return None
        return f"stat:{entry.device}:{entry.inode}:{entry.size}:{entry.mtime_ns}:{entry.ctime_ns}"


class _Reads(Protocol):
    """A source of a scan's files that reads its own entries."""

    def read(self, entry: Any, limit: int, *, prefix: bool = False) -> bytes:
        """The bytes of *entry*, as :func:`modelbom.walk.read_bytes` reads a file."""
        ...


@dataclass(frozen=True, slots=True)
class SourceReader:
    """The entries of a source only the main process can read (the blobs of a revision,
    served by one ``git cat-file --batch`` process): the crawl stays in the main
    process, and an entry with a blob id (``entry.blob``) is keyed by it."""

    source: _Reads
    workers_can_read: ClassVar[bool] = False

    def read(self, entry: Entry, limit: int, *, prefix: bool) -> bytes:
        """The bytes of *entry*, read by the source."""
        return self.source.read(entry, limit, prefix=prefix)

    def content_key(self, entry: Entry) -> str | None:
        """``blob:<id>`` for an entry with a git blob id, else None (no caching)."""
        blob = getattr(entry, "blob", None)
        return f"blob:{blob}" if isinstance(blob, str) and blob else None
