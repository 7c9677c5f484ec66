"""What the test process does, seen through a PEP 578 audit hook.

An audit hook cannot be removed once added, so one is added per test session (the
``audit`` fixture in ``conftest.py``) and it does nothing unless a test records::

    with audit.recording():
        scan(...)
    assert audit.named("pickle.find_class") == []

The hook sees every thread of the process (the resolver pool too). It keeps the events
that can run code, start processes, reach the network or touch files, with their
arguments; ``compile`` is left out because ``ast.parse`` raises it for every file parsed.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Events that mean code ran, a process started, the network was used, or a file opened.
WATCHED = frozenset(
    {
        "pickle.find_class",
        "exec",
        "marshal.loads",
        "marshal.load",
        "import",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "subprocess.Popen",
        "ctypes.dlopen",
        "socket.connect",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.sendto",
        "open",
    }
)
EXECUTES = ("exec", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty")
NETWORK = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


@dataclass(frozen=True, slots=True)
class Event:
    """One audit event: its name and its arguments, as CPython raised them."""

    name: str
    args: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Opened:
    """An ``open`` event: the path and whether it was opened for writing."""

    path: str
    writes: bool


class AuditLog:
    """Records the :data:`WATCHED` events raised while :meth:`recording` is active."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._recording = False
        self._lock = threading.Lock()

    def hook(self, name: str, args: tuple[object, ...]) -> None:
        """The audit hook: a no-op unless recording."""
        if not self._recording or name not in WATCHED:
            return
        with self._lock:
            self.events.append(Event(name, args))

    @contextmanager
    def recording(self) -> Iterator[AuditLog]:
        """Clear the log, record until the block ends, and keep what was recorded."""
        with self._lock:
            self.events = []
        self._recording = True
        try:
            yield self
        finally:
            self._recording = False

    def named(self, *names: str) -> list[Event]:
        """The recorded events with one of *names*."""
        return [e for e in self.events if e.name in names]

    def opened(self) -> list[Opened]:
        """Every path opened (``open()``, ``os.open``, ``io.open``) with its mode."""
        out: list[Opened] = []
        for event in self.named("open"):
            path, mode, flags = (*event.args, None, None, None)[:3]
            if isinstance(path, int):
                continue  # an already open descriptor
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and mode is None and bool(flags & _WRITE_FLAGS)
            )
            out.append(
                Opened(os.fsdecode(path) if isinstance(path, bytes | str) else str(path), writes)
            )
        return out

    def processes(self) -> list[tuple[list[str], str | None, dict[str, str] | None]]:
        """``subprocess.Popen`` events as (argv, working directory, environment)."""
        out: list[tuple[list[str], str | None, dict[str, str] | None]] = []
        for event in self.named("subprocess.Popen"):
            _executable, argv, cwd, env = event.args
            args = [os.fsdecode(a) for a in argv] if isinstance(argv, list | tuple) else [str(argv)]
            where = None if cwd is None else os.fsdecode(cwd)  # type: ignore[arg-type]
            environ = None if env is None else {str(k): str(v) for k, v in dict(env).items()}  # type: ignore[call-overload]
            out.append((args, where, environ))
        return out


def code_file(event: Event) -> str:
    """The file an ``exec`` event's code object was compiled from (``<string>`` for text)."""
    code = event.args[0] if event.args else None
    return str(getattr(code, "co_filename", "<unknown>"))


def inside(path: str | os.PathLike[str], root: Path) -> bool:
    """Whether *path* (absolute, or relative to the working directory) lies under *root*."""
    resolved = Path(os.path.realpath(path))
    return resolved == root.resolve() or resolved.is_relative_to(root.resolve())


_LOG: AuditLog | None = None
_INSTALL = threading.Lock()


def install() -> AuditLog:
    """The process's audit log, adding the hook on the first call only."""
    global _LOG
    with _INSTALL:
        if _LOG is None:
            _LOG = AuditLog()
            sys.addaudithook(_LOG.hook)
        return _LOG
