"""CacheAligner: keep the bytes a provider has already cached, and flag what keeps it from caching.

Provider prompt caches bill a repeated prefix at a fraction of the price (Anthropic reads at 10%).
Compression is cache-safe by construction — a block's output depends only on the block and its own
task context, so turn N+1 renders every earlier block exactly as turn N did — and this module adds:

* **Breakpoints.** Content before the last Anthropic ``cache_control`` breakpoint in the messages
  was sent by an earlier request and may be cached as it was sent then. Such a block is never
  compressed afresh: it is rendered from the record of what Headroom sent for it (the "sent" record
  in the store, written whenever a request with breakpoints compresses a block), or left exactly as
  the client sent it when Headroom never sent it compressed.
* **Volatile content.** Timestamps, dates, UUIDs and request ids in the system prompt or the tool
  list change on every request and break caching upstream; they are reported, and with
  ``volatile="move"`` the system-prompt lines holding them move to the end of the prompt.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from headroom.formats import Message, Slot
from headroom.refs import make_ref

_VOLATILE = {
    "timestamp": re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\b"),
    "date": re.compile(
        r"\b\d{4}-\d{2}-\d{2}\b|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2},? \d{4}\b"
    ),
    "time": re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b|\b\d{1,2}:\d{2} ?(?:AM|PM|am|pm)\b"),
    "uuid": re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    "request_id": re.compile(
        r"\b(?:req|request|trace|span|session|run|msg)[_-](?:id[:=_ -]*)?[A-Za-z0-9]{10,}\b", re.IGNORECASE
    ),
    "unix_time": re.compile(r"\b1[6-9]\d{8}(?:\d{3})?\b"),
}
MOVED_OPEN = '<system-context moved-by="headroom" reason="changes every request">'
MOVED_CLOSE = "</system-context>"


@dataclass(frozen=True)
class VolatileValue:
    """A value in the system prompt or tools that changes between requests."""

    where: str
    kind: str
    value: str


@dataclass(frozen=True)
class CacheReport:
    """What the CacheAligner saw and did.

    Attributes:
        breakpoint: ``(message index, block index)`` of the last ``cache_control`` breakpoint in the
            messages (block index -1: on the message itself), or None.
        frozen_blocks: compressible blocks before it, which keep the bytes sent earlier.
        reused_blocks: frozen blocks rendered from the record of what Headroom sent for them.
        volatile: values that change between requests, found in the system prompt and tools.
        moved_volatile: whether system-prompt lines holding them were moved to the end of the prompt.
    """

    breakpoint: tuple[int, int] | None = None
    frozen_blocks: int = 0
    reused_blocks: int = 0
    volatile: tuple[VolatileValue, ...] = ()
    moved_volatile: bool = False


def _has_cache_control(value: Any) -> bool:
    return isinstance(value, dict) and "cache_control" in value


def last_breakpoint(messages: Sequence[Message]) -> tuple[int, int] | None:
    """Position of the last ``cache_control`` marker in the messages."""
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        content = m.get("content")
        if isinstance(content, list):
            for j in range(len(content) - 1, -1, -1):
                if _has_cache_control(content[j]):
                    return i, j
        if _has_cache_control(m):
            return i, -1
    return None


def frozen_slots(slots: Sequence[Slot], breakpoint: tuple[int, int] | None, n_messages: int) -> set[int]:
    """Indices (into ``slots``) of the slots in the cached prefix.

    That is every slot before the breakpoint's block, and the block carrying the breakpoint too
    unless it sits in the newest message (a breakpoint there marks content written to the cache by
    this very request, which Headroom compresses like any new content).
    """
    if breakpoint is None:
        return set()
    bi, bj = breakpoint
    include_own = bi < n_messages - 1
    frozen = set()
    for k, slot in enumerate(slots):
        j = slot.path[1] if len(slot.path) > 1 and isinstance(slot.path[1], int) else -1
        in_prefix = include_own if bj < 0 else (j < bj or (include_own and j == bj))
        if slot.index < bi or (slot.index == bi and in_prefix):
            frozen.add(k)
    return frozen


def sent_key(block_ref: str, task_digest: str) -> str:
    """The store key of the record of what Headroom sent for a block in a given task context."""
    return make_ref(f"headroom-sent\x00{block_ref}\x00{task_digest}")


def system_texts(value: Any) -> Iterator[str]:
    """The strings of a system prompt given as a string or a list of text blocks."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for block in value:
            if isinstance(block, str):
                yield block
            elif isinstance(block, dict) and isinstance(block.get("text"), str):
                yield block["text"]


def find_volatile(system: Any, tools: Any) -> tuple[VolatileValue, ...]:
    """Timestamps, dates, times, UUIDs, request ids and epoch times in the system prompt and tools."""
    found: list[VolatileValue] = []
    sources = [("system", t) for t in system_texts(system)]
    if tools:
        sources.append(("tools", json.dumps(tools, ensure_ascii=False, default=str)))
    for where, text in sources:
        taken: list[tuple[int, int]] = []
        for kind, pattern in _VOLATILE.items():
            for m in pattern.finditer(text):
                if any(a <= m.start() < b for a, b in taken):
                    continue  # a date inside a timestamp already reported
                taken.append(m.span())
                found.append(VolatileValue(where, kind, m.group()))
    return tuple(found)


def _is_volatile_line(line: str) -> bool:
    return any(p.search(line) for p in _VOLATILE.values())


def split_volatile(text: str) -> tuple[str, list[str]]:
    """``text`` without its volatile lines, and those lines (verbatim, in order)."""
    kept: list[str] = []
    moved: list[str] = []
    for line in text.split("\n"):
        (moved if _is_volatile_line(line) else kept).append(line)
    return "\n".join(kept), moved


def moved_block(lines: list[str]) -> str:
    """The text appended at the end of the prompt for the moved lines."""
    return "\n".join([MOVED_OPEN, *lines, MOVED_CLOSE])
