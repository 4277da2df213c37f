"""Shared fixtures: an isolated default store per test, the real tool output, a store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from headroom import MemoryStore
from headroom.store import set_default_store

DATA = Path(__file__).parent / "data"

TASK = "Scan this HDFS log and report the unusual, rarely occurring events (not the routine repeated ones)."


@pytest.fixture(autouse=True)
def headroom_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own $HEADROOM_HOME, so the default store never touches ~/.headroom."""
    home = tmp_path / "headroom-home"
    monkeypatch.setenv("HEADROOM_HOME", str(home))
    set_default_store(None)
    yield home
    set_default_store(None)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture(scope="session")
def hdfs_log() -> str:
    """400 real lines of an HDFS DataNode/NameNode log (loghub HDFS_2k, lines 1201-1600)."""
    return (DATA / "hdfs.log").read_text()
