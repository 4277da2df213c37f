"""`SQLiteMemoryStore` passes the memory conformance suite, and survives a reopen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from headroom.memory import Embedder, MemoryStore, Scope, SQLiteMemoryStore, recall, remember
from headroom.testing import MemoryStoreConformance


class TestSQLiteMemoryStore(MemoryStoreConformance):
    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path: Path) -> None:
        self.tmp = tmp_path

    def make_store(self, *, clock: Callable[[], float], embedder: Embedder | None = None) -> MemoryStore:
        self._embedder = embedder
        return SQLiteMemoryStore(self.tmp / "memory.sqlite3", clock=clock, embedder=embedder)

    def reopen(self, store: MemoryStore) -> MemoryStore | None:
        return SQLiteMemoryStore(self.tmp / "memory.sqlite3", clock=self.clock, embedder=self._embedder)


def test_memories_survive_closing_and_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "memory.sqlite3"
    first = SQLiteMemoryStore(path)
    saved = first.remember("the release train leaves on Tuesdays", scope=Scope("ann", "shop"))
    first.close()
    second = SQLiteMemoryStore(path)
    try:
        assert [m.id for m in second.recall("release train", scope=Scope("ann", "shop", "s2"))] == [saved.id]
    finally:
        second.close()


def test_the_default_store_lives_under_headroom_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from headroom.memory import set_default_memory_store

    monkeypatch.setenv("HEADROOM_HOME", str(tmp_path))
    set_default_memory_store(None)
    try:
        remember("ann's editor is helix", scope=Scope("ann"))
        assert [m.text for m in recall("which editor", scope=Scope("ann", "blog"))] == ["ann's editor is helix"]
        assert (tmp_path / "memory.sqlite3").exists()
    finally:
        set_default_memory_store(None)


def test_the_memory_package_exports_an_explicit_api() -> None:
    import headroom.memory

    assert set(headroom.memory.__all__) == {
        "LEVELS",
        "Embedder",
        "Memory",
        "MemoryNotFoundError",
        "MemoryStore",
        "MemoryStoreError",
        "PostgresMemoryStore",
        "SQLiteMemoryStore",
        "Scope",
        "default_memory_store",
        "forget",
        "minilm_embedder",
        "recall",
        "remember",
        "set_default_memory_store",
    }
    assert all(hasattr(headroom.memory, name) for name in headroom.memory.__all__)
