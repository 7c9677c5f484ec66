"""The walker: the only code that touches the scanned repository's file system or runs git.

:func:`walk` lists the regular files of a scan root (through git in a work tree, by
walking the file system otherwise); :func:`read_bytes` reads one of them, safely and
within a size limit. Crawlers get bytes, never paths.
"""

from __future__ import annotations

from modelbom.walk.gitinfo import GitInfo
from modelbom.walk.reader import ReadError, read_bytes
from modelbom.walk.walker import (
    DEFAULT_SKIP_DIRS,
    FileEntry,
    WalkOptions,
    WalkResult,
    walk,
)

__all__ = [
    "DEFAULT_SKIP_DIRS",
    "FileEntry",
    "GitInfo",
    "ReadError",
    "WalkOptions",
    "WalkResult",
    "read_bytes",
    "walk",
]
