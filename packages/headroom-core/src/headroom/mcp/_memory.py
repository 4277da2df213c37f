"""``memory_save`` and ``memory_search`` on the MCP server (``headroom mcp --memory``)."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from headroom.memory import MemoryStore, MemoryStoreError, Scope
from headroom.memory.tools import MEMORY_SAVE, MEMORY_SEARCH, SAVE_DESCRIPTION, SEARCH_DESCRIPTION, answer_memory_call

__all__ = ["add_memory_tools"]


def add_memory_tools(server: MCPServer, store: MemoryStore, scope: Scope) -> None:
    """Add the two memory tools, answering for the session ``scope``."""

    def call(name: str, args: dict[str, object]) -> str:
        try:
            return answer_memory_call(name, args, store=store, scope=scope)
        except (ValueError, MemoryStoreError) as e:
            raise ToolError(str(e)) from None

    def memory_save(
        text: Annotated[str, Field(description="The fact, as one sentence.")],
        level: Annotated[Literal["project", "user", "session"], Field(description="Who sees it later.")] = "project",
    ) -> str:
        return call(MEMORY_SAVE, {"text": text, "level": level})

    def memory_search(
        query: Annotated[str, Field(description="What you want to know, in words.")],
        limit: Annotated[int, Field(ge=1, le=20)] = 5,
    ) -> str:
        return call(MEMORY_SEARCH, {"query": query, "limit": limit})

    server.add_tool(
        memory_save,
        name=MEMORY_SAVE,
        title="Save a memory",
        description=SAVE_DESCRIPTION,
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True),
        structured_output=False,
    )
    server.add_tool(
        memory_search,
        name=MEMORY_SEARCH,
        title="Search memories",
        description=SEARCH_DESCRIPTION,
        annotations=ToolAnnotations(read_only_hint=True),
        structured_output=False,
    )
