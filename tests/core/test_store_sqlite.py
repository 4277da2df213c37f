"""SQLiteStore: the conformance suite, plus files, processes, large entries and failed writes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from headroom.refs import make_ref
from headroom.store import Entry, RefConflictError, RefNotFoundError, SQLiteStore, Store, StoreError
from headroom.testing import FakeClock, StoreConformance


class TestSQLiteStore(StoreConformance):
    @pytest.fixture(autouse=True)
    def _db_path(self, tmp_path: Path) -> None:
        self.path = tmp_path / "store.sqlite3"

    def make_store(self, *, ttl_seconds: float) -> Store:
        self.clock = FakeClock()
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


def test_entries_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    entry = Entry("kept across restarts \udcff\r\n", kind="code", meta={"symbol": "main"})
    first = SQLiteStore(path)
    first.put(make_ref(entry.content), entry)
    first.close()
    second = SQLiteStore(path)
    assert second.get(make_ref(entry.content)) == entry
    second.close()


def test_wal_journal_mode_is_on(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = SQLiteStore(path)
    store.put(make_ref("x"), Entry("x"))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_access_refreshed_by_one_instance_is_seen_by_another(tmp_path: Path) -> None:
    path, clock = tmp_path / "store.sqlite3", FakeClock()
    reader = SQLiteStore(path, ttl_seconds=100, clock=clock)
    other = SQLiteStore(path, ttl_seconds=100, clock=clock)
    reader.put(make_ref("shared"), Entry("shared"))
    clock.advance(60)
    assert reader.get(make_ref("shared")).content == "shared"
    clock.advance(60)
    assert other.get(make_ref("shared")).content == "shared", "the refresh was not written to the file"
    reader.close()
    other.close()


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


def test_use_after_close_raises_store_error(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.sqlite3")
    store.put(make_ref("x"), Entry("x"))
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.get(make_ref("x"))


def test_a_file_that_is_not_a_database_gives_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    path.write_bytes(b"this is not an SQLite database, just some text " * 100)
    store = SQLiteStore(path)
    with pytest.raises(StoreError, match=r"store\.sqlite3"):
        store.get(make_ref("x"))


def _content(who: str, i: int) -> str:
    # Keep in step with content() in _CHILD below.
    return f"{who} entry {i} — ünïcode ✓ \udcff\r\n" + "payload " * (i % 50)


_SHARED = "written by both processes at once"

_CHILD = r"""
import sys, time
from headroom.refs import make_ref
from headroom.store import Entry, RefNotFoundError, SQLiteStore

def content(who, i):
    return f"{who} entry {i} — ünïcode ✓ \udcff\r\n" + "payload " * (i % 50)

path, count = sys.argv[1], int(sys.argv[2])
shared = "written by both processes at once"
store = SQLiteStore(path)
print("ready", flush=True)
sys.stdin.readline()
missing = set(range(count))

def read_parent():
    for i in sorted(missing):
        try:
            got = store.get(make_ref(content("parent", i)))
        except RefNotFoundError:
            continue
        assert got.content == content("parent", i), f"parent entry {i} changed"
        assert got.meta == {"by": "parent"}, got.meta
        missing.discard(i)

for i in range(count):
    store.put(make_ref(content("child", i)), Entry(content("child", i), meta={"by": "child"}))
    store.put(make_ref(shared), Entry(shared))
    read_parent()
deadline = time.monotonic() + 60
while missing and time.monotonic() < deadline:
    read_parent()
    time.sleep(0.01)
print("missing", sorted(missing) if missing else "none", flush=True)
sys.exit(1 if missing else 0)
"""


@pytest.mark.slow
def test_two_processes_write_and_read_each_others_entries_concurrently(tmp_path: Path) -> None:
    path, count = tmp_path / "shared" / "store.sqlite3", 150
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "ready"
        store = SQLiteStore(path)
        child.stdin.write("go\n")
        child.stdin.flush()
        missing = set(range(count))
        deadline = time.monotonic() + 60
        i = 0
        while (i < count or missing) and time.monotonic() < deadline:
            if i < count:
                store.put(make_ref(_content("parent", i)), Entry(_content("parent", i), meta={"by": "parent"}))
                store.put(make_ref(_SHARED), Entry(_SHARED))
                i += 1
            elif child.poll() not in (None, 0):
                break
            else:
                time.sleep(0.01)
            for j in sorted(missing):
                try:
                    got = store.get(make_ref(_content("child", j)))
                except RefNotFoundError:
                    continue
                assert got == Entry(_content("child", j), meta={"by": "child"})
                missing.discard(j)
        out, err = child.communicate(timeout=90)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, f"child process failed:\n{out}\n{err}"
    assert missing == set(), f"child entries never seen by the parent: {sorted(missing)}"
    with pytest.raises(RefConflictError):
        store.put(make_ref(_content("child", 0)), Entry("different content"))
    assert store.get(make_ref(_SHARED)).content == _SHARED
    store.close()
