"""Request history: one row per proxy request in an embedded SQLite file, for the dashboard and ``headroom explain``.

Each row holds the figures the JSONL log keeps (tokens, money, usage, timings, errors) plus, per
compressible block, its type, compressor and token counts. With content kept (the default) a block
the pipeline changed also keeps its text as given and as sent, so the explain view can show the
diff; ``figures`` mode keeps none of it. Credentials are never written: the client is the proxy's
one-way hash of them. The file is capped by rows and by age; the oldest rows go first.

This module needs only the standard library (``headroom explain`` reads the file without the
server stack).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from headroom.proxy._stats import RequestRecord
    from headroom.result import CompressResult

__all__ = ["RequestHistory", "default_history_path", "history_row"]

_COLUMNS = (
    "id",
    "ts",
    "instance",
    "api",
    "model",
    "client",
    "action",
    "shadow",
    "status",
    "tokens_before",
    "tokens_after",
    "cost_usd",
    "saved_usd",
    "cache_read",
    "cache_write",
    "retrieve_calls",
    "proxy_ms",
    "total_ms",
    "error",
    "compressors",
    "blocks",
)
_VERSION = 1  # PRAGMA user_version; a file of another version is history only, so it starts afresh
_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS requests (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        ts REAL NOT NULL,
        instance TEXT NOT NULL,
        api TEXT NOT NULL,
        model TEXT NOT NULL,
        client TEXT NOT NULL,
        action TEXT NOT NULL,
        shadow INTEGER NOT NULL,
        status INTEGER NOT NULL,
        tokens_before INTEGER NOT NULL,
        tokens_after INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        saved_usd REAL NOT NULL,
        cache_read INTEGER NOT NULL,
        cache_write INTEGER NOT NULL,
        retrieve_calls INTEGER NOT NULL,
        proxy_ms REAL NOT NULL,
        total_ms REAL NOT NULL,
        error TEXT,
        compressors TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS requests_instance ON requests (instance, seq)",
    "CREATE INDEX IF NOT EXISTS requests_ts ON requests (ts)",
    # Block reports (and texts) apart, so the dashboard's scans over the figures stay small.
    "CREATE TABLE IF NOT EXISTS blocks (seq INTEGER PRIMARY KEY, blocks TEXT NOT NULL)",
)
_FIGURES = [c for c in _COLUMNS if c != "blocks"]


def default_history_path() -> Path:
    """``$HEADROOM_HOME/history.sqlite3`` (``~/.headroom`` by default)."""
    return Path(os.environ.get("HEADROOM_HOME") or "~/.headroom").expanduser() / "history.sqlite3"


def _blocks(result: CompressResult | None, content: bool) -> list[dict[str, Any]]:
    """One entry per compressible block; a changed block's texts (as given, as sent) when ``content``."""
    if result is None:
        return []
    edits = list(result.edits)
    out = []
    for b in result.blocks:
        entry: dict[str, Any] = {
            "index": b.index,
            "kind": b.kind,
            "content_type": b.content_type,
            "compressor": b.compressor,
            "status": b.status,
            "tokens_before": b.tokens_before,
            "tokens_after": b.tokens_after,
            "ref": b.ref,
            "error": b.error,
        }
        edit = next((e for e in edits if e.index == b.index), None) if b.status == "compressed" else None
        if edit is not None:
            edits.remove(edit)
            if content:
                entry["original"], entry["sent"] = edit.old, edit.new
        out.append(entry)
    return out


def history_row(rec: RequestRecord, cost: float, saved: float, *, content: bool) -> dict[str, Any]:
    """The history row for a finished request (``content``: keep the changed blocks' texts)."""
    now = time.perf_counter()
    return {
        "id": rec.request_id,
        "ts": time.time(),
        "instance": "",
        "api": rec.api,
        "model": rec.model,
        "client": rec.client[:16],
        "action": rec.action,
        "shadow": int(rec.shadow),
        "status": rec.status,
        "tokens_before": rec.tokens_before,
        "tokens_after": rec.tokens_after,
        "cost_usd": cost,
        "saved_usd": saved,
        "cache_read": rec.usage.cache_read if rec.usage_known else 0,
        "cache_write": rec.usage.cache_write if rec.usage_known else 0,
        "retrieve_calls": rec.retrieve_calls,
        "proxy_ms": rec.proxy_seconds * 1000,
        "total_ms": (now - rec.started) * 1000,
        "error": rec.error,
        "compressors": json.dumps(rec.compressors),
        "blocks": json.dumps(_blocks(rec.result, content), ensure_ascii=False),
    }


