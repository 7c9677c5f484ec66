"""The persistent resolver cache: facts fetched from remote sources, kept across runs.

SQLite in the user's cache directory (``$MODELBOM_CACHE_DIR``, else
``$XDG_CACHE_HOME/modelbom``, else ``~/.cache/modelbom``), one row per (source, key,
revision) holding a JSON payload and the time it was fetched. Every write is one
transaction, so a killed scan never leaves a half-written entry; a database that
cannot be opened or read is moved aside and started afresh, and an entry whose
payload does not parse is dropped. Payloads are what the resolvers store: never a
token or a credential.
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
        self._conn = self._open()

    def _open(self) -> sqlite3.Connection:
        if self.path is None:
            return self._init(sqlite3.connect(":memory:", check_same_thread=False))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._init(sqlite3.connect(self.path, check_same_thread=False, timeout=10))
        except sqlite3.DatabaseError as exc:
            aside = self.path.with_name(self.path.name + ".corrupt")
            log.warning("cache %s is unreadable (%s); moved aside to %s", self.path, exc, aside)
            os.replace(self.path, aside)
            return self._init(sqlite3.connect(self.path, check_same_thread=False, timeout=10))

    def _init(self, conn: sqlite3.Connection) -> sqlite3.Connection:
        if self.path is not None:
            conn.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
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
                log.warning("cache read failed: %s", exc)
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
                log.warning("cache write failed: %s", exc)

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
                log.warning("cache delete failed: %s", exc)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._conn.close()
