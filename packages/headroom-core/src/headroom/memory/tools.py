"""The model's memory tools, ``memory_save`` and ``memory_search``: definitions and answers.

One definition and one answer function serve every surface (the MCP server, the proxy), so a
model sees the same tools and gets the same replies wherever it runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from headroom.memory._model import Memory, Scope
from headroom.memory._protocol import MemoryStore

__all__ = ["MEMORY_SAVE", "MEMORY_SEARCH", "MEMORY_TOOLS", "answer_memory_call", "memory_tool_specs"]

MEMORY_SAVE = "memory_save"
MEMORY_SEARCH = "memory_search"
MEMORY_TOOLS = frozenset({MEMORY_SAVE, MEMORY_SEARCH})
MAX_RESULTS = 20

Level = Literal["user", "project", "session"]

SAVE_DESCRIPTION = (
    "Save a short, durable fact for later sessions: a project convention, a command that works, a user "
    "preference. One fact per call, in a full sentence. Saving the same or a nearly identical fact again "
    "updates it. level: 'project' (default; this project only), 'user' (all of this user's projects) or "
    "'session' (this session only)."
)
SEARCH_DESCRIPTION = (
    "Search facts saved in earlier sessions of this project (and the user's own, shared ones). "
    "Returns the best matches, most relevant first, with their ids."
)


def memory_tool_specs() -> list[dict[str, Any]]:
    """Name, description and JSON-schema parameters of each tool (each surface wraps them its way)."""
    return [
        {
            "name": MEMORY_SAVE,
            "description": SAVE_DESCRIPTION,
            "parameters": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "description": "The fact, as one sentence."},
                    "level": {"type": "string", "enum": ["project", "user", "session"], "default": "project"},
                },
                "required": ["text"],
            },
        },
        {
            "name": MEMORY_SEARCH,
            "description": SEARCH_DESCRIPTION,
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "What you want to know, in words."},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS, "default": 5},
                },
                "required": ["query"],
            },
        },
    ]


def _at(scope: Scope, level: object) -> Scope:
    path = scope.path
    depth = {"user": 1, "project": 2, "session": 3}.get(level if isinstance(level, str) else "", 0)
    if not depth:
        raise ValueError(f"level must be 'project', 'user' or 'session', got {level!r}")
    if depth > len(path):
        raise ValueError(f"this server has no {level} scope (its scope is {scope})")
    return Scope(*path[:depth])


def format_memories(found: list[Memory]) -> str:
    """Search results as the model reads them: one line per memory, best first."""
    if not found:
        return "No saved memories match."
    return "\n".join(f"- {m.text} (id {m.id}; saved for {_level(m.scope)})" for m in found)


def _level(scope: Scope) -> str:
    return ("user", "project", "session", "agent", "turn")[len(scope.path) - 1]


def answer_memory_call(name: str, args: Mapping[str, Any], *, store: MemoryStore, scope: Scope) -> str:
    """Run one memory tool call for a conversation whose own (session) scope is ``scope``.

    Raises:
        ValueError: an unknown tool or bad arguments; the message is meant for the model.
    """
    if name == MEMORY_SAVE:
        saved = store.remember(args.get("text"), scope=_at(scope, args.get("level", "project")))  # type: ignore[arg-type]  # checked by remember
        return f"Saved (id {saved.id}; for this {_level(saved.scope)})."
    if name == MEMORY_SEARCH:
        query, limit = args.get("query"), args.get("limit", 5)
        if not isinstance(query, str) or not query.strip():
            raise ValueError("memory_search needs a non-empty query")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_RESULTS:
            raise ValueError(f"limit must be an integer from 1 to {MAX_RESULTS}")
        return format_memories(store.recall(query, scope=scope, limit=limit))
    raise ValueError(f"not a memory tool: {name!r}")
