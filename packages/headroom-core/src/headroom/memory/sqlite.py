"""`SQLiteMemoryStore`: the embedded default `MemoryStore`, one SQLite file with an FTS5 index."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from headroom.memory._base import BaseMemoryStore, Row, below_prefix
from headroom.memory._model import MemoryStoreError
from headroom.memory._rank import Embedder

__all__ = ["SQLiteMemoryStore"]

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS memories (
        id TEXT PRIMARY KEY,
        scope_key TEXT NOT NULL,
        text TEXT NOT NULL,
        norm TEXT NOT NULL,
        meta TEXT NOT NULL,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        expires REAL,
        vector BLOB
    )
    """,
    "CREATE INDEX IF NOT EXISTS memories_scope_norm ON memories (scope_key, norm)",
    "CREATE INDEX IF NOT EXISTS memories_expires ON memories (expires) WHERE expires IS NOT NULL",
    # BM25 over the text; porter stemming so "deploys" finds "deploy". rowid = memories.rowid.
    "CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts"
    " USING fts5(text, scope_key UNINDEXED, tokenize='porter unicode61')",
)
_COLUMNS = "m.id, m.scope_key, m.text, m.meta, m.created, m.updated, m.expires"
_LIVE = "(m.expires IS NULL OR m.expires > ?)"
_MAX_QUERY_TERMS = 64
_PURGE_EVERY = 512


def _row(r: Any) -> Row:
    return Row(*r)  # columns in _COLUMNS order, types fixed by the schema


