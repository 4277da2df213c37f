"""`SQLiteStore`: the embedded default `Store`, one SQLite file shared by threads and processes."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from headroom.store._protocol import (
    DEFAULT_TTL_SECONDS,
    Entry,
    RefConflictError,
    RefExpiredError,
    RefNotFoundError,
    StoreError,
)

__all__ = ["SQLiteStore"]

_SCHEMA = (
    # content is a BLOB of the text encoded with ``surrogatepass``: any Python string, lone
    # surrogates included, round-trips exactly, which a TEXT column cannot promise.
    """
    CREATE TABLE IF NOT EXISTS entries (
        ref TEXT PRIMARY KEY,
        content BLOB NOT NULL,
        kind TEXT NOT NULL,
        meta TEXT NOT NULL,
        created REAL NOT NULL,
        accessed REAL NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS entries_accessed ON entries (accessed)",
)

_MAX_REFRESH_LAG_SECONDS = 1.0
"""``get`` skips rewriting the access time when the stored one is younger than this (fewer writes)."""


def _encode_content(content: str) -> bytes:
    return content.encode("utf-8", "surrogatepass")


def _decode_content(value: bytes | str) -> str:
    # A row written as TEXT by another tool comes back as str; ours are always bytes.
    return value if isinstance(value, str) else value.decode("utf-8", "surrogatepass")


