"""Shared fixtures: an isolated default store per test, the real tool output, a store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from headroom import MemoryStore
from headroom.store import set_default_store

DATA = Path(__file__).parent / "data"


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
def auth_log() -> str:
    """400 real lines of an OpenSSH auth log (loghub), as a log-reading tool would return them."""
    return (DATA / "openssh_2k_lines_1201-1600.log").read_text()


@pytest.fixture(scope="session")
def article() -> str:
    """A real encyclopedia article (SQuAD 2.0 context paragraphs, "Normans")."""
    return (DATA / "squad2_normans.txt").read_text()
