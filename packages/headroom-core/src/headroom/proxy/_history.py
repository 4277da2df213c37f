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
_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS requests (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        ts REAL NOT NULL,
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
        compressors TEXT NOT NULL,
        blocks TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS requests_ts ON requests (ts)",
)
# Figures the dashboard aggregates: everything but the block texts.
FIGURE_COLUMNS = ", ".join(c for c in _COLUMNS if c != "blocks")


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
    """

    def __init__(
        self,
        path: str | Path,
        *,
        max_rows: int = 10_000,
        max_age_seconds: float = 7 * 86400,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_rows < 1 or not max_age_seconds > 0:
            raise ValueError("history max_rows and max_age_seconds must be positive")
        self.path = Path(path)
        self.max_rows = max_rows
        self.max_age_seconds = max_age_seconds
        self._clock = clock
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=5.0, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            for stmt in _SCHEMA:
                conn.execute(stmt)
            self._conn = conn
        return self._conn

    def add(self, row: dict[str, Any]) -> None:
        """Write one row (see `history_row`) and trim the file to its caps."""
        row = {**row, "ts": self._clock()}
        names = ", ".join(_COLUMNS)
        marks = ", ".join(f":{c}" for c in _COLUMNS)
        with self._lock:
            db = self._db()
            db.execute(f"INSERT OR REPLACE INTO requests ({names}) VALUES ({marks})", row)
            self._trim(db)

    def _trim(self, db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM requests WHERE ts < ?", (self._clock() - self.max_age_seconds,))
        db.execute(
            "DELETE FROM requests WHERE seq <= (SELECT seq FROM requests ORDER BY seq DESC LIMIT 1 OFFSET ?)",
            (self.max_rows,),
        )

    def trim(self) -> None:
        """Apply the caps now."""
        with self._lock:
            self._trim(self._db())

    def get(self, request_id: str) -> dict[str, Any] | None:
        """One request with its blocks, or None when it is not (or no longer) in the history."""
        if not self.path.exists() and self._conn is None:
            return None
        with self._lock:
            found = self._db().execute("SELECT * FROM requests WHERE id = ?", (request_id,)).fetchone()
        if found is None:
            return None
        row = dict(found)
        row["compressors"] = json.loads(row["compressors"])
        row["blocks"] = json.loads(row["blocks"])
        return row

    def figures(self, since: float = 0.0) -> list[dict[str, Any]]:
        """Every row from ``since`` on (oldest first), without block texts."""
        if not self.path.exists() and self._conn is None:
            return []
        with self._lock:
            rows = self._db().execute(
                f"SELECT {FIGURE_COLUMNS} FROM requests WHERE ts >= ? ORDER BY seq",
                (since,),
            )
            return [dict(r) for r in rows]

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
