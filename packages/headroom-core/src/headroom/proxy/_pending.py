"""Retrievals the client never saw, put back into the conversation on its next requests.

When the model calls a client tool and ``headroom_retrieve`` in one turn, the proxy answers its own
call and hands the turn back with only the client's call. The client then sends the conversation
without our call; so that the model still sees what it fetched (and every ``tool_use`` keeps its
result), the proxy re-inserts our call and its result next to the client's call, on every later
request that carries it. The memory is per process and bounded; a call it has forgotten is simply
absent from the history, which is still a valid conversation.

What is held is keyed by the client (a hash of the credentials it sends), the conversation (a hash
of the history before the turn) and the client's call id: a tool-call id alone is chosen by the
model, so another client or another conversation may carry the same one, and must get nothing.

Responses created over several retrieval rounds are also remembered here: the client saw the
first round's id, the upstream stored the conversation under the last one.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from headroom.formats import get_format
from headroom.formats.responses import CALL_TYPES, OUTPUT_TYPES
from headroom.markers import RETRIEVE_TOOL_NAME

__all__ = ["Conversation", "PendingRetrievals", "client_identity"]

Obj = dict[str, Any]
Key = tuple[str, str, str]  # client, conversation, client call id

# Headers that carry a caller's credentials, for every backend the proxy serves.
_CREDENTIALS = (b"authorization", b"x-api-key", b"api-key", b"x-goog-api-key", b"x-headroom-token")


def client_identity(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """A hash of the credentials a request carries (the credentials themselves are never kept)."""
    h = hashlib.sha256(b"headroom-client")
    for name, value in sorted((k.lower(), v) for k, v in headers if k.lower() in _CREDENTIALS):
        h.update(name + b"\0" + value + b"\0")
    return h.hexdigest()


def _canon(item: Any) -> Any:
    """An item as far as the conversation's identity goes: cache breakpoints move between requests."""
    if isinstance(item, dict):
        return {k: _canon(v) for k, v in item.items() if k != "cache_control"}
    if isinstance(item, list):
        return [_canon(v) for v in item]
    return item


def _is_output(api: str, item: Any) -> bool:
    """Whether ``item`` is part of a model turn (what the client appends after the request it sent)."""
    if not isinstance(item, dict):
        return False
    if api != "openai-responses":
        return item.get("role") == "assistant"
    kind = str(item.get("type", ""))
    return item.get("role") == "assistant" or kind == "reasoning" or kind.endswith("_call")


def _history(api: str, body: Mapping[str, Any]) -> list[Any]:
    items = body.get("input" if api == "openai-responses" else "messages")
    if isinstance(items, str):
        return [{"role": "user", "content": items}]
    return items if isinstance(items, list) else []


def _prefix_digests(api: str, items: list[Any]) -> list[str]:
    """``out[k]``: the digest of the conversation ``items[:k]``, the turn that may end it left out."""
    h = hashlib.sha256(api.encode())
    plain = [h.hexdigest()]
    for item in items:
        h.update(json.dumps(_canon(item), sort_keys=True).encode() + b"\n")
        plain.append(h.hexdigest())
    out, start = [], 0
    for k in range(len(items) + 1):
        if k == 0 or not _is_output(api, items[k - 1]):
            start = k
        out.append(plain[start])
    return out


@dataclass(frozen=True)
class Conversation:
    """Who sent a request and which conversation it continues: what a held retrieval is keyed by.

    Attributes:
        client: `client_identity` of the request.
        api: the route's API.
        payload: the request body as the client sent it (before compression).
        task: what a Responses conversation is about, remembered under the response id the client
            sees so that a continuation by ``previous_response_id`` is compressed for it.
    """

    client: str
    api: str
    payload: Mapping[str, Any]
    task: str | None = None

    def digest(self) -> str:
        """The conversation the model's next turn continues."""
        return _prefix_digests(self.api, _history(self.api, self.payload))[-1]


@dataclass(frozen=True)
class _Held:
    calls: tuple[Obj, ...]
    results: tuple[Obj, ...]


