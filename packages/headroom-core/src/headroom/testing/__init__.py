"""Test doubles and conformance suites for code built on Headroom.

Importing this package needs no pytest; the suites are plain classes that pytest collects once
they are subclassed as ``Test...``.
"""

from __future__ import annotations

from headroom.testing.fake_upstream import FakeToolCall, FakeUpstream, RecordedRequest, Reply
from headroom.testing.memory_conformance import ConceptEmbedder, MemoryStoreConformance
from headroom.testing.persistent_store_conformance import PersistentStoreConformance
from headroom.testing.store_conformance import FakeClock, StoreConformance

__all__ = [
    "ConceptEmbedder",
    "FakeClock",
    "FakeToolCall",
    "FakeUpstream",
    "MemoryStoreConformance",
    "PersistentStoreConformance",
    "RecordedRequest",
    "Reply",
    "StoreConformance",
]
