"""`PersistentStoreConformance`: the `StoreConformance` contract plus what a shared, persistent store promises.

A persistent backend (SQLite file, Redis server) is opened by many store instances and processes at
once: a proxy's replicas, the CLI next to a running proxy. Example::

    class TestSQLiteStore(PersistentStoreConformance):
        @pytest.fixture(autouse=True)
        def _path(self, tmp_path):
            self.url = f"sqlite:///{tmp_path}/store.sqlite3"

        def store_url(self) -> str:
            return self.url

Every store made within one test (`make_store`, by default ``open_store(store_url())``) opens the
same data, which starts empty for each test.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from headroom.api import compress_text, retrieve
from headroom.refs import make_ref
from headroom.store import Entry, RefConflictError, RefNotFoundError, Store, open_store
from headroom.testing.store_conformance import StoreConformance

__all__ = ["PersistentStoreConformance"]

_F = TypeVar("_F", bound=Callable[..., object])

try:  # pytest, when it runs the suite, is told which test takes seconds (another process)
    from pytest import mark as _mark

    _slow: Callable[[_F], _F] = _mark.slow
except ImportError:  # pragma: no cover - the suite is plain classes without pytest too

    def _slow(test: _F) -> _F:
        return test


_SHARED = "written by both processes at once"
_CHILD = r"""
import sys, time
from headroom.refs import make_ref
from headroom.store import Entry, RefNotFoundError, open_store

def content(who, i):
    return f"{who} entry {i} — ünïcode ✓ \udcff\r\n" + "payload " * (i % 50)

url, count = sys.argv[1], int(sys.argv[2])
store = open_store(url)
print("ready", flush=True)
sys.stdin.readline()
missing = set(range(count))

def read_parent():
    for i in sorted(missing):
        try:
            got = store.get(make_ref(content("parent", i)))
        except RefNotFoundError:
            continue
        assert got == Entry(content("parent", i), meta={"by": "parent"}), f"parent entry {i} changed"
        missing.discard(i)

for i in range(count):
    store.put(make_ref(content("child", i)), Entry(content("child", i), meta={"by": "child"}))
    store.put(make_ref(sys.argv[3]), Entry(sys.argv[3]))
    read_parent()
deadline = time.monotonic() + 60
while missing and time.monotonic() < deadline:
    read_parent()
    time.sleep(0.01)
print("missing", sorted(missing) if missing else "none", flush=True)
sys.exit(1 if missing else 0)
"""


def _content(who: str, i: int) -> str:
    # Keep in step with content() in _CHILD.
    return f"{who} entry {i} — ünïcode ✓ \udcff\r\n" + "payload " * (i % 50)


class PersistentStoreConformance(StoreConformance):
    """`StoreConformance`, plus: entries outlive an instance and are shared by instances and processes.

    Implement `store_url` (override `make_store` too when the store takes a clock: every store it
    returns in one test must share it, and `advance` must move it).
    """

    process_entries: int = 150
    """How many entries each of two processes writes in the concurrency test."""

    def store_url(self) -> str:
        """The URL `headroom.store.open_store` opens this test's data with (empty at the test's start)."""
        raise NotImplementedError("subclasses of PersistentStoreConformance must implement store_url")

    def make_store(self, *, ttl_seconds: float) -> Store:
        """Another instance on this test's data."""
        return open_store(self.store_url(), ttl_seconds=ttl_seconds)

    def test_entries_outlive_the_instance_that_wrote_them(self) -> None:
        entry = Entry("kept across restarts \udcff\r\n", kind="code", meta={"symbol": "main"})
        first = self._store()
        first.put(make_ref(entry.content), entry)
        first.close()
        assert self._store().get(make_ref(entry.content)) == entry

    def test_access_refreshed_by_one_instance_is_seen_by_another(self) -> None:
        ttl = self.expiry_ttl_seconds
        reader, other = self._store(ttl), self._store(ttl)
        reader.put(make_ref("shared"), Entry("shared"))
        self.advance(reader, ttl * 0.6)
        assert reader.get(make_ref("shared")).content == "shared"
        self.advance(reader, ttl * 0.6)
        assert other.get(make_ref("shared")).content == "shared", "the refresh was not shared"

    def test_a_marker_written_through_one_store_is_redeemed_through_another(self) -> None:
        log = "".join(
            f"2024-05-01T10:{i // 60 % 60:02d}:{i % 60:02d}Z INFO worker-{i % 7} processed batch {i} in {i % 13}ms\n"
            for i in range(1500)
        )
        log += "2024-05-01T11:00:00Z ERROR worker-3 lost connection to db-primary: timeout after 30s\n"
        writer, reader = self._store(), self._store()
        result = compress_text(log, query="why did the worker fail?", store=writer)
        assert result.refs, "the log was not compressed, so nothing was stored"
        assert "lost connection to db-primary" in result.text
        assert retrieve(result.refs[0], store=reader) == log

    @_slow
    def test_two_processes_write_and_read_each_others_entries_concurrently(self) -> None:
        count = self.process_entries
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, self.store_url(), str(count), _SHARED],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdin is not None and child.stdout is not None
        # Both processes on the real clock (a test's fake clock would make the other's entries look expired).
        store, missing = open_store(self.store_url()), set(range(count))
        self.__dict__.setdefault("_conformance_stores", []).append(store)
        try:
            assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr else ""
            child.stdin.write("go\n")
            child.stdin.flush()
            deadline = time.monotonic() + 60
            for i in range(count):
                store.put(make_ref(_content("parent", i)), Entry(_content("parent", i), meta={"by": "parent"}))
                store.put(make_ref(_SHARED), Entry(_SHARED))
                self._read_childs_entries(store, missing)
            while missing and child.poll() in (None, 0) and time.monotonic() < deadline:
                self._read_childs_entries(store, missing)
                time.sleep(0.01)
            out, err = child.communicate(timeout=90)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        assert child.returncode == 0, f"child process failed:\n{out}\n{err}"
        assert missing == set(), f"child entries never seen by the parent: {sorted(missing)}"
        try:
            store.put(make_ref(_content("child", 0)), Entry("different content"))
        except RefConflictError:
            pass
        else:
            raise AssertionError("a conflicting put over the other process's entry was accepted")
        assert store.get(make_ref(_SHARED)).content == _SHARED

    @staticmethod
    def _read_childs_entries(store: Store, missing: set[int]) -> None:
        for j in sorted(missing):
            try:
                got = store.get(make_ref(_content("child", j)))
            except RefNotFoundError:
                continue
            assert got == Entry(_content("child", j), meta={"by": "child"}), f"child entry {j} changed"
            missing.discard(j)
