"""Shared fixtures: an isolated default store per test, the real tool output, a store; no telemetry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from headroom import MemoryStore
from headroom.store import set_default_store

DATA = Path(__file__).parent / "data"

TASK = (
    "This is a recorded GitHub API session (project-cards). What HTTP status did "
    "`POST /orgs/octokit-fixture-org/repos` return, and what is the `id` in its response?"
)


@pytest.fixture(autouse=True)
def headroom_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own $HEADROOM_HOME (the default store never touches ~/.headroom); Agno stays offline."""
    home = tmp_path / "headroom-home"
    monkeypatch.setenv("HEADROOM_HOME", str(home))
    monkeypatch.setenv("AGNO_TELEMETRY", "false")
    set_default_store(None)
    yield home
    set_default_store(None)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture(scope="session")
def session_json() -> str:
    """A real recorded GitHub REST session (octokit/fixtures, scenario project-cards): 56 KB of JSON."""
    return (DATA / "github_project_cards.json").read_text()
