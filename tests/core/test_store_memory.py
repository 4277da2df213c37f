"""MemoryStore: the conformance suite plus what only an in-process store does."""

from __future__ import annotations

import pytest
from headroom.refs import make_ref
from headroom.store import Entry, MemoryStore, RefNotFoundError, Store
from headroom.testing import FakeClock, StoreConformance


class TestMemoryStore(StoreConformance):
    def make_store(self, *, ttl_seconds: float) -> Store:
        self.clock = FakeClock()
        return MemoryStore(ttl_seconds=ttl_seconds, clock=self.clock)

    def advance(self, store: Store, seconds: float) -> None:
        self.clock.advance(seconds)


@pytest.mark.parametrize("ttl", [0, -1.0])
def test_non_positive_ttl_is_rejected(ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl_seconds"):
        MemoryStore(ttl_seconds=ttl)


def test_entries_are_not_shared_between_instances() -> None:
    first, second = MemoryStore(), MemoryStore()
    first.put(make_ref("only in first"), Entry("only in first"))
    with pytest.raises(RefNotFoundError):
        second.get(make_ref("only in first"))
