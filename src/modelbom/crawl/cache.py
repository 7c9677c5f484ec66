"""The per-file result cache: what crawling a file yielded, kept across scans.

SQLite next to the resolver cache (``files.sqlite3`` in the cache directory), one row
per file version: the key is a hash of the *recipe* (modelbom's version, the name,
version and read limits of every crawler that crawls the file, the size limit of the
scan), the file's path and its content key (a git blob id, or the stat key of
:mod:`modelbom.crawl.reader`); the value is the JSON of the file's findings, Unknowns
and the crawlers' notes (``FileResult.payload`` of :mod:`modelbom.crawl.files`), never a
pickle.

Writes are batched into transactions, so a killed scan leaves whole rows or none. A
damaged database (found when it is opened or while it is read) is moved aside with its
``-wal`` and ``-shm`` files and started afresh; a row that does not parse is deleted and
the file crawled again; a database another process keeps locked past the timeout is
left alone and not used for the rest of the scan. None of these fails the scan; each
says so in a warning. The file is bounded: when it grows past its limit, the rows used
longest ago are deleted. There is no integrity check of the whole file when it is
opened: on a cache of 100,000 files it would cost more than the warm scan it serves.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

log = logging.getLogger("modelbom.cache")

SCHEMA_VERSION = 1
FILE_NAME = "files.sqlite3"
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    key BLOB PRIMARY KEY,
    payload TEXT NOT NULL,
    used INTEGER NOT NULL
) WITHOUT ROWID
"""
_BATCH = 500  # keys per SELECT; rows per write transaction is _FLUSH
_FLUSH = 2000
_DAY = 86_400
_KEEP = 0.7  # after an eviction the file holds at most this share of its limit


def cache_key(recipe: str, path: str, content: str) -> bytes:
    """The row key of one version of one file crawled by one recipe."""
    text = f"{recipe}\0{path}\0{content}".encode("utf-8", "surrogateescape")
    return hashlib.blake2b(text, digest_size=16).digest()


