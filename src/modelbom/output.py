"""Write output files atomically: the whole document, or nothing at all.

The bytes go to a temporary file in the target's directory, are flushed to disk, and
replace the target with one rename. An interrupted or failed write leaves any earlier
file at the target untouched and no partial file behind.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

from modelbom.errors import OutputError
from modelbom.model.text import display_text


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
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
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
