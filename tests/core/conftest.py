"""Shared fixtures: an isolated default store per test, and a proxy in front of a fake upstream."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from headroom import MemoryStore
from headroom.store import set_default_store

from tests.core.proxy_support import Rig, rig


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


@pytest.fixture(scope="module")
def proxy_rig() -> Iterator[Rig]:
    """A fake upstream and a real proxy in front of it, shared by one module's tests (a module may
    override this fixture with other settings)."""
    with rig() as r:
        yield r


@pytest.fixture
def env(proxy_rig: Rig) -> Rig:
    """The module's proxy rig, with the fake upstream's records and script cleared for this test."""
    proxy_rig.up.clear()
    return proxy_rig


# The ML tests import torch; scripts/test.sh runs them (-m ml) in an environment that has it, and
# the main run, which has no torch, does not collect them at all.
if importlib.util.find_spec("torch") is None:
    collect_ignore_glob = ["test_ml_*.py"]
