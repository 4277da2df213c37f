"""CacheAligner: which slots must keep their bytes so the provider's prompt cache keeps hitting.

This first version freezes nothing: compression is already deterministic per block (same bytes in
any process), which keeps earlier turns byte-stable. Honouring ``cache_control`` breakpoints and
volatile-content detection come with the cache-safety work.
"""

from __future__ import annotations

from collections.abc import Sequence

from headroom.formats import Message, Slot


def frozen_slots(messages: Sequence[Message], slots: Sequence[Slot]) -> set[int]:
    """Indices (into ``slots``) of slots that must not be edited. None yet."""
    return set()
