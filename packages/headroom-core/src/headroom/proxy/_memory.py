"""``headroom proxy --memory``: the model's ``memory_save`` / ``memory_search`` tools, answered here.

Like ``headroom_retrieve``, the tools are added to every agent request (one that declares tools)
from a conversation's first request on, so its tool list never changes, and the proxy answers
their calls itself; the client never sees them. Memories are scoped to the caller's credentials
(user), the ``x-headroom-project`` header (project; ``default`` without one) and the conversation
(session, its first message): one client's memories never reach another's requests, and two
projects share nothing unless a memory was saved at the user level.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from headroom.api import retrieve_tool_result
from headroom.formats import FormatName, get_format
from headroom.markers import RETRIEVE_TOOL_NAME
from headroom.memory import MemoryStore, MemoryStoreError, Scope
from headroom.memory.tools import MEMORY_TOOLS, answer_memory_call, memory_tool_specs
from headroom.store import Store

__all__ = ["Answering", "ProxyMemory", "first_request", "inject", "memory_scope", "question_of"]

Obj = dict[str, Any]
RETRIEVE_ONLY = frozenset({RETRIEVE_TOOL_NAME})
_PROJECT_HEADER = b"x-headroom-project"


def memory_scope(client: str, headers: Iterable[tuple[bytes, bytes]], payload: Mapping[str, Any]) -> Scope:
    """The session scope of a request: credentials, project header, the conversation's first item."""
    items = payload.get("messages", payload.get("input"))
    first_item = items[0] if isinstance(items, list) and items else items
    project = next((v.decode("utf-8", "replace").strip() for k, v in headers if k.lower() == _PROJECT_HEADER), "")
    session = hashlib.sha256(json.dumps(first_item, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return Scope(client[:32] or "anonymous", project or "default", session)


def _tool_def(fmt: FormatName, spec: Mapping[str, Any]) -> Obj:
    if fmt == "anthropic":
        return {"name": spec["name"], "description": spec["description"], "input_schema": spec["parameters"]}
    if fmt == "openai":
        return {"type": "function", "function": dict(spec)}
    return {"type": "function", **spec}


def _names(tools: object) -> set[str]:
    out: set[str] = set()
    for t in tools if isinstance(tools, list) else []:
        fn = t.get("function") if isinstance(t, dict) else None
        name = fn.get("name") if isinstance(fn, dict) else t.get("name") if isinstance(t, dict) else None
        if isinstance(name, str):
            out.add(name)
    return out


class ProxyMemory:
    """The memory tools of one proxy: their definitions and their answers.

    Args:
        store: where memories live (the default SQLite memory store, or a Postgres one shared by replicas).
    """

    def __init__(self, store: MemoryStore, *, inject_limit: int = 5, sessions: int = 4096) -> None:
        self.store = store
        self.inject_limit = inject_limit
        self._sessions: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._capacity = sessions
        self._lock = threading.Lock()

    def preamble(self, scope: Scope, question: str, *, first: bool) -> str:
        """The memories a conversation starts with, decided on its first request and then kept.

        Later requests of the conversation get exactly the same text (the prefix the provider
        cached never changes), even after new memories were saved. A conversation first seen
        mid-way (a proxy restart) gets none rather than a new one.
        """
        key = (scope.user, scope.session or "")
        with self._lock:
            if key in self._sessions:
                self._sessions.move_to_end(key)
                return self._sessions[key]
        text = ""
        if first and question.strip():
            try:
                found = self.store.recall(question, scope=scope, limit=self.inject_limit)
            except MemoryStoreError:
                found = []  # fail open: the request goes on without memories
            if found:
                lines = "\n".join(f"- {m.text}" for m in found)
                text = f"Memories saved in earlier sessions (headroom; memory_search finds more):\n{lines}"
        with self._lock:
            self._sessions[key] = text
            while len(self._sessions) > self._capacity:
                self._sessions.popitem(last=False)
        return text

    def with_tools(self, body: Obj, fmt: FormatName) -> tuple[Obj, frozenset[str]]:
        """``body`` with the memory tools added, and the tool names the proxy answers for it.

        A client that defines a tool of the same name keeps it as its own: ours is not added and
        its calls go to the client.
        """
        tools = body.get("tools")
        if not isinstance(tools, list) or _names(tools) & MEMORY_TOOLS:
            return body, RETRIEVE_ONLY
        added = [_tool_def(fmt, spec) for spec in memory_tool_specs()]
        return {**body, "tools": [*tools, *added]}, RETRIEVE_ONLY | MEMORY_TOOLS

    def answer(self, call: Mapping[str, Any], fmt: FormatName, scope: Scope) -> Obj:
        """The tool result for one ``memory_save`` / ``memory_search`` call (errors as error results)."""
        adapter = get_format(fmt)
        parsed = adapter.parse_tool_call(call)
        try:
            text = answer_memory_call(parsed.name, parsed.arguments, store=self.store, scope=scope)
        except (ValueError, MemoryStoreError) as e:
            return adapter.tool_result(parsed.id, str(e), is_error=True)
        return adapter.tool_result(parsed.id, text, is_error=False)


class Answering:
    """Which tool calls of one request the proxy answers, and how.

    The default answers ``headroom_retrieve`` only, as every request without ``--memory``.

    Args:
        names: the tool names the proxy answers for this request.
        memory: the memory tools, when they were added to this request.
        scope: the request's session scope for the memory tools.
    """

    def __init__(
        self, names: frozenset[str] = RETRIEVE_ONLY, memory: ProxyMemory | None = None, scope: Scope | None = None
    ) -> None:
        self.names, self.memory, self.scope = names, memory, scope

    def turn_names(self, names: Iterable[str]) -> list[str]:
        """Tool names as the retrieval policy reads them: every call we answer counts as ours."""
        return [RETRIEVE_TOOL_NAME if n in self.names else n for n in names]

    def answer(self, call: Mapping[str, Any], fmt: FormatName, store: Store) -> Obj:
        """The result for one of our calls."""
        name = get_format(fmt).parse_tool_call(call).name
        if name in MEMORY_TOOLS and self.memory is not None and self.scope is not None:
            return self.memory.answer(call, fmt, self.scope)
        return retrieve_tool_result(call, format=fmt, store=store)


def _items(payload: Mapping[str, Any]) -> list[Any]:
    items = payload.get("messages", payload.get("input"))
    return items if isinstance(items, list) else [{"role": "user", "content": items}] if isinstance(items, str) else []


def first_request(payload: Mapping[str, Any]) -> bool:
    """Whether ``payload`` opens its conversation: no model turn in its history, nothing it continues."""
    if payload.get("previous_response_id"):
        return False
    for item in _items(payload):
        if isinstance(item, dict) and (item.get("role") == "assistant" or str(item.get("type", "")).endswith("_call")):
            return False
    return True


def question_of(payload: Mapping[str, Any]) -> str:
    """The text of the conversation's first user message."""
    for item in _items(payload):
        if isinstance(item, dict) and item.get("role") == "user":
            content = item.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return ""


def inject(body: Obj, fmt: FormatName, text: str) -> Obj:
    """``body`` with ``text`` at the top of its instructions (the same place on every request)."""
    if not text:
        return body
    if fmt == "anthropic":
        system = body.get("system")
        if isinstance(system, list):
            return {**body, "system": [*system, {"type": "text", "text": text}]}
        return {**body, "system": f"{system}\n\n{text}" if isinstance(system, str) and system else text}
    if fmt == "responses":
        instructions = body.get("instructions")
        joined = f"{instructions}\n\n{text}" if isinstance(instructions, str) and instructions else text
        return {**body, "instructions": joined}
    messages = body.get("messages")
    if not isinstance(messages, list):
        return body
    return {**body, "messages": [{"role": "system", "content": text}, *messages]}
