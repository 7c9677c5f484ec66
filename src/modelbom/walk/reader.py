"""Read the bytes of a walked file, safely and within a size limit.

Crawlers never open paths themselves: they call :func:`read_bytes` on a
:class:`~modelbom.walk.walker.FileEntry`. The file is opened without following a
symlink, without blocking and without becoming a controlling terminal, and anything
that is not a regular file by the time it is opened is refused.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import TYPE_CHECKING

from modelbom.errors import ModelbomError

if TYPE_CHECKING:
    from modelbom.walk.walker import FileEntry

_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NOCTTY
_CHUNK = 1024 * 1024


class ReadError(ModelbomError):
    """A file could not be read; ``str(error)`` is the human reason (e.g. "permission denied")."""


def read_bytes(entry: FileEntry, limit: int, *, prefix: bool = False) -> bytes:
    """Return the content of *entry*, at most *limit* bytes.

    In whole mode (the default) a file larger than *limit* raises :class:`ReadError`
    ("file too large: ..."); with ``prefix=True`` the first *limit* bytes are returned.
    Every failure is a :class:`ReadError` whose message is the reason.
    """
    return read_path(entry.fs_path, limit, prefix=prefix)


def read_path(path: str | os.PathLike[str], limit: int, *, prefix: bool = False) -> bytes:
    """Like :func:`read_bytes`, for a path the walker itself has to read (``.gitignore``)."""
    if limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise ReadError(read_error_reason(exc)) from exc
    try:
        return _read_fd(fd, limit, prefix=prefix)
    except OSError as exc:
        raise ReadError(read_error_reason(exc)) from exc
    finally:
        os.close(fd)


def _too_large(size: int, limit: int) -> ReadError:
    return ReadError(f"file too large: {size} bytes (limit {limit})")


def _read_fd(fd: int, limit: int, *, prefix: bool) -> bytes:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise ReadError("not a regular file")
    if not prefix and info.st_size > limit:
        raise _too_large(info.st_size, limit)
    # Whole mode reads one byte more than allowed to notice a file that grew.
    wanted = limit if prefix else limit + 1
    chunks: list[bytes] = []
    total = 0
    while total < wanted:
        chunk = os.read(fd, min(wanted - total, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if not prefix and total > limit:
        raise _too_large(max(total, os.fstat(fd).st_size), limit)
    return b"".join(chunks)


def read_error_reason(exc: OSError) -> str:
    """Map an :class:`OSError` raised while opening or reading a file to a human reason."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "file disappeared during the scan"
    if exc.errno == errno.ELOOP:
        return "symlink appeared during the scan"
    return os_error_reason(exc)


def os_error_reason(exc: OSError) -> str:
    """Map an :class:`OSError` to a short human reason (no path, so nothing to redact)."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if exc.errno == errno.ENAMETOOLONG:
        return "file name too long"
    if exc.strerror:
        return exc.strerror
    return type(exc).__name__