class FileCache:
    """Results of crawled files by key; a cache that failed does nothing, quietly."""

    def __init__(self, path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._now = int(time.time())
        self._pending: list[tuple[bytes, str, int]] = []
        self._touch: list[bytes] = []
        self._conn: sqlite3.Connection | None = self._open()

    def _open(self) -> sqlite3.Connection | None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("file cache %s is unavailable: %s", self.path, exc)
            return None
        for attempt in (1, 2):
            try:
                conn = sqlite3.connect(self.path, timeout=10)
            except sqlite3.Error as exc:
                log.warning("file cache %s is unavailable: %s", self.path, exc)
                return None
            try:
                return self._init(conn)
            except sqlite3.OperationalError as exc:  # locked past the timeout, read-only, ...
                conn.close()
                log.warning("file cache %s is unavailable: %s", self.path, exc)
                return None
            except sqlite3.DatabaseError as exc:  # not a database, or a damaged one
                conn.close()
                if attempt == 2 or not self._move_aside(exc):
                    return None
        return None

    def _move_aside(self, exc: sqlite3.Error) -> bool:
        """Move the damaged database (and its journal files) out of the way."""
        aside = self.path.with_name(self.path.name + ".corrupt")
        log.warning("file cache %s is unreadable (%s); moved aside to %s", self.path, exc, aside)
        try:
            for suffix in ("", "-wal", "-shm"):
                here = self.path.with_name(self.path.name + suffix)
                if here.exists():
                    os.replace(here, aside.with_name(aside.name + suffix))
        except OSError as again:
            log.warning("file cache %s is unavailable: %s", self.path, again)
            return False
        return True

    @staticmethod
    def _init(conn: sqlite3.Connection) -> sqlite3.Connection:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(_SCHEMA)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            conn.execute("DELETE FROM results")
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.commit()
        return conn

    def _failed(self, action: str, exc: sqlite3.Error) -> None:
        """A database error: a damaged file is moved aside and a fresh one opened; any
        other error (a lock held past the timeout) turns the cache off for the scan."""
        self._pending.clear()
        self._touch.clear()
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
        self._conn = None
        damaged = isinstance(exc, sqlite3.DatabaseError) and not isinstance(
            exc, sqlite3.OperationalError
        )
        if damaged and self._move_aside(exc):
            self._conn = self._open()
            return
        log.warning(
            "file cache %s failed to %s (%s); not used for the rest of the scan",
            self.path,
            action,
            exc,
        )

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, str]:
        """The payloads stored under *keys* (those that are)."""
        found: dict[bytes, str] = {}
        if self._conn is None:
            return found
        stale = self._now - _DAY
        try:
            rows = self._conn.execute("SELECT count(*) FROM results").fetchone()[0]
            if rows <= 4 * len(keys):  # most rows are wanted: one pass beats many lookups
                wanted = set(keys)
                for key, payload, used in self._conn.execute(
                    "SELECT key, payload, used FROM results"
                ):
                    if key in wanted:
                        found[key] = payload
                        if used < stale:
                            self._touch.append(key)
                return found
            for start in range(0, len(keys), _BATCH):
                chunk = keys[start : start + _BATCH]
                marks = ",".join("?" * len(chunk))  # placeholders only: the keys are bound
                query = f"SELECT key, payload, used FROM results WHERE key IN ({marks})"  # noqa: S608
                rows = self._conn.execute(query, chunk)
                for key, payload, used in rows:
                    found[key] = payload
                    if used < stale:
                        self._touch.append(key)
        except sqlite3.Error as exc:
            self._failed("read", exc)
            return {}
        return found

    def put(self, key: bytes, payload: str) -> None:
        """Store *payload* under *key* (written in the next batch)."""
        if self._conn is None:
            return
        self._pending.append((key, payload, self._now))
        if len(self._pending) >= _FLUSH:
            self.flush()

    def discard(self, keys: Iterable[bytes]) -> None:
        """Delete the rows of *keys* (their payloads did not parse)."""
        if self._conn is None:
            return
        try:
            with self._conn:
                self._conn.executemany("DELETE FROM results WHERE key = ?", [(k,) for k in keys])
        except sqlite3.Error as exc:
            self._failed("delete", exc)

    def flush(self) -> None:
        """Write the stored payloads and the use times of rows read, in one transaction."""
        if self._conn is None or not (self._pending or self._touch):
            return
        try:
            with self._conn:
                self._conn.executemany(
                    "INSERT OR REPLACE INTO results (key, payload, used) VALUES (?, ?, ?)",
                    self._pending,
                )
                self._conn.executemany(
                    "UPDATE results SET used = ? WHERE key = ?",
                    [(self._now, key) for key in self._touch],
                )
        except sqlite3.Error as exc:
            self._failed("write", exc)
        self._pending.clear()
        self._touch.clear()

    def size(self) -> int:
        """Bytes the rows take in the database file (free pages not counted)."""
        if self._conn is None:
            return 0
        pages = self._conn.execute("PRAGMA page_count").fetchone()[0]
        free = self._conn.execute("PRAGMA freelist_count").fetchone()[0]
        page_size = self._conn.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * page_size)

    def evict(self) -> int:
        """Delete the rows used longest ago while the file is over its limit; the count."""
        if self._conn is None:
            return 0
        try:
            size = self.size()
            if size <= self.max_bytes:
                return 0
            rows = self._conn.execute("SELECT count(*) FROM results").fetchone()[0]
            doomed = rows - int(rows * _KEEP * self.max_bytes / size)
            with self._conn:
                self._conn.execute(
                    "DELETE FROM results WHERE key IN"
                    " (SELECT key FROM results ORDER BY used, key LIMIT ?)",
                    (doomed,),
                )
        except sqlite3.Error as exc:
            self._failed("evict", exc)
            return 0
        log.info("file cache %s: %d old results removed", self.path, doomed)
        return int(doomed)

    def close(self) -> None:
        """Write what is pending, keep the file within its limit, close it."""
        self.flush()
        self.evict()
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
