"""The process-wide default store: where it lives, when it is created, and the package's exports."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import headroom.store
import headroom.testing
import pytest
from headroom.refs import make_ref
from headroom.store import (
    DEFAULT_TTL_SECONDS,
    Entry,
    MemoryStore,
    SQLiteStore,
    StoreError,
    default_store,
    set_default_store,
)


@pytest.fixture(autouse=True)
def _fresh_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.delenv("HEADROOM_STORE_TTL", raising=False)
    # Never let a test fall back to the real ~/.headroom.
    monkeypatch.setenv("HOME", str(tmp_path / "fake-home"))
    monkeypatch.delenv("HEADROOM_HOME", raising=False)
    set_default_store(None)
    yield
    set_default_store(None)


def test_headroom_home_is_respected_and_the_file_appears_on_first_use(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = tmp_path / "headroom-home"
    monkeypatch.setenv("HEADROOM_HOME", str(home))
    db = home / "store.sqlite3"
    store = default_store()
    assert not db.exists(), "the default store touched the disk before it was used"
    store.put(make_ref("original"), Entry("original"))
    assert db.is_file()
    reopened = SQLiteStore(db)
    assert reopened.get(make_ref("original")).content == "original"
    reopened.close()


def test_default_location_is_dot_headroom_in_the_home_folder(tmp_path: Path) -> None:
    store = default_store()
    store.put(make_ref("x"), Entry("x"))
    assert (tmp_path / "fake-home" / ".headroom" / "store.sqlite3").is_file()


def test_headroom_home_is_read_at_first_call_not_at_import(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HEADROOM_HOME", str(tmp_path / "first"))
    first = default_store()
    monkeypatch.setenv("HEADROOM_HOME", str(tmp_path / "second"))
    assert default_store() is first, "changing the environment replaced the default store"
    set_default_store(None)
    second = default_store()
    assert second is not first
    second.put(make_ref("y"), Entry("y"))
    assert (tmp_path / "second" / "store.sqlite3").is_file()
    assert not (tmp_path / "first").exists()


def test_same_object_is_returned_every_time_and_from_every_thread() -> None:
    barrier = threading.Barrier(8)
    seen: list[object] = []

    def call() -> None:
        barrier.wait(timeout=10)
        seen.append(default_store())

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(seen) == 8
    assert all(store is seen[0] for store in seen), "concurrent first calls created several stores"
    assert default_store() is seen[0]


def test_ttl_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_store().ttl_seconds == DEFAULT_TTL_SECONDS
    set_default_store(None)
    monkeypatch.setenv("HEADROOM_STORE_TTL", "3600")
    assert default_store().ttl_seconds == 3600.0


@pytest.mark.parametrize("value", ["soon", "0", "-5", "nan"])
def test_a_bad_ttl_in_the_environment_is_named_in_the_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("HEADROOM_STORE_TTL", value)
    with pytest.raises(StoreError, match="HEADROOM_STORE_TTL"):
        default_store()


def test_set_default_store_installs_any_store() -> None:
    mine = MemoryStore()
    set_default_store(mine)
    assert default_store() is mine


def test_public_names() -> None:
    assert sorted(headroom.store.__all__) == [
        "DEFAULT_TTL_SECONDS",
        "Entry",
        "MemoryStore",
        "RefConflictError",
        "RefError",
        "RefExpiredError",
        "RefNotFoundError",
        "SQLiteStore",
        "Store",
        "StoreError",
        "default_store",
        "open_store",
        "set_default_store",
    ]
    assert {"FakeClock", "StoreConformance"} <= set(headroom.testing.__all__)
    for module in (headroom.store, headroom.testing):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name} is listed but missing"


def test_open_store_by_url(tmp_path: Path) -> None:
    from headroom.store import MemoryStore, SQLiteStore, open_store

    assert isinstance(open_store("memory://"), MemoryStore)
    sqlite = open_store(f"sqlite:///{tmp_path}/a.sqlite3", ttl_seconds=60)
    assert isinstance(sqlite, SQLiteStore) and sqlite.ttl_seconds == 60
    assert isinstance(open_store(str(tmp_path / "b.sqlite3")), SQLiteStore)
    with pytest.raises(ValueError, match="unsupported store URL"):
        open_store("ftp://example")
