"""`MemoryStore`: a process-local `Store` kept in a dict, for tests and short-lived programs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from headroom.store._protocol import (
    DEFAULT_TTL_SECONDS,
    Entry,
    RefConflictError,
    RefExpiredError,
    RefNotFoundError,
    StoreError,
)

__all__ = ["MemoryStore"]

_SWEEP_EVERY_PUTS = 1024
"""Expired entries that are never looked up again are swept out on every this-many puts."""


@dataclass
class _Slot:
    entry: Entry
    accessed: float


def _copy(entry: Entry) -> Entry:
    # Entry is frozen but its meta dict is not: copy so callers cannot change what is stored.
    return Entry(content=entry.content, kind=entry.kind, meta=dict(entry.meta))


class MemoryStore:
    """A `Store` that keeps entries in memory, guarded by a lock.

    Entries expire after ``ttl_seconds`` without a ``get`` or ``put`` (idle time, not age) and are
    dropped the next time they are looked up. Nothing survives the process.

    Args:
        ttl_seconds: idle time after which an entry expires. Must be positive.
        clock: returns the current time in seconds; tests inject a fake one.

    Example:
        >>> from headroom.refs import make_ref
        >>> store = MemoryStore()
        >>> ref = make_ref("original")
        >>> store.put(ref, Entry("original"))
        >>> store.get(ref).content
        'original'
    """

    def __init__(
        self,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not ttl_seconds > 0:
            raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds!r}")
        self.ttl_seconds = float(ttl_seconds)
        self._clock = clock
        self._lock = threading.Lock()
        self._slots: dict[str, _Slot] = {}
        self._puts = 0
        self._closed = False

    def put(self, ref: str, entry: Entry) -> None:
        """Store ``entry`` under ``ref``.

        Storing the same content again only refreshes the entry's last access.

        Raises:
            RefConflictError: ``ref`` holds different, unexpired content.
            StoreError: the store was closed.
        """
        with self._lock:
            self._check_open()
            now = self._clock()
            self._puts += 1
            if self._puts % _SWEEP_EVERY_PUTS == 0:
                self._sweep(now)
            slot = self._slots.get(ref)
            if slot is not None and not self._expired(slot, now):
                if slot.entry.content != entry.content:
                    raise RefConflictError(ref)
                slot.accessed = now
                return
            self._slots[ref] = _Slot(entry=_copy(entry), accessed=now)

    def get(self, ref: str) -> Entry:
        """Return the entry under ``ref`` and refresh its last access.

        Raises:
            RefNotFoundError: nothing is stored under ``ref``.
            RefExpiredError: the entry sat unused for longer than ``ttl_seconds``; it is dropped.
            StoreError: the store was closed.
        """
        with self._lock:
            self._check_open()
            now = self._clock()
            slot = self._slots.get(ref)
            if slot is None:
                raise RefNotFoundError(ref, "the in-memory store")
            if self._expired(slot, now):
                del self._slots[ref]
                raise RefExpiredError(ref, now - slot.accessed, self.ttl_seconds)
            slot.accessed = now
            return _copy(slot.entry)

    def contains(self, ref: str) -> bool:
        """True when ``ref`` holds an unexpired entry. Does not refresh the access time."""
        with self._lock:
            self._check_open()
            slot = self._slots.get(ref)
            return slot is not None and not self._expired(slot, self._clock())

    def delete(self, ref: str) -> None:
        """Remove ``ref`` if present; a missing ref is not an error."""
        with self._lock:
            self._check_open()
            self._slots.pop(ref, None)

    def close(self) -> None:
        """Drop every entry. Any later call raises `StoreError`; closing twice is harmless."""
        with self._lock:
            self._slots.clear()
            self._closed = True

    def _sweep(self, now: float) -> None:
        stale = [ref for ref, slot in self._slots.items() if self._expired(slot, now)]
        for ref in stale:
            del self._slots[ref]

    def _expired(self, slot: _Slot, now: float) -> bool:
        return now - slot.accessed > self.ttl_seconds

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the in-memory store is closed")
