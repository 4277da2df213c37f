"""Task context per block: the user text that preceded the block's own tool call, and that call.

Computed from the messages before the block only, so a block's context — and therefore its
compression — never changes as the conversation grows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from headroom.compressors import TaskContext
from headroom.formats import FormatAdapter, Message, Slot, ToolCall
from headroom.markers import RETRIEVE_TOOL_NAME

QUERY_SOURCE_MAX_CHARS = 8000
"""User text longer than this is content (an observation, a pasted file), not a question."""


def is_retrieve_call(name: str) -> bool:
    """``headroom_retrieve`` itself, or as an MCP client names it (``mcp__headroom__headroom_retrieve``)."""
    return name == RETRIEVE_TOOL_NAME or name.endswith("__" + RETRIEVE_TOOL_NAME)


@dataclass(frozen=True)
class SlotContext:
    """The task context of one slot, and whether the slot must be left as it is."""

    task: TaskContext
    protected: bool


def slot_contexts(
    adapter: FormatAdapter,
    messages: Sequence[Message],
    slots: Sequence[Slot],
    *,
    query: str | None,
    max_query_chars: int,
) -> list[SlotContext]:
    """One `SlotContext` per slot, in the same order."""
    first_user: int | None = None
    last_query = ""
    query_before: list[str] = []
    calls: dict[str, tuple[ToolCall, str]] = {}
    for i, m in enumerate(messages):
        query_before.append(last_query)
        text = adapter.user_text(m)
        if text is not None:
            if first_user is None:
                first_user = i
                last_query = text
            elif len(text) <= QUERY_SOURCE_MAX_CHARS:
                last_query = text
        for made in adapter.tool_calls(m):
            calls[made.id] = (made, last_query)

    out = []
    for slot in slots:
        found = calls.get(slot.tool_call_id or "")
        call, q = found if found else (None, query_before[slot.index])
        if query is not None:
            q = query
        task = TaskContext(
            query=q[:max_query_chars],
            tool_name=call.name if call else None,
            tool_args=call.arguments if call else {},
        )
        protected = (slot.kind == "user_text" and slot.index == first_user) or (
            call is not None and is_retrieve_call(call.name)
        )
        out.append(SlotContext(task, protected))
    return out
