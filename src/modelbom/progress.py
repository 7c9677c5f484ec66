"""Progress: the engine reports, an observer shows. The core never prints.

The engine calls an observer as it goes (files crawled, components resolved); the
default observer does nothing. The CLI plugs in :class:`TerminalProgress` when stderr is
a terminal and ``--quiet`` is not given: one line, rewritten in place at most ten times
a second, and cleared when the scan ends.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol, TextIO


class Progress(Protocol):
    """What the engine tells about its progress."""

    def files(self, done: int, total: int) -> None:
        """*done* of *total* listed files have been crawled."""

    def components(self, done: int, total: int) -> None:
        """*done* of *total* components have been resolved (lineage adds to *total*)."""

    def finish(self) -> None:
        """The scan is over."""


class NoProgress:
    """The default observer: says nothing."""

    def files(self, done: int, total: int) -> None:
        """Nothing."""

    def components(self, done: int, total: int) -> None:
        """Nothing."""

    def finish(self) -> None:
        """Nothing."""


class TerminalProgress:
    """A single status line on a terminal, throttled and thread-safe."""

    def __init__(self, stream: TextIO, interval: float = 0.1) -> None:
        self.stream = stream
        self.interval = interval
        self._last = 0.0
        self._shown = False
        self._lock = threading.Lock()

    def _show(self, text: str, *, force: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last < self.interval:
                return
            self._last = now
            self.stream.write(f"\r\x1b[2Kmodelbom: {text}")
            self.stream.flush()
            self._shown = True

    def files(self, done: int, total: int) -> None:
        """``crawled 120/4000 files``."""
        self._show(f"crawled {done}/{total} files", force=done == total)

    def components(self, done: int, total: int) -> None:
        """``resolved 12/30 components``."""
        self._show(f"resolved {done}/{total} components", force=done == total)

    def finish(self) -> None:
        """Clear the status line."""
        with self._lock:
            if self._shown:
                self.stream.write("\r\x1b[2K")
                self.stream.flush()
                self._shown = False
