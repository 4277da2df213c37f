"""What each Responses conversation is about, for requests that continue it by ``previous_response_id``.

Such a request carries only the new items, usually tool outputs without the question they answer;
compressed alone, their task context would be empty and relevance-driven compressors would drop
what the user asked about. The proxy remembers the task (the user text of the conversation) under
each response id it relayed, per client, and compresses a continuation for that task: the bytes
that go upstream are those the whole conversation would have given.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from headroom.formats import get_format
from headroom.pipeline.context import QUERY_SOURCE_MAX_CHARS

__all__ = ["ResponseTasks", "last_user_text", "responses_task"]


def last_user_text(items: Any) -> str | None:
    """The last user text among Responses input items that reads as a task (not pasted content)."""
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    adapter = get_format("responses")
    found = None
    for item in items if isinstance(items, list) else []:
        text = adapter.user_text(item) if isinstance(item, dict) else None
        if text is not None and len(text) <= QUERY_SOURCE_MAX_CHARS:
            found = text
    return found


class ResponseTasks:
    """A bounded memory: (client, response id) -> the task of the conversation that response ends."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._tasks: OrderedDict[tuple[str, str], str] = OrderedDict()

    def remember(self, client: str, response_id: str, task: str) -> None:
        """``response_id`` (as ``client`` knows it) ends a conversation about ``task``."""
        self._tasks[(client, response_id)] = task
        self._tasks.move_to_end((client, response_id))
        while len(self._tasks) > self.capacity:
            self._tasks.popitem(last=False)

    def task(self, client: str, response_id: str) -> str | None:
        """The task of the conversation ``client`` continues from ``response_id``, if known."""
        return self._tasks.get((client, response_id))


def responses_task(tasks: ResponseTasks, client: str, payload: Any) -> tuple[str | None, str | None]:
    """(the query to compress a Responses request for, the task to remember under its response).

    A request with user text of its own is about that text (no query: the pipeline reads it); one
    that continues ``previous_response_id`` with tool outputs only is about the remembered task.
    """
    own = last_user_text(payload.get("input")) if isinstance(payload, dict) else None
    previous = payload.get("previous_response_id") if isinstance(payload, dict) else None
    earlier = tasks.task(client, previous) if own is None and isinstance(previous, str) else None
    return earlier, own or earlier