class SQLiteStore:
    """A `Store` in one SQLite file, safe to share between threads and processes.

    The file (and its parent folders) is created on first use, not by the constructor. It runs in
    WAL mode so readers never wait for a writer, and every ``put`` is one ``BEGIN IMMEDIATE``
    transaction: after a failure nothing is written. Entries expire after ``ttl_seconds`` without
    a ``get`` or ``put``; expired rows are deleted when looked up, when the store is opened and on
    every ``purge_every`` puts.

    Args:
        path: the database file, e.g. ``~/.headroom/store.sqlite3`` (``~`` is not expanded here).
        ttl_seconds: idle time after which an entry expires. Must be positive.
        clock: returns the current time in seconds; tests inject a fake one. Every process
            sharing the file should use the same clock (the default, wall-clock time).
        timeout_seconds: how long to wait for another process's write lock before failing.
        purge_every: delete expired rows on every this-many puts.

    Example:
        >>> import tempfile
        >>> from headroom.refs import make_ref
        >>> store = SQLiteStore(tempfile.mkdtemp() + "/store.sqlite3")
        >>> ref = make_ref("original")
        >>> store.put(ref, Entry("original", kind="text"))
        >>> store.get(ref).content
        'original'
        >>> store.close()
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
        timeout_seconds: float = 30.0,
        purge_every: int = 1000,
    ) -> None:
        if not ttl_seconds > 0:
            raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds!r}")
        if purge_every < 1:
            raise ValueError(f"purge_every must be at least 1, got {purge_every!r}")
        self.path = Path(path)
        self.ttl_seconds = float(ttl_seconds)
        self._clock = clock
        self._timeout = timeout_seconds
        self._purge_every = purge_every
        self._refresh_lag = min(_MAX_REFRESH_LAG_SECONDS, self.ttl_seconds / 100)
        # One connection guarded by a lock: simple and thread-safe; other processes are kept
        # consistent by SQLite's own file locking.
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._inherited: list[sqlite3.Connection] = []
        self._puts = 0
        self._closed = False

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r}, ttl_seconds={self.ttl_seconds!r})"

    def put(self, ref: str, entry: Entry) -> None:
        """Store ``entry`` under ``ref`` in one transaction.

        Storing the same content again only refreshes the entry's last access.

        Raises:
            RefConflictError: ``ref`` holds different, unexpired content.
            StoreError: the entry cannot be stored (``kind`` not encodable as UTF-8, ``meta``
                not JSON-serialisable, a database error); nothing was written.
        """
        blob = _encode_content(entry.content)
        kind = self._checked_kind(ref, entry.kind)
        try:
            # ensure_ascii escapes lone surrogates, so any string metadata round-trips.
            meta = json.dumps(dict(entry.meta), ensure_ascii=True, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"cannot store ref {ref!r}: meta is not JSON-serialisable: {exc}") from exc
        with self._lock, self._errors():
            conn = self._connection()
            now = self._clock()
            with self._transaction(conn):
                row = conn.execute("SELECT accessed, content = ? FROM entries WHERE ref = ?", (blob, ref)).fetchone()
                if row is not None and now - row[0] <= self.ttl_seconds:
                    if not row[1]:
                        raise RefConflictError(ref)
                    conn.execute("UPDATE entries SET accessed = MAX(accessed, ?) WHERE ref = ?", (now, ref))
                else:
                    conn.execute(
                        "INSERT OR REPLACE INTO entries (ref, content, kind, meta, created, accessed)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (ref, blob, kind, meta, now, now),
                    )
            self._puts += 1
            if self._puts % self._purge_every == 0:
                self._purge(conn, now)

    def get(self, ref: str) -> Entry:
        """Return the entry under ``ref`` and refresh its last access.

        Raises:
            RefNotFoundError: nothing is stored under ``ref``.
            RefExpiredError: the entry sat unused for longer than ``ttl_seconds``; it is deleted.
            StoreError: the database cannot be read.
        """
        with self._lock, self._errors():
            conn = self._connection()
            now = self._clock()
            row = conn.execute("SELECT content, kind, meta, accessed FROM entries WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                raise RefNotFoundError(ref, str(self.path))
            content, kind, meta, accessed = row
            idle = now - accessed
            if idle > self.ttl_seconds:
                # Only delete the row we judged expired, not one another process just refreshed.
                self._write_quietly(conn, "DELETE FROM entries WHERE ref = ? AND accessed = ?", (ref, accessed))
                raise RefExpiredError(ref, idle, self.ttl_seconds)
            if idle >= self._refresh_lag:
                self._write_quietly(conn, "UPDATE entries SET accessed = MAX(accessed, ?) WHERE ref = ?", (now, ref))
        return Entry(content=_decode_content(content), kind=kind, meta=json.loads(meta))

    def contains(self, ref: str) -> bool:
        """True when ``ref`` holds an unexpired entry. Does not refresh the access time."""
        with self._lock, self._errors():
            conn = self._connection()
            row = conn.execute("SELECT accessed FROM entries WHERE ref = ?", (ref,)).fetchone()
            return row is not None and self._clock() - row[0] <= self.ttl_seconds

    def delete(self, ref: str) -> None:
        """Remove ``ref`` if present; a missing ref is not an error."""
        with self._lock, self._errors():
            self._connection().execute("DELETE FROM entries WHERE ref = ?", (ref,))

    def close(self) -> None:
        """Close the database connection. Any later call raises `StoreError`; closing twice is harmless."""
        with self._lock:
            self._closed = True
            conn, self._conn = self._conn, None
            if conn is not None and self._pid == os.getpid():
                conn.close()

    def _checked_kind(self, ref: str, kind: str) -> str:
        try:
            kind.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise StoreError(f"cannot store ref {ref!r}: kind {kind!r} is not valid UTF-8 text") from exc
        return kind

    def _connection(self) -> sqlite3.Connection:
        """Return this process's connection, opening the database on first use. Lock held."""
        if self._closed:
            raise StoreError(f"the SQLite store at {self.path} is closed")
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        if self._conn is not None:
            # Forked: the parent's connection must never be used or closed in the child (SQLite
            # forbids carrying a connection across fork), so keep it referenced and open anew.
            self._inherited.append(self._conn)
            self._conn = None
        self._conn = self._open()
        self._pid = os.getpid()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; put manages its own BEGIN IMMEDIATE.
        # check_same_thread=False: the connection is shared by threads, serialised by self._lock.
        conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False)
        try:
            self._retry_while_locked(lambda: self._initialise(conn))
            self._purge(conn, self._clock())
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _initialise(conn: sqlite3.Connection) -> None:
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL never corrupts the file; a power cut may lose the last puts, which is
        # what a cache of originals can afford, and it spares a disk sync on every put.
        conn.execute("PRAGMA synchronous = NORMAL")
        for statement in _SCHEMA:
            conn.execute(statement)

    def _retry_while_locked(self, action: Callable[[], None]) -> None:
        # Switching a new file to WAL needs an exclusive lock, and SQLite reports "database is
        # locked" at once instead of waiting when another process is opening the same file.
        deadline = time.monotonic() + self._timeout
        delay = 0.005
        while True:
            try:
                action()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(delay)
            delay = min(2 * delay, 0.1)

    def _purge(self, conn: sqlite3.Connection, now: float) -> None:
        self._write_quietly(conn, "DELETE FROM entries WHERE accessed < ?", (now - self.ttl_seconds,))

    @staticmethod
    def _write_quietly(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> None:
        # Housekeeping writes (refresh, purge) must not fail a read that already succeeded,
        # e.g. when another process holds the write lock past the timeout or the file is read-only.
        with suppress(sqlite3.OperationalError):
            conn.execute(sql, params)

    @staticmethod
    @contextmanager
    def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            conn.execute("COMMIT")
        except BaseException:
            # Report the original failure, not a secondary one from the rollback.
            with suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn database and file-system failures into `StoreError` naming the file."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"SQLite store at {self.path}: {exc}") from exc
