"""Checks shared by the cache and fitting tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from headroom.formats import get_format


def pairs_intact(fmt: str, messages: Sequence[dict[str, Any]]) -> bool:
    """Every tool call is answered, and every answer comes after its call."""
    adapter = get_format(fmt)
    open_calls: set[str] = set()
    for m in messages:
        for answered in adapter.answers(m):
            if answered not in open_calls:
                return False
            open_calls.discard(answered)
        open_calls |= {c.id for c in adapter.tool_calls(m)}
    return not open_calls