class PendingRetrievals:
    """A bounded memory of hidden ``headroom_retrieve`` calls, keyed by client, conversation and client call."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._held: OrderedDict[Key, _Held] = OrderedDict()
        self._ids: Counter[str] = Counter()  # client call ids held, to skip requests that carry none
        self._aliases: OrderedDict[tuple[str, str], str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._held)

    def remember(
        self,
        conversation: Conversation,
        client_call_ids: list[str],
        calls: list[Obj],
        results: list[Obj],
        *,
        response_id: str | None = None,
    ) -> None:
        """Keep our ``calls`` and ``results`` to re-insert beside the first of ``client_call_ids``.

        ``response_id`` is the Responses id the client saw: a stateful follow-up names only it.
        """
        if not client_call_ids or not calls:
            return
        held = _Held(tuple(calls), tuple(results))
        convs = [conversation.digest()] + ([f"response:{response_id}"] if response_id else [])
        for conv in convs:
            self._put((conversation.client, conv, client_call_ids[0]), held)

    def _put(self, key: Key, held: _Held) -> None:
        if key not in self._held:
            self._ids[key[2]] += 1
        self._held[key] = held
        self._held.move_to_end(key)
        while len(self._held) > self.capacity:
            old, _ = self._held.popitem(last=False)
            self._ids[old[2]] -= 1
            if self._ids[old[2]] <= 0:
                del self._ids[old[2]]

    def alias(self, client: str, shown_id: str, upstream_id: str) -> None:
        """Remember that the response ``client`` knows as ``shown_id`` is ``upstream_id`` upstream."""
        if shown_id and upstream_id and shown_id != upstream_id:
            self._aliases[(client, shown_id)] = upstream_id
            while len(self._aliases) > self.capacity:
                self._aliases.popitem(last=False)

    def resolve(self, client: str, response_id: str) -> str:
        """The upstream id for a response id ``client`` sends back."""
        return self._aliases.get((client, response_id), response_id)

    def reinsert(self, body: Mapping[str, Any], conversation: Conversation) -> Obj | None:
        """``body`` with remembered calls and results put back, or None when none applies.

        Only retrievals held for this client and for the conversation before each client call apply;
        ``body`` is the request about to go upstream, ``conversation`` names what the client sent.
        """
        api = conversation.api
        if not self._ids or api not in ("anthropic-messages", "openai-chat", "openai-responses"):
            return None
        keys = self._keys_for(conversation)
        if not keys:
            return None
        if api == "anthropic-messages":
            return self._anthropic(body, keys)
        if api == "openai-chat":
            return self._chat(body, keys)
        return self._responses(body, keys)

    def _keys_for(self, conversation: Conversation) -> dict[str, Key]:
        """Each held client call id in the history, with the key it is held under for this conversation."""
        api, items = conversation.api, _history(conversation.api, conversation.payload)
        found: dict[str, int] = {}
        for k, item in enumerate(items):
            for call_id in _call_ids(api, item):
                if call_id in self._ids:
                    found.setdefault(call_id, k)
        if not found:
            return {}
        digests = _prefix_digests(api, items)
        keys = {i: (conversation.client, digests[k], i) for i, k in found.items()}
        previous = conversation.payload.get("previous_response_id")
        if api == "openai-responses" and isinstance(previous, str):
            stateful = {i for i, k in found.items() if items[k].get("type") in OUTPUT_TYPES}
            keys.update({i: (conversation.client, f"response:{previous}", i) for i in stateful})
        return keys

    def _find(self, ids: list[str], keys: dict[str, Key]) -> _Held | None:
        for i in ids:
            key = keys.get(i)
            if key is not None and key in self._held:
                self._held.move_to_end(key)
                return self._held[key]
        return None

    def _anthropic(self, body: Mapping[str, Any], keys: dict[str, Key]) -> Obj | None:
        messages = body.get("messages")
        if not isinstance(messages, list):
            return None
        out, changed = list(messages), False
        for i, m in enumerate(messages):
            content = m.get("content") if isinstance(m, dict) and m.get("role") == "assistant" else None
            if not isinstance(content, list):
                continue
            held = self._find(
                [b.get("id", "") for b in content if isinstance(b, dict) and b.get("type") == "tool_use"], keys
            )
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

    def _chat(self, body: Mapping[str, Any], keys: dict[str, Key]) -> Obj | None:
        messages = body.get("messages")
        if not isinstance(messages, list):
            return None
        out: list[Any] = []
        changed = False
        answered = {m.get("tool_call_id") for m in messages if isinstance(m, dict) and m.get("role") == "tool"}
        for m in messages:
            calls = m.get("tool_calls") if isinstance(m, dict) and m.get("role") == "assistant" else None
            held = (
                self._find([c.get("id", "") for c in calls if isinstance(c, dict)], keys)
                if isinstance(calls, list)
                else None
            )
            if held is None or not isinstance(calls, list):
                out.append(m)
                continue
            have = {c.get("id") for c in calls if isinstance(c, dict)}
            out.append({**m, "tool_calls": [*calls, *(c for c in held.calls if c.get("id") not in have)]})
            out.extend(r for r in held.results if r.get("tool_call_id") not in answered)
            changed = True
        return _with_tool({**body, "messages": out}, "openai") if changed else None

    def _responses(self, body: Mapping[str, Any], keys: dict[str, Key]) -> Obj | None:
        items = body.get("input")
        if not isinstance(items, list):
            return None
        calls_here = {o.get("call_id") for o in items if isinstance(o, dict) and o.get("type") in CALL_TYPES}
        out: list[Any] = []
        changed = False
        for o in items:
            kind = o.get("type") if isinstance(o, dict) else None
            held = self._find([o.get("call_id", "")], keys) if kind in CALL_TYPES | OUTPUT_TYPES else None
            if held is None or not isinstance(o, dict):
                out.append(o)
            elif kind in CALL_TYPES:
                out.extend([o, *held.calls, *held.results])
                changed = True
            elif o.get("call_id") not in calls_here:
                out.extend([*held.results, o])  # stateful conversation: our call lives upstream
                changed = True
            else:
                out.append(o)
        return _with_tool({**body, "input": out}, "responses") if changed else None


def _call_ids(api: str, item: Any) -> list[str]:
    """Client call ids an item of the history names (calls in assistant turns, Responses call items)."""
    if not isinstance(item, dict):
        return []
    if api == "openai-responses":
        kind = item.get("type")
        ok = kind in CALL_TYPES | OUTPUT_TYPES and isinstance(item.get("call_id"), str)
        return [item["call_id"]] if ok else []
    if item.get("role") != "assistant":
        return []
    blocks = item.get("tool_calls") if api == "openai-chat" else item.get("content")
    if not isinstance(blocks, list):
        return []
    return [str(b["id"]) for b in blocks if isinstance(b, dict) and isinstance(b.get("id"), str)]


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