class RequestHistory:
    """The history file: rows added as requests finish, read by the dashboard and ``headroom explain``.

    Args:
        path: the SQLite file (created with its folders on first write).
        max_rows: rows kept; older ones are deleted as new ones come.
        max_age_seconds: rows older than this are deleted.
        clock: the current time in seconds (tests inject one).
        instance: names the proxy process writing (several may share a file), so a dashboard can
            show what this one counted since it started.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        max_rows: int = 10_000,
        max_age_seconds: float = 7 * 86400,
        clock: Callable[[], float] = time.time,
        instance: str = "",
    ) -> None:
        if max_rows < 1 or not max_age_seconds > 0:
            raise ValueError("history max_rows and max_age_seconds must be positive")
        self.path = Path(path)
        self.max_rows = max_rows
        self.max_age_seconds = max_age_seconds
        self._clock = clock
        self.instance = instance
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # A short lock wait: rows are written on the proxy's event loop (another process may share the file).
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=0.25, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if conn.execute("PRAGMA user_version").fetchone()[0] != _VERSION:
                conn.execute("DROP TABLE IF EXISTS requests")
                conn.execute("DROP TABLE IF EXISTS blocks")
            for stmt in _SCHEMA:
                conn.execute(stmt)
            conn.execute(f"PRAGMA user_version = {_VERSION}")
            self._conn = conn
        return self._conn

    def add(self, row: dict[str, Any]) -> None:
        """Write one row (see `history_row`) in one transaction and trim the file to its caps."""
        row = {**row, "ts": self._clock(), "instance": self.instance}
        names = ", ".join(_FIGURES)
        marks = ", ".join(f":{c}" for c in _FIGURES)
        with self._lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                seq = db.execute(f"INSERT INTO requests ({names}) VALUES ({marks})", row).lastrowid
                db.execute("INSERT INTO blocks (seq, blocks) VALUES (?, ?)", (seq, row["blocks"]))
                self._trim(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _trim(self, db: sqlite3.Connection) -> None:
        by_rows = db.execute("SELECT seq FROM requests ORDER BY seq DESC LIMIT 1 OFFSET ?", (self.max_rows,)).fetchone()
        by_age = db.execute(
            "SELECT MAX(seq) FROM requests WHERE ts < ?", (self._clock() - self.max_age_seconds,)
        ).fetchone()
        cut = max(by_rows[0] if by_rows else 0, by_age[0] or 0)
        if cut:
            db.execute("DELETE FROM requests WHERE seq <= ?", (cut,))
            db.execute("DELETE FROM blocks WHERE seq <= ?", (cut,))

    def trim(self) -> None:
        """Apply the caps now."""
        with self._lock:
            self._trim(self._db())

    def get(self, request_id: str) -> dict[str, Any] | None:
        """One request with its blocks, or None when it is not (or no longer) in the history."""
        if not self.path.exists() and self._conn is None:
            return None
        with self._lock:
            found = (
                self._db()
                .execute("SELECT r.*, b.blocks FROM requests r JOIN blocks b USING (seq) WHERE r.id = ?", (request_id,))
                .fetchone()
            )
        if found is None:
            return None
        row = dict(found)
        row["compressors"] = json.loads(row["compressors"])
        row["blocks"] = json.loads(row["blocks"])
        return row

    def figures(self, *, instance: str | None = None, last: int | None = None) -> list[dict[str, Any]]:
        """Rows without their blocks, oldest first: only ``instance``'s when given, the ``last`` N when given."""
        where, args = self.where(instance)
        sql = f"SELECT * FROM requests {where} ORDER BY seq DESC"
        rows = [dict(r) for r in self.query(sql + (f" LIMIT {int(last)}" if last is not None else ""), args)]
        return rows[::-1]

    @staticmethod
    def where(instance: str | None, *more: str) -> tuple[str, tuple[str, ...]]:
        """A ``WHERE`` clause (and its arguments) for ``instance``'s rows and the ``more`` conditions."""
        conds = (["instance = ?"] if instance is not None else []) + list(more)
        return ("WHERE " + " AND ".join(conds) if conds else ""), ((instance,) if instance is not None else ())

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only ``sql`` over the ``requests`` table (the dashboard's aggregates)."""
        if not self.path.exists() and self._conn is None:
            return []
        with self._lock:
            return list(self._db().execute(sql, args))

    def count(self) -> int:
        """Rows in the history."""
        if not self.path.exists() and self._conn is None:
            return 0
        with self._lock:
            return int(self._db().execute("SELECT COUNT(*) FROM requests").fetchone()[0])

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
