"""Savings counters of the MCP server: this process (session) and every process ever (lifetime).

Lifetime counters live in one small SQLite file, ``$HEADROOM_HOME/stats.sqlite3`` by default, one
row per source (``"mcp"`` here). Each update is a single ``INSERT ... ON CONFLICT DO UPDATE``
statement that adds to the stored values, so any number of processes can count at once without
losing an update; readers see either the old or the new row. The file is opened per call, so no
connection is shared between threads or inherited across ``fork``.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from headroom.store import HOME_ENV

__all__ = ["SavingsLedger", "SavingsStats", "Tally", "default_stats_path"]

STATS_FILENAME = "stats.sqlite3"
_COUNTERS = ("compressions", "tokens_before", "tokens_after", "refs", "retrievals", "tokens_retrieved")
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS savings (source TEXT PRIMARY KEY, "
    + ", ".join(f"{c} INTEGER NOT NULL DEFAULT 0" for c in _COUNTERS)
    + ", first_seen REAL NOT NULL, last_seen REAL NOT NULL)"
)
_UPSERT = (
    f"INSERT INTO savings (source, {', '.join(_COUNTERS)}, first_seen, last_seen) "
    f"VALUES ({', '.join('?' * (len(_COUNTERS) + 3))}) "
    "ON CONFLICT(source) DO UPDATE SET "
    + ", ".join(f"{c} = {c} + excluded.{c}" for c in _COUNTERS)
    + ", last_seen = MAX(last_seen, excluded.last_seen)"
)


def default_stats_path() -> Path:
    """``$HEADROOM_HOME/stats.sqlite3`` (``~/.headroom`` when ``HEADROOM_HOME`` is unset)."""
    return Path(os.environ.get(HOME_ENV) or "~/.headroom").expanduser() / STATS_FILENAME


@dataclass(frozen=True)
class Tally:
    """What was compressed and retrieved.

    Attributes:
        compressions: ``headroom_compress`` calls.
        tokens_before: tokens of the content given to ``headroom_compress``.
        tokens_after: tokens of what it returned (markers included).
        refs: refs named by the markers it wrote.
        retrievals: successful ``headroom_retrieve`` calls.
        tokens_retrieved: tokens that ``headroom_retrieve`` brought back.
    """

    compressions: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    refs: int = 0
    retrievals: int = 0
    tokens_retrieved: int = 0

    @property
    def tokens_saved(self) -> int:
        """``tokens_before - tokens_after``."""
        return self.tokens_before - self.tokens_after

    @property
    def net_tokens_saved(self) -> int:
        """Tokens saved minus tokens spent fetching originals back."""
        return self.tokens_saved - self.tokens_retrieved

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(a + b for a, b in zip(self.counters(), other.counters(), strict=True)))

    def counters(self) -> tuple[int, ...]:
        """The counters in field order."""
        return dataclasses.astuple(self)

    def report(self) -> dict[str, int | float]:
        """The counters plus the derived savings, as plain JSON-ready values."""
        ratio = self.tokens_saved / self.tokens_before if self.tokens_before else 0.0
        return {
            **dataclasses.asdict(self),
            "tokens_saved": self.tokens_saved,
            "net_tokens_saved": self.net_tokens_saved,
            "compression_ratio": round(ratio, 4),
        }


class SavingsLedger:
    """Lifetime counters in a SQLite file shared by every process that writes to it.

    Args:
        path: the database file; it and its folder are created on the first `add`.
        source: the row this ledger adds to and reads.
        timeout_seconds: how long to wait for another process's write lock.
    """

    def __init__(self, path: str | os.PathLike[str], *, source: str = "mcp", timeout_seconds: float = 10.0) -> None:
        self.path = Path(path)
        self.source = source
        self._timeout = timeout_seconds

    def __repr__(self) -> str:
        return f"SavingsLedger({str(self.path)!r}, source={self.source!r})"

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: each statement below is its own atomic transaction.
        conn = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
        conn.execute(_SCHEMA)
        return conn

    def add(self, delta: Tally) -> None:
        """Add ``delta`` to the stored counters in one atomic statement.

        Raises:
            sqlite3.Error, OSError: the file cannot be created or written.
        """
        now = time.time()
        conn = self._connect()
        try:
            conn.execute(_UPSERT, (self.source, *delta.counters(), now, now))
        finally:
            conn.close()

    def total(self) -> Tally:
        """The stored counters (all zero when nothing was counted yet, or the file does not exist).

        Raises:
            sqlite3.Error: the file exists but cannot be read.
        """
        if not self.path.exists():
            return Tally()
        conn = self._connect()
        try:
            row = conn.execute(
                f"SELECT {', '.join(_COUNTERS)} FROM savings WHERE source = ?", (self.source,)
            ).fetchone()
        finally:
            conn.close()
        return Tally(*row) if row else Tally()


class SavingsStats:
    """Session counters in memory plus an optional lifetime `SavingsLedger`.

    A failing ledger never fails a tool call: the session still counts, and `lifetime` says what
    went wrong.

    Args:
        ledger: where lifetime counters are kept; None keeps only the session.
    """

    def __init__(self, ledger: SavingsLedger | None) -> None:
        self.ledger = ledger
        self._lock = threading.Lock()
        self._session = Tally()
        self.ledger_error: str | None = None

    @property
    def session(self) -> Tally:
        """What this process counted."""
        with self._lock:
            return self._session

    def record(self, delta: Tally) -> None:
        """Count ``delta`` in the session and, when there is a ledger, in the lifetime counters."""
        with self._lock:
            self._session = self._session + delta
        if self.ledger is None:
            return
        try:
            self.ledger.add(delta)
        except (sqlite3.Error, OSError) as e:
            self.ledger_error = f"cannot update {self.ledger.path}: {e}"
        else:
            self.ledger_error = None

    def lifetime(self) -> tuple[Tally | None, str | None]:
        """``(counters, note)``: note is None, or says why the counters are missing or may lag behind."""
        if self.ledger is None:
            return None, "lifetime counting is off for this server"
        error = self.ledger_error
        if error and not self.ledger.path.exists():
            return None, error
        try:
            return self.ledger.total(), error and f"the last update failed, so this may lag behind: {error}"
        except (sqlite3.Error, OSError) as e:
            return None, f"cannot read {self.ledger.path}: {e}"
