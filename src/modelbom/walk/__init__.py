"""The walker: the only code that touches the scanned repository's file system or runs git.

:func:`open_source` lists the regular files of a scan root (through git in a work tree,
by walking the file system otherwise, or from the object database for a git revision)
and reads each of them, safely and within a size limit (:meth:`Source.read`);
:func:`walk` and :func:`read_bytes` do the same for a work tree alone. Crawlers get
bytes, never paths.
"""

from __future__ import annotations

from modelbom.walk.gitinfo import GitInfo
from modelbom.walk.gitrev import BlobEntry, BlobReader, Revision, RevisionError
from modelbom.walk.reader import ReadError, read_bytes
from modelbom.walk.source import (
    Entry,
    RevisionFile,
    RevisionSource,
    Source,
    WorkTreeSource,
    open_source,
    read_revision_files,
)
from modelbom.walk.walker import (
    DEFAULT_SKIP_DIRS,
    FileEntry,
    WalkOptions,
    WalkResult,
    walk,
)

__all__ = [
    "DEFAULT_SKIP_DIRS",
    "BlobEntry",
    "BlobReader",
    "Entry",
    "FileEntry",
    "GitInfo",
    "ReadError",
    "Revision",
    "RevisionError",
    "RevisionFile",
    "RevisionSource",
    "Source",
    "WalkOptions",
    "WalkResult",
    "WorkTreeSource",
    "open_source",
    "read_bytes",
    "read_revision_files",
    "walk",
]
