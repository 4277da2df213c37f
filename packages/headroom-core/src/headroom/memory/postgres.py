"""`PostgresMemoryStore`: memories on a Postgres server, for several machines or proxy replicas.

Text search is Postgres's own (``tsvector`` with the ``english`` configuration, a GIN index,
``ts_rank_cd``); vectors are stored in the same row and scanned exactly by each client per scope,
because pgvector is not packaged for the Debian release this project runs on.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from headroom.memory._base import BaseMemoryStore, Row, below_prefix
from headroom.memory._model import MemoryStoreError
from headroom.memory._rank import Embedder

__all__ = ["PostgresMemoryStore"]

POSTGRES_INSTALL = 'pip install "headroom-core[memory-postgres]"'
_TABLE = re.compile(r"[a-z_][a-z0-9_]{0,40}")
_MAX_QUERY_TERMS = 64


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as e:
        raise ImportError(f"PostgresMemoryStore needs psycopg: {POSTGRES_INSTALL}") from e
    return psycopg


class PostgresMemoryStore(BaseMemoryStore):
    """A `MemoryStore` in one Postgres table, shared by every process that connects to it.

    The table (``memories`` by default) and its indexes are created on first use. Each write is one
    transaction covering the row, its text index and a change counter that tells other clients to
    drop their cached vectors.

    Args:
        dsn: a libpq connection string or URL, e.g. ``postgresql://app@db.internal/headroom``.
        table: the table's name (lowercase letters, digits and ``_``); its change counter is
            ``<table>_version``.
        embedder: turns texts into vectors; None is text search only.
        clock: returns the current time in seconds. Every client of one table should use the same.
    """

    def __init__(
        self,
        dsn: str,
        *,
        table: str = "memories",
        embedder: Embedder | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(embedder=embedder, clock=clock)
        if not _TABLE.fullmatch(table):
            raise ValueError(f"table must be lowercase letters, digits and _, got {table!r}")
        self._psycopg = _psycopg()
        self.dsn, self.table = dsn, table
        self._lock = threading.RLock()
        self._conn: Any = None
        self._version = -1

    def _connection(self) -> Any:
        if self._conn is None:
            try:
                conn = self._psycopg.connect(self.dsn, autocommit=True)
            except self._psycopg.Error as e:
                raise MemoryStoreError(f"cannot connect to the memory database: {e}") from e
            t = self.table
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (t,))  # one creator at a time
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {t} (id text PRIMARY KEY, scope_key text NOT NULL, text text NOT NULL,"
                    " norm text NOT NULL, meta text NOT NULL, created double precision NOT NULL,"
                    " updated double precision NOT NULL, expires double precision, vector bytea,"
                    " tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED)"
                )
                conn.execute(f"CREATE INDEX IF NOT EXISTS {t}_scope_norm ON {t} (scope_key, norm)")
                conn.execute(f"CREATE INDEX IF NOT EXISTS {t}_tsv ON {t} USING gin (tsv)")
                conn.execute(f"CREATE INDEX IF NOT EXISTS {t}_expires ON {t} (expires) WHERE expires IS NOT NULL")
                conn.execute(f"CREATE TABLE IF NOT EXISTS {t}_version (one int PRIMARY KEY, n bigint NOT NULL)")
                conn.execute(f"INSERT INTO {t}_version VALUES (1, 0) ON CONFLICT DO NOTHING")
            self._conn = conn
        return self._conn

    def _query(self, sql: str, params: Sequence[object]) -> list[Any]:
        with self._lock:
            try:
                return list(self._connection().execute(sql, params).fetchall())
            except self._psycopg.Error as e:
                raise MemoryStoreError(f"memory database query failed: {e}") from e

    def _change(self, statements: Sequence[tuple[str, Sequence[object]]]) -> int:
        """Run ``statements`` in one transaction that also bumps the change counter; rows affected by the last."""
        with self._lock:
            conn = self._connection()
            try:
                with conn.transaction():
                    n = 0
                    for sql, params in statements:
                        n = conn.execute(sql, params).rowcount
                    conn.execute(f"UPDATE {self.table}_version SET n = n + 1 WHERE one = 1")
                    return int(n)
            except self._psycopg.Error as e:
                raise MemoryStoreError(f"memory database write failed: {e}") from e

    # -- primitives -----------------------------------------------------------------------------

    _COLUMNS = "id, scope_key, text, meta, created, updated, expires"
    _LIVE = "(expires IS NULL OR expires > %s)"

    def _find_exact(self, key: str, norm: str, now: float) -> Row | None:
        rows = self._query(
            f"SELECT {self._COLUMNS} FROM {self.table} WHERE scope_key = %s AND norm = %s AND {self._LIVE}"
            " ORDER BY id LIMIT 1",
            (key, norm, now),
        )
        return Row(*rows[0]) if rows else None

    def _lexical(self, keys: Sequence[str], words: Sequence[str], now: float, limit: int) -> list[str]:
        """Matches ranked by the BM25 weight (IDF) of the query words they contain, then ``ts_rank_cd``.

        Postgres's own ranks know no IDF: "run the tests for orbit" would rank every "npm run test"
        fact above the one about orbit. One pass over the visible scopes counts each word's
        documents; the weights then order the matches.
        """
        words = list(words[:_MAX_QUERY_TERMS])
        if not words:
            return []
        t, keys_list = self.table, list(keys)
        counts = ", ".join("count(*) FILTER (WHERE tsv @@ to_tsquery('english', %s))" for _ in words)
        row = self._query(
            f"SELECT count(*), {counts} FROM {t} WHERE scope_key = ANY(%s) AND {self._LIVE}", (*words, keys_list, now)
        )[0]
        n, dfs = int(row[0]), [int(x) for x in row[1:]]
        weights = [math.log(1 + (n - df + 0.5) / (df + 0.5)) if df else 0.0 for df in dfs]
        score = " + ".join("(tsv @@ to_tsquery('english', %s))::int * %s" for _ in words)
        rows = self._query(
            f"SELECT id FROM {t}, to_tsquery('english', %s) q WHERE tsv @@ q AND scope_key = ANY(%s)"
            f" AND {self._LIVE} ORDER BY ({score}) DESC, ts_rank_cd(tsv, q) DESC, id LIMIT %s",
            (" | ".join(words), keys_list, now, *[x for pair in zip(words, weights, strict=True) for x in pair], limit),
        )
        return [str(r[0]) for r in rows]

    def _recent(self, keys: Sequence[str], now: float, limit: int) -> list[str]:
        rows = self._query(
            f"SELECT id FROM {self.table} WHERE scope_key = ANY(%s) AND {self._LIVE}"
            " ORDER BY updated DESC, id LIMIT %s",
            (list(keys), now, limit),
        )
        return [str(r[0]) for r in rows]

    def _fetch(self, ids: Sequence[str], now: float) -> dict[str, Row]:
        if not ids:
            return {}
        rows = self._query(
            f"SELECT {self._COLUMNS} FROM {self.table} WHERE id = ANY(%s) AND {self._LIVE}", (list(ids), now)
        )
        return {str(r[0]): Row(*r) for r in rows}

    def _write(self, row: Row, norm: str, vector: bytes | None, *, replace: bool) -> None:
        values = (row.key, row.text, norm, row.meta, row.created, row.updated, row.expires, vector)
        t = self.table
        self._change(
            [
                (
                    f"INSERT INTO {t} (id, scope_key, text, norm, meta, created, updated, expires, vector)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET"
                    " scope_key = EXCLUDED.scope_key, text = EXCLUDED.text, norm = EXCLUDED.norm, meta = EXCLUDED.meta,"
                    " updated = EXCLUDED.updated, expires = EXCLUDED.expires, vector = EXCLUDED.vector",
                    (row.id, *values),
                ),
                (f"DELETE FROM {t} WHERE expires <= %s", (row.updated,)),
            ]
        )

    def _delete(self, memory_id: str | None, key: str | None) -> int:
        if memory_id is not None:
            return self._change([(f"DELETE FROM {self.table} WHERE id = %s", (memory_id,))])
        assert key is not None
        prefix = below_prefix(key)
        sql = f"DELETE FROM {self.table} WHERE scope_key = %s OR left(scope_key, %s) = %s"
        return self._change([(sql, (key, len(prefix), prefix))])

    def _vector_rows(self, key: str) -> tuple[list[str], list[bytes]]:
        rows = self._query(
            f"SELECT id, vector FROM {self.table} WHERE scope_key = %s AND vector IS NOT NULL ORDER BY id", (key,)
        )
        return [str(r[0]) for r in rows], [bytes(r[1]) for r in rows]

    def _sync(self) -> None:
        version = int(self._query(f"SELECT n FROM {self.table}_version WHERE one = 1", ())[0][0])
        if version != self._version:
            self._version = version
            self._vectors.invalidate()

    def close(self) -> None:
        """Close the connection; the store must not be used afterwards."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