class SQLiteMemoryStore(BaseMemoryStore):
    """A `MemoryStore` in one SQLite file: FTS5 (BM25) text search, vectors in the same rows.

    The file and its folders are created on first use. WAL mode lets readers run beside a writer;
    each write is one ``BEGIN IMMEDIATE`` transaction covering the row and its FTS entry, so a
    failure leaves nothing half-written. Other processes sharing the file are noticed through
    SQLite's ``data_version``.

    Args:
        path: the database file, e.g. ``~/.headroom/memory.sqlite3`` (``~`` is not expanded here).
        embedder: turns texts into vectors (`headroom.memory.minilm_embedder`); None is text only.
        clock: returns the current time in seconds; tests inject a fake one.
        timeout_seconds: how long to wait for another process's write lock.

    Example:
        >>> import tempfile
        >>> from headroom.memory import Scope
        >>> store = SQLiteMemoryStore(tempfile.mkdtemp() + "/memory.sqlite3")
        >>> _ = store.remember("Deploys go through `make ship`, never git push", scope=Scope("ann", "shop"))
        >>> [m.text for m in store.recall("how do I deploy?", scope=Scope("ann", "shop", "s2"))]
        ['Deploys go through `make ship`, never git push']
        >>> store.close()
    """

    def __init__(
        self,
        path: str | Path,
        *,
        embedder: Embedder | None = None,
        clock: Callable[[], float] = time.time,
        timeout_seconds: float = 10.0,
    ) -> None:
        super().__init__(embedder=embedder, clock=clock)
        self.path = Path(path)
        self._timeout = timeout_seconds
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._data_version = -1
        self._writes = 0

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            for statement in _SCHEMA:
                conn.execute(statement)
            self._conn = conn
            self._purge(conn)
        return self._conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _query(self, sql: str, params: Sequence[object]) -> list[Any]:
        with self._lock:
            try:
                return list(self._connection().execute(sql, params))
            except sqlite3.Error as e:
                raise MemoryStoreError(f"memory store {self.path} could not be read: {e}") from e

    def _purge(self, conn: sqlite3.Connection) -> None:
        now = self._clock()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM memories_fts WHERE rowid IN (SELECT rowid FROM memories WHERE expires <= ?)", (now,))
        conn.execute("DELETE FROM memories WHERE expires <= ?", (now,))
        conn.execute("COMMIT")

    # -- primitives -----------------------------------------------------------------------------

    def _find_exact(self, key: str, norm: str, now: float) -> Row | None:
        sql = (
            f"SELECT {_COLUMNS} FROM memories m WHERE m.scope_key = ? AND m.norm = ? AND {_LIVE} ORDER BY m.id LIMIT 1"
        )
        rows = self._query(sql, (key, norm, now))
        return _row(rows[0]) if rows else None

    def _lexical(self, keys: Sequence[str], words: Sequence[str], now: float, limit: int) -> list[str]:
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in words[:_MAX_QUERY_TERMS])  # \w+ words hold no quote
        marks = ",".join("?" * len(keys))
        sql = (
            "SELECT m.id FROM memories_fts f JOIN memories m ON m.rowid = f.rowid "
            f"WHERE memories_fts MATCH ? AND f.scope_key IN ({marks}) AND {_LIVE} "
            "ORDER BY bm25(memories_fts), m.id LIMIT ?"
        )
        return [str(r[0]) for r in self._query(sql, (match, *keys, now, limit))]

    def _recent(self, keys: Sequence[str], now: float, limit: int) -> list[str]:
        marks = ",".join("?" * len(keys))
        sql = (
            f"SELECT m.id FROM memories m WHERE m.scope_key IN ({marks}) AND {_LIVE} "
            "ORDER BY m.updated DESC, m.id LIMIT ?"
        )
        return [str(r[0]) for r in self._query(sql, (*keys, now, limit))]

    def _fetch(self, ids: Sequence[str], now: float) -> dict[str, Row]:
        out: dict[str, Row] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {_COLUMNS} FROM memories m WHERE m.id IN ({marks}) AND {_LIVE}"
            out.update((str(r[0]), _row(r)) for r in self._query(sql, (*chunk, now)))
        return out

    def _write(self, row: Row, norm: str, vector: bytes | None, *, replace: bool) -> None:
        values = (row.key, row.text, norm, row.meta, row.created, row.updated, row.expires, vector)
        try:
            with self._tx() as conn:
                if replace:
                    conn.execute(
                        "DELETE FROM memories_fts WHERE rowid = (SELECT rowid FROM memories WHERE id = ?)", (row.id,)
                    )
                    conn.execute(
                        "UPDATE memories SET scope_key=?, text=?, norm=?, meta=?, created=?, updated=?, expires=?,"
                        " vector=? WHERE id = ?",
                        (*values, row.id),
                    )
                    rowid = conn.execute("SELECT rowid FROM memories WHERE id = ?", (row.id,)).fetchone()[0]
                else:
                    cur = conn.execute("INSERT INTO memories VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (row.id, *values))
                    rowid = cur.lastrowid
                conn.execute(
                    "INSERT INTO memories_fts (rowid, text, scope_key) VALUES (?, ?, ?)", (rowid, row.text, row.key)
                )
        except sqlite3.Error as e:
            raise MemoryStoreError(f"memory store {self.path} could not be written: {e}") from e
        self._writes += 1
        if self._writes % _PURGE_EVERY == 0:
            with self._lock:
                self._purge(self._connection())

    def _delete(self, memory_id: str | None, key: str | None) -> int:
        params: tuple[object, ...]
        if memory_id is not None:
            where, params = "id = ?", (memory_id,)
        else:
            assert key is not None
            prefix = below_prefix(key)
            where, params = "scope_key = ? OR substr(scope_key, 1, ?) = ?", (key, len(prefix), prefix)
        try:
            with self._tx() as conn:
                conn.execute(
                    f"DELETE FROM memories_fts WHERE rowid IN (SELECT rowid FROM memories WHERE {where})", params
                )
                return conn.execute(f"DELETE FROM memories WHERE {where}", params).rowcount
        except sqlite3.Error as e:
            raise MemoryStoreError(f"memory store {self.path} could not be written: {e}") from e

    def _vector_rows(self, key: str) -> tuple[list[str], list[bytes]]:
        rows = self._query(
            "SELECT id, vector FROM memories WHERE scope_key = ? AND vector IS NOT NULL ORDER BY id", (key,)
        )
        return [str(r[0]) for r in rows], [bytes(r[1]) for r in rows]

    def _sync(self) -> None:
        version = int(self._query("PRAGMA data_version", ())[0][0])
        if version != self._data_version:
            self._data_version = version
            self._vectors.invalidate()

    def count(self) -> int:
        """How many memories the file holds (expired ones not yet purged included)."""
        return int(self._query("SELECT count(*) FROM memories", ())[0][0])

    def close(self) -> None:
        """Close the connection; the store must not be used afterwards."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
