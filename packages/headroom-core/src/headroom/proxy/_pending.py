"""Retrievals the client never saw, put back into the conversation on its next requests.

When the model calls a client tool and ``headroom_retrieve`` in one turn, the proxy answers its own
call and hands the turn back with only the client's call. The client then sends the conversation
without our call; so that the model still sees what it fetched (and every ``tool_use`` keeps its
result), the proxy re-inserts our call and its result next to the client's call, on every later
request that carries it. The memory is per process and bounded; a call it has forgotten is simply
absent from the history, which is still a valid conversation.

Responses created over several retrieval rounds are also remembered here: the client saw the
first round's id, the upstream stored the conversation under the last one.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from headroom.formats import get_format
from headroom.markers import RETRIEVE_TOOL_NAME

__all__ = ["PendingRetrievals"]

Obj = dict[str, Any]


@dataclass(frozen=True)
class _Held:
    calls: tuple[Obj, ...]
    results: tuple[Obj, ...]


class PendingRetrievals:
    """A bounded memory of hidden ``headroom_retrieve`` calls, keyed by the client call they came with."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._held: OrderedDict[str, _Held] = OrderedDict()
        self._aliases: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._held)

    def remember(self, client_call_ids: list[str], calls: list[Obj], results: list[Obj]) -> None:
        """Keep our ``calls`` and ``results`` to re-insert beside the first of ``client_call_ids``."""
        if not client_call_ids or not calls:
            return
        self._held[client_call_ids[0]] = _Held(tuple(calls), tuple(results))
        self._held.move_to_end(client_call_ids[0])
        while len(self._held) > self.capacity:
            self._held.popitem(last=False)

    def alias(self, shown_id: str, upstream_id: str) -> None:
        """Remember that the response the client knows as ``shown_id`` is ``upstream_id`` upstream."""
        if shown_id and upstream_id and shown_id != upstream_id:
            self._aliases[shown_id] = upstream_id
            while len(self._aliases) > self.capacity:
                self._aliases.popitem(last=False)

    def resolve(self, response_id: str) -> str:
        """The upstream id for a response id the client sends back."""
        return self._aliases.get(response_id, response_id)

    def reinsert(self, api: str, body: Mapping[str, Any]) -> Obj | None:
        """``body`` with remembered calls and results put back, or None when none applies."""
        if not self._held:
            return None
        if api == "anthropic-messages":
            return self._anthropic(body)
        if api == "openai-chat":
            return self._chat(body)
        if api == "openai-responses":
            return self._responses(body)
        return None

    def _find(self, ids: list[str]) -> _Held | None:
        for i in ids:
            if i in self._held:
                self._held.move_to_end(i)
                return self._held[i]
        return None

    def _anthropic(self, body: Mapping[str, Any]) -> Obj | None:
        messages = body.get("messages")
        if not isinstance(messages, list):
            return None
        out, changed = list(messages), False
        for i, m in enumerate(messages):
            content = m.get("content") if isinstance(m, dict) and m.get("role") == "assistant" else None
            if not isinstance(content, list):
                continue
            held = self._find([b.get("id", "") for b in content if isinstance(b, dict) and b.get("type") == "tool_use"])
            nxt = messages[i + 1] if i + 1 < len(messages) else None
            if held is None or not isinstance(nxt, dict) or not isinstance(nxt.get("content"), list):
                continue
            have = {b.get("id") for b in content if isinstance(b, dict)}
            out[i] = {**m, "content": [*content, *(c for c in held.calls if c.get("id") not in have)]}
            answered = {b.get("tool_use_id") for b in nxt["content"] if isinstance(b, dict)}
            fresh = [r for r in held.results if r.get("tool_use_id") not in answered]
            out[i + 1] = {**nxt, "content": [*fresh, *nxt["content"]]}
            changed = True
        return _with_tool({**body, "messages": out}, "anthropic") if changed else None

    def _chat(self, body: Mapping[str, Any]) -> Obj | None:
        messages = body.get("messages")
        if not isinstance(messages, list):
            return None
        out: list[Any] = []
        changed = False
        answered = {m.get("tool_call_id") for m in messages if isinstance(m, dict) and m.get("role") == "tool"}
        for m in messages:
            calls = m.get("tool_calls") if isinstance(m, dict) and m.get("role") == "assistant" else None
            held = (
                self._find([c.get("id", "") for c in calls if isinstance(c, dict)]) if isinstance(calls, list) else None
            )
            if held is None or not isinstance(calls, list):
                out.append(m)
                continue
            have = {c.get("id") for c in calls if isinstance(c, dict)}
            out.append({**m, "tool_calls": [*calls, *(c for c in held.calls if c.get("id") not in have)]})
            out.extend(r for r in held.results if r.get("tool_call_id") not in answered)
            changed = True
        return _with_tool({**body, "messages": out}, "openai") if changed else None

    def _responses(self, body: Mapping[str, Any]) -> Obj | None:
        items = body.get("input")
        if not isinstance(items, list):
            return None
        calls_here = {o.get("call_id") for o in items if isinstance(o, dict) and o.get("type") == "function_call"}
        out: list[Any] = []
        changed = False
        for o in items:
            kind = o.get("type") if isinstance(o, dict) else None
            held = self._find([o.get("call_id", "")]) if kind in ("function_call", "function_call_output") else None
            if held is None or not isinstance(o, dict):
                out.append(o)
            elif kind == "function_call":
                out.extend([o, *held.calls, *held.results])
                changed = True
            elif o.get("call_id") not in calls_here:
                out.extend([*held.results, o])  # stateful conversation: our call lives upstream
                changed = True
            else:
                out.append(o)
        return _with_tool({**body, "input": out}, "responses") if changed else None


def _tool_name(tool: Any) -> str | None:
    if not isinstance(tool, Mapping):
        return None
    fn = tool.get("function")
    return str(fn.get("name")) if isinstance(fn, Mapping) else tool.get("name")


def _with_tool(body: Obj, fmt: str) -> Obj:
    """Tool calls in the history need their tool defined."""
    tools = list(body.get("tools") or [])
    if not any(_tool_name(t) == RETRIEVE_TOOL_NAME for t in tools):
        body["tools"] = [*tools, get_format(fmt).retrieve_tool()]
    return body
