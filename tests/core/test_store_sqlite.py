"""SQLiteStore: the conformance suite, plus files, processes, large entries and failed writes."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from headroom.refs import make_ref
from headroom.store import Entry, RefNotFoundError, SQLiteStore, Store, StoreError
from headroom.testing import FakeClock, PersistentStoreConformance


class TestSQLiteStore(PersistentStoreConformance):
    @pytest.fixture(autouse=True)
    def _db_path(self, tmp_path: Path) -> None:
        self.path = tmp_path / "shared" / "store.sqlite3"
        self.clock = FakeClock()  # one clock for every instance a test opens on the file

    def store_url(self) -> str:
        return f"sqlite:///{self.path}"

    def make_store(self, *, ttl_seconds: float) -> Store:
        return SQLiteStore(self.path, ttl_seconds=ttl_seconds, clock=self.clock)

    def advance(self, store: Store, seconds: float) -> None:
        self.clock.advance(seconds)


def _rows(path: Path) -> list[str]:
    """The refs physically present in the database file, read with a separate connection."""
    with sqlite3.connect(path, timeout=1) as conn:
        return [row[0] for row in conn.execute("SELECT ref FROM entries ORDER BY ref")]


def test_file_and_folders_are_created_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "home" / "store.sqlite3"
    store = SQLiteStore(path)
    assert not path.parent.exists(), "the constructor touched the file system"
    assert not store.contains(make_ref("anything"))
    assert path.is_file()
    store.close()


def test_wal_journal_mode_is_on(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = SQLiteStore(path)
    store.put(make_ref("x"), Entry("x"))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


@pytest.mark.slow
def test_fifty_megabyte_entry_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    content = "".join(f"{i:09d} ünïcode ✓ line of a build log\r\n" for i in range(50 * 1024 * 1024 // 36))
    writer = SQLiteStore(path)
    writer.put(make_ref(content), Entry(content, kind="log"))
    writer.put(make_ref(content), Entry(content, kind="log"))
    writer.close()
    reader = SQLiteStore(path)
    got = reader.get(make_ref(content))
    assert len(got.content) == len(content)
    assert got.content == content
    reader.close()


def test_unencodable_kind_is_refused_clearly_and_nothing_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = SQLiteStore(path)
    ref = make_ref("content")
    with pytest.raises(StoreError, match="kind"):
        store.put(ref, Entry("content", kind="bad \udcff kind"))
    with pytest.raises(RefNotFoundError):
        store.get(ref)
    store.close()


def test_a_put_that_fails_midway_leaves_no_row_and_no_lock(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = SQLiteStore(path)
    store.put(make_ref("before"), Entry("before"))
    # RAISE(FAIL) after the insert keeps the inserted row inside the open transaction: only a
    # rollback by the store removes it.
    with sqlite3.connect(path, timeout=1, isolation_level=None) as conn:
        conn.execute(
            "CREATE TRIGGER fail_late AFTER INSERT ON entries WHEN NEW.kind = 'doomed'"
            " BEGIN SELECT RAISE(FAIL, 'disk full (simulated)'); END"
        )
    ref = make_ref("doomed content")
    with pytest.raises(StoreError, match="simulated"):
        store.put(ref, Entry("doomed content", kind="doomed"))
    assert not store.contains(ref)
    # A second connection can write at once: the failed put holds no lock.
    with sqlite3.connect(path, timeout=1, isolation_level=None) as conn:
        conn.execute("DROP TRIGGER fail_late")
    assert _rows(path) == [make_ref("before")]
    store.put(ref, Entry("doomed content", kind="doomed"))
    assert store.get(ref).content == "doomed content"
    store.close()


def test_expired_rows_are_purged_from_the_file(tmp_path: Path) -> None:
    path, clock = tmp_path / "store.sqlite3", FakeClock()
    store = SQLiteStore(path, ttl_seconds=10, clock=clock, purge_every=3)
    store.put(make_ref("old"), Entry("old"))
    clock.advance(20)
    store.put(make_ref("new 1"), Entry("new 1"))
    assert make_ref("old") in _rows(path)
    store.put(make_ref("new 2"), Entry("new 2"))
    assert sorted(_rows(path)) == sorted([make_ref("new 1"), make_ref("new 2")])
    store.close()


def test_expired_rows_are_purged_when_a_store_opens(tmp_path: Path) -> None:
    path, clock = tmp_path / "store.sqlite3", FakeClock()
    first = SQLiteStore(path, ttl_seconds=10, clock=clock)
    first.put(make_ref("old"), Entry("old"))
    first.close()
    clock.advance(20)
    second = SQLiteStore(path, ttl_seconds=10, clock=clock)
    assert not second.contains(make_ref("old"))
    assert _rows(path) == []
    second.close()


def test_opening_waits_for_another_writer_on_a_new_file(tmp_path: Path) -> None:
    # A fresh file is still in rollback-journal mode; switching it to WAL while another process
    # holds the write lock fails at once in SQLite instead of waiting, so the store must retry.
    path = tmp_path / "store.sqlite3"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: other.execute("ROLLBACK"))
    release.start()
    store = SQLiteStore(path, timeout_seconds=10)
    try:
        store.put(make_ref("waited"), Entry("waited"))
        assert store.get(make_ref("waited")).content == "waited"
    finally:
        release.join()
        other.close()
        store.close()


def test_a_file_that_is_not_a_database_gives_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    path.write_bytes(b"this is not an SQLite database, just some text " * 100)
    store = SQLiteStore(path)
    with pytest.raises(StoreError, match=r"store\.sqlite3"):
        store.get(make_ref("x"))
