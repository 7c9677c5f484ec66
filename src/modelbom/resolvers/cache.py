"""The persistent resolver cache: facts fetched from remote sources, kept across runs.

SQLite in the user's cache directory (``$MODELBOM_CACHE_DIR``, else
``$XDG_CACHE_HOME/modelbom``, else ``~/.cache/modelbom``), one row per (source, key,
revision) holding a JSON payload and the time it was fetched. Every write is one
transaction (SQLite's write-ahead log), so a killed scan never leaves a half-written
entry. A database that cannot be opened, or fails SQLite's quick integrity check when it
is opened, is moved aside (``cache.sqlite3.corrupt``, with its ``-wal`` and ``-shm``
files) and started afresh, with a warning; when even that is impossible (a read-only or
missing cache folder) the scan keeps its cache in memory. An entry whose payload does
not parse is dropped. Payloads are what the resolvers store: never a token or a
credential.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelbom.redact import redact

log = logging.getLogger("modelbom.cache")

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    revision TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (source, key, revision)
)
"""


def default_cache_path() -> Path:
    """Where the cache lives when no path is configured."""
    configured = os.environ.get("MODELBOM_CACHE_DIR")
    if configured:
        return Path(configured) / "cache.sqlite3"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "modelbom" / "cache.sqlite3"


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One cached answer."""

    payload: dict[str, Any]
    fetched_at: str


class ResolverCache:
    """A thread-safe key-value store of JSON payloads; ``path=None`` keeps it in memory."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._warned = False
        self._conn = self._open()

    def _open(self) -> sqlite3.Connection:
        """The database at ``path``; a fresh one when it is unreadable; memory at worst."""
        if self.path is None:
            return self._init(sqlite3.connect(":memory:", check_same_thread=False), None)
        path = self.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return self._in_memory(f"cannot create its folder: {exc.strerror or exc}")
        try:
            return self._connect(path)
        except (sqlite3.DatabaseError, OSError) as exc:
            problem = " ".join(str(exc).split())
        if path.exists() and not path.is_file():
            return self._in_memory(f"{problem}; it is not a file")
        aside = path.with_name(path.name + ".corrupt")
        try:
            for suffix in ("", "-wal", "-shm"):
                source = Path(f"{path}{suffix}")
                if source.is_file() or source.is_symlink():
                    os.replace(source, Path(f"{aside}{suffix}"))
        except OSError as exc:
            return self._in_memory(f"{problem}; it cannot be moved aside: {exc.strerror or exc}")
        log.warning(
            "cache %s is unreadable (%s); moved aside to %s and started afresh",
            path,
            problem,
            aside,
        )
        try:
            return self._connect(path)
        except (sqlite3.DatabaseError, OSError) as exc:
            return self._in_memory(str(exc))

    def _connect(self, path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, check_same_thread=False, timeout=10)
        try:
            return self._init(conn, path)
        except BaseException:
            conn.close()
            raise

    def _in_memory(self, problem: str) -> sqlite3.Connection:
        log.warning(
            "cache %s cannot be used (%s); this scan keeps its cache in memory", self.path, problem
        )
        return self._init(sqlite3.connect(":memory:", check_same_thread=False), None)

    def _init(self, conn: sqlite3.Connection, path: Path | None) -> sqlite3.Connection:
        if path is not None:
            conn.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
            # A file that opens can still be damaged (a disk error, a copy cut short):
            # find out now, once, rather than on every read of the scan.
            (check,) = conn.execute("PRAGMA quick_check(1)").fetchone()
            if check != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check}")
        conn.execute(_SCHEMA)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            conn.execute("DELETE FROM entries")
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.commit()
        return conn

    def get(self, source: str, key: str, revision: str = "") -> CacheEntry | None:
        """The entry for (source, key, revision), or None (also when it is unreadable)."""
        with self._lock:
            try:
                row = self._conn.execute(
                    "SELECT payload, fetched_at FROM entries"
                    " WHERE source = ? AND key = ? AND revision = ?",
                    (source, key, revision),
                ).fetchone()
            except sqlite3.DatabaseError as exc:
                self._failed("read", exc)
                return None
        if row is None:
            return None
        try:
            payload = json.loads(row[0])
        except ValueError:
            self.delete(source, key, revision)
            return None
        if not isinstance(payload, dict):
            self.delete(source, key, revision)
            return None
        return CacheEntry(payload=payload, fetched_at=str(row[1]))

    def put(
        self, source: str, key: str, payload: dict[str, Any], fetched_at: str, revision: str = ""
    ) -> None:
        """Store *payload* (JSON-serialisable, secrets removed) in one transaction."""
        # ASCII with escapes: a lone surrogate from a hostile answer cannot fail the write.
        text = redact(json.dumps(payload, sort_keys=True, ensure_ascii=True))
        with self._lock:
            try:
                with self._conn:
                    self._conn.execute(
                        "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)",
                        (source, key, revision, fetched_at, text),
                    )
            except sqlite3.DatabaseError as exc:
                self._failed("write", exc)

    def delete(self, source: str, key: str, revision: str = "") -> None:
        """Drop one entry."""
        with self._lock:
            try:
                with self._conn:
                    self._conn.execute(
                        "DELETE FROM entries WHERE source = ? AND key = ? AND revision = ?",
                        (source, key, revision),
                    )
            except sqlite3.DatabaseError as exc:
                self._failed("delete", exc)

    def _failed(self, what: str, exc: sqlite3.DatabaseError) -> None:
        """Warn about the first failure of a scan only; the rest go to the debug log."""
        level = logging.DEBUG if self._warned else logging.WARNING
        self._warned = True
        log.log(level, "cache %s failed: %s", what, exc)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._conn.close()
