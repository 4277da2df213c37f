"""`headroom mcp --memory`: memory_save / memory_search through the MCP SDK's own client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from headroom.mcp import create_server
from headroom.memory import Scope, SQLiteMemoryStore
from mcp import Client

from tests.core.test_mcp_server import run_client, text_of

pytest.importorskip("mcp.server.mcpserver")


def server(tmp_path: Path, store: SQLiteMemoryStore, scope: Scope) -> Any:
    return create_server(lifetime_stats=False, memory=store, memory_scope=scope, stats_path=tmp_path / "s.sqlite3")


def test_a_fact_saved_in_one_session_is_found_in_the_next_and_not_in_another_project(tmp_path: Path) -> None:
    store = SQLiteMemoryStore(tmp_path / "memory.sqlite3")
    first = server(tmp_path, store, Scope("ann", "/src/shop", "s1"))

    async def save(client: Client) -> Any:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        saved = await client.call_tool("memory_save", {"text": "Deploys run through `make ship`, never git push."})
        mine = await client.call_tool("memory_save", {"text": "Ann likes short commit messages.", "level": "user"})
        return tools, saved, mine

    tools, saved, mine = run_client(first, save)
    assert {"memory_save", "memory_search", "headroom_retrieve"} <= set(tools)
    assert tools["memory_save"].input_schema["required"] == ["text"]
    assert tools["memory_search"].annotations.read_only_hint is True
    assert not saved.is_error and "Saved" in text_of(saved) and "for this project" in text_of(saved)
    assert "for this user" in text_of(mine)

    async def search(client: Client) -> str:
        return text_of(await client.call_tool("memory_search", {"query": "how do we deploy?"}))

    found = run_client(server(tmp_path, store, Scope("ann", "/src/shop", "s2")), search)
    assert "Deploys run through `make ship`" in found
    elsewhere = run_client(server(tmp_path, store, Scope("ann", "/src/blog", "s3")), search)
    assert "make ship" not in elsewhere and elsewhere == "No saved memories match."

    async def commit_style(client: Client) -> str:
        return text_of(await client.call_tool("memory_search", {"query": "commit messages"}))

    assert "short commit messages" in run_client(server(tmp_path, store, Scope("ann", "/src/blog", "s3")), commit_style)
    store.close()


def test_bad_arguments_are_tool_errors_and_store_nothing(tmp_path: Path) -> None:
    store = SQLiteMemoryStore(tmp_path / "memory.sqlite3")

    async def bad(client: Client) -> list[Any]:
        return [
            await client.call_tool("memory_save", {"text": "   "}),
            await client.call_tool("memory_save", {"text": "x", "level": "galaxy"}),
            await client.call_tool("memory_search", {"query": "x", "limit": 500}),
        ]

    results = run_client(server(tmp_path, store, Scope("ann", "/src/shop", "s1")), bad)
    assert all(r.is_error for r in results), [text_of(r) for r in results]
    assert "empty" in text_of(results[0])
    assert store.recall("", scope=Scope("ann", "/src/shop", "s1")) == []
    store.close()
