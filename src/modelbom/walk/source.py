"""What one scan reads: the listed files of a work tree or of a git revision, and a way to
read each of them.

The engine asks :func:`open_source` for a :class:`Source`, crawls ``source.entries``
and reads each one with ``source.read(entry, limit, prefix=...)``. A work tree's entries
are :class:`~modelbom.walk.walker.FileEntry` (a path to open: they can also be read with
:func:`~modelbom.walk.reader.read_bytes` in another process); a revision's are
:class:`~modelbom.walk.gitrev.BlobEntry` (a blob id, the same for the same content)
and are read only through the source that listed them, which owns one ``git cat-file``
process: close the source (it is a context manager) on every path.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

from modelbom.errors import UsageError
from modelbom.model.text import display_text
from modelbom.model.unknown import Unknown
from modelbom.walk.gitinfo import GitInfo
from modelbom.walk.gitrev import (
    BlobEntry,
    BlobReader,
    Revision,
    RevisionError,
    list_revision,
    resolve_revision,
)
from modelbom.walk.reader import ReadError, read_bytes
from modelbom.walk.walker import FileEntry, WalkOptions, walk

Entry = FileEntry | BlobEntry
SourceMode = Literal["git", "filesystem", "revision"]


class Source(ABC):
    """The files of one scan, sorted by path, what could not be listed, and the reader."""

    entries: tuple[Entry, ...]
    unknowns: tuple[Unknown, ...]  # sorted by Unknown.sort_key()
    git: GitInfo | None  # the commit read (for a revision: the revision's), branch, remote
    revision: str | None  # the revision as the user gave it; None for a work tree
    mode: SourceMode

    @abstractmethod
    def read(self, entry: Entry, limit: int, *, prefix: bool = False) -> bytes:
        """The content of *entry*, at most *limit* bytes, as
        :func:`~modelbom.walk.reader.read_bytes` reads it: a whole file larger than
        *limit* raises :class:`ReadError` ("file too large: ..."), ``prefix=True`` gives
        the first *limit* bytes; every failure is a :class:`ReadError` with the reason."""

    def close(self) -> None:  # noqa: B027  (nothing to release by default)
        """Release what the source holds (a git process); idempotent."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class WorkTreeSource(Source):
    """The files of a folder on disk (through ``git ls-files`` in a work tree)."""

    def __init__(self, root: Path, options: WalkOptions) -> None:
        walked = walk(root, options)
        self.entries = walked.entries
        self.unknowns = walked.unknowns
        self.git = walked.git
        self.revision = None
        self.mode = walked.mode

    def read(self, entry: Entry, limit: int, *, prefix: bool = False) -> bytes:
        if not isinstance(entry, FileEntry):
            raise TypeError(f"not a file of this work tree: {entry.path!r}")
        return read_bytes(entry, limit, prefix=prefix)


class RevisionSource(Source):
    """The files of a git revision, read from the object database (nothing checked out)."""

    def __init__(
        self, root: Path, rev: str, options: WalkOptions, *, only: Collection[str] | None = None
    ) -> None:
        """List revision *rev* of the repository around *root* (only the paths *only*,
        relative to *root*, when given)."""
        resolved, runner = resolve_revision(root, rev)
        self.resolved: Revision = resolved
        self._reader = BlobReader(runner)
        try:
            self.entries, self.unknowns = list_revision(
                resolved, runner, self._reader, options.skip_dirs, only
            )
        except BaseException:
            self._reader.close()
            raise
        info = resolved.info
        self.git = GitInfo(
            commit=resolved.commit,
            branch=None,  # whatever is checked out is not what was scanned
            remote_url=info.remote_url,
            git_dir=info.git_dir,
            work_tree=info.work_tree,
        )
        self.revision = rev
        self.mode = "revision"

    def read(self, entry: Entry, limit: int, *, prefix: bool = False) -> bytes:
        if not isinstance(entry, BlobEntry):
            raise TypeError(f"not a file of this revision: {entry.path!r}")
        return self._reader.read(entry.blob, entry.size, limit, prefix=prefix)

    def close(self) -> None:
        self._reader.close()


def open_source(
    root: Path, options: WalkOptions | None = None, *, rev: str | None = None
) -> Source:
    """The files to scan under *root*: its work tree, or the git revision *rev* of the
    repository around it. Raises :class:`~modelbom.errors.UsageError` when *root* is not
    a directory or the revision cannot be read (:class:`RevisionError`)."""
    options = options or WalkOptions()
    if rev is None:
        return WorkTreeSource(root, options)
    if not options.use_git:
        raise UsageError("a revision is read through git; it cannot be scanned without git")
    return RevisionSource(root, rev, options)


@dataclass(frozen=True, slots=True)
class RevisionFile:
    """A file of a revision: where it is (``<revision>:<path>``) and its content."""

    label: str
    data: bytes


def read_revision_files(
    root: Path, rev: str, names: Collection[str], limit: int
) -> dict[str, RevisionFile]:
    """The files among *names* (paths relative to *root*) that revision *rev* has as
    regular files (or symlinks to one inside *root*), at most *limit* bytes each: the
    scanned repository's own configuration, as it was at that revision."""
    found: dict[str, RevisionFile] = {}
    with RevisionSource(root, rev, WalkOptions(), only=names) as source:
        for entry in source.entries:
            label = source.resolved.label(entry.path)
            try:
                data = source.read(entry, limit)
            except ReadError as exc:
                raise RevisionError(f"{display_text(label)}: cannot read: {exc}") from None
            found[entry.path] = RevisionFile(label=label, data=data)
    return found
