"""Write output files atomically: the whole document, or nothing at all.

The bytes go to a temporary file in the target's directory, are flushed to disk, and
replace the target with one rename. An interrupted or failed write leaves any earlier
file at the target untouched and no partial file behind.

A process killed outright (``kill -9``, a power cut) between creating the temporary file
and the rename cannot clean up after itself. Its temporary file is named so that a later
run can tell it apart: ``.<target name>.<random>.<host>-<pid>.modelbom-tmp``, where
*host* is a short hash of the host name and *pid* the writer's process id.
:func:`remove_stale_temporaries` removes such files from a target's directory when they
match that pattern exactly, are regular files owned by the current user, were written on
this host, and their process no longer runs. Nothing else is ever removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import socket
import stat
import sys
import tempfile
from functools import cache
from pathlib import Path

from modelbom.errors import OutputError
from modelbom.model.text import display_text

log = logging.getLogger("modelbom.output")

TEMP_SUFFIX = ".modelbom-tmp"
_TEMP_NAME = re.compile(
    r"^\..+\.[a-z0-9_]{8}\.(?P<host>[0-9a-f]{8})-(?P<pid>[1-9][0-9]{0,9})"
    + re.escape(TEMP_SUFFIX)
    + r"$"
)
_MAX_NAME_IN_TEMP = 100  # of the target's name, so the temporary name fits NAME_MAX


def write_output(target: str | None, data: bytes) -> None:
    """Write *data* to *target*, or to standard output when *target* is ``None`` or ``-``."""
    if target is None or target == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_atomic(Path(target), data)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@cache
def _host_tag() -> str:
    """Eight hex digits naming this host (a hash: the host name itself is not written)."""
    name = socket.gethostname().encode("utf-8", "surrogateescape")
    return hashlib.sha256(name).hexdigest()[:8]


def temporary_name_parts(path: Path) -> tuple[str, str]:
    """The ``(prefix, suffix)`` of this process's temporary files for *path*."""
    return f".{path.name[:_MAX_NAME_IN_TEMP]}.", f".{_host_tag()}-{os.getpid()}{TEMP_SUFFIX}"


def _running(pid: int) -> bool:
    """Whether a process with this id exists (a process of another user counts)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, and belongs to someone else
        return True
    return True


def remove_stale_temporaries(target: Path) -> list[str]:
    """Remove the temporary files killed modelbom processes left next to *target*.

    Only in *target*'s own directory, only names of exactly modelbom's pattern, only
    regular files owned by the current user, written on this host by a process that no
    longer runs. Returns the names removed; a directory that cannot be listed is left
    alone.
    """
    directory = target.parent if str(target.parent) else Path(".")
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    uid = os.getuid() if hasattr(os, "getuid") else None
    removed: list[str] = []
    for name in sorted(names):
        match = _TEMP_NAME.match(name)
        if match is None or match["host"] != _host_tag() or _running(int(match["pid"])):
            continue
        path = directory / name
        try:
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode) or (uid is not None and info.st_uid != uid):
                continue
            os.unlink(path)
        except OSError:
            continue
        log.info(
            "removed %s, left by modelbom process %s that no longer runs",
            display_text(str(path)),
            match["pid"],
        )
        removed.append(name)
    return removed


def write_atomic(path: Path, data: bytes) -> None:
    """Replace *path* with *data* in one rename; raise :class:`OutputError` on failure."""
    directory = path.parent if str(path.parent) else Path(".")
    shown = display_text(str(path))
    if not directory.is_dir():
        raise OutputError(
            f"cannot write {shown}: directory {display_text(str(directory))} does not exist"
        )
    if path.is_dir():
        raise OutputError(f"cannot write {shown}: it is a directory")
    if path.exists() and not path.is_file():
        # /dev/null, /dev/stdout, a named pipe: not a file to replace, write straight in.
        try:
            with path.open("wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from None
        return
    tmp_name: str | None = None
    prefix, suffix = temporary_name_parts(path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o666 & ~_umask())
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
