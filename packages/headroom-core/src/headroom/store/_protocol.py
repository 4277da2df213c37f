"""The `Store` protocol and its errors: where originals live while markers stand in for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

DEFAULT_TTL_SECONDS = 7 * 24 * 3600
"""Entries expire after this long without being read or written (idle time, not age)."""


class StoreError(Exception):
    """Base class of every store failure."""


class RefError(StoreError, LookupError):
    """A ref cannot be redeemed. The message says which ref and why."""

    def __init__(self, ref: str, reason: str) -> None:
        super().__init__(f"headroom ref {ref!r} {reason}")
        self.ref = ref
        self.reason = reason


class RefNotFoundError(RefError):
    """No entry was ever stored under the ref (or it was deleted)."""

    def __init__(self, ref: str, where: str = "") -> None:
        suffix = f" in {where}" if where else ""
        super().__init__(ref, f"was not found{suffix}")


class RefExpiredError(RefError):
    """The entry existed but sat unused for longer than the store's TTL."""

    def __init__(self, ref: str, idle_seconds: float, ttl_seconds: float) -> None:
        super().__init__(
            ref,
            f"has expired: unused for {idle_seconds:.0f}s, longer than the store's ttl of {ttl_seconds:.0f}s",
        )


class RefConflictError(StoreError, ValueError):
    """`put` was asked to store different content under a ref that already holds something."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"headroom ref {ref!r} already holds different content; refusing to overwrite")
        self.ref = ref


@dataclass(frozen=True)
class Entry:
    """One stored original.

    Attributes:
        content: the original text, exactly as it was before compression.
        kind: what the content is (``"text"``, ``"json"``, ``"code"``, ...), used by retrieval
            to filter rows or lines by query.
        meta: small free-form string metadata (e.g. the compressor that produced the marker).
    """

    content: str
    kind: str = "text"
    meta: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class Store(Protocol):
    """Where originals are kept so that every marker can be redeemed.

    Implementations must pass `headroom.testing.StoreConformance`. Contract:

    * ``put`` is idempotent: storing the same content under the same ref again is a no-op
      (it refreshes the entry's last access). Different content under a ref that already holds
      something raises `RefConflictError`. A write is atomic: after a failure nothing is stored.
    * ``get`` returns the entry and refreshes its last access; a missing ref raises
      `RefNotFoundError`, one idle for longer than the TTL raises `RefExpiredError`.
    * Safe to use from several threads; persistent backends from several processes too.
    """

    ttl_seconds: float

    def put(self, ref: str, entry: Entry) -> None:
        """Store ``entry`` under ``ref`` (see the class docstring for the contract)."""
        ...

    def get(self, ref: str) -> Entry:
        """Return the entry stored under ``ref`` and refresh its last access."""
        ...

    def contains(self, ref: str) -> bool:
        """True when ``ref`` holds a live (unexpired) entry. Does not refresh the access time."""
        ...

    def delete(self, ref: str) -> None:
        """Remove ``ref`` if present; a missing ref is not an error."""
        ...

    def close(self) -> None:
        """Release resources. The store must not be used afterwards."""
        ...
