"""Headroom as an MCP server: ``headroom_compress``, ``headroom_retrieve`` and ``headroom_stats``.

Needs the MCP SDK: ``pip install "headroom-core[mcp]"``. Serve it over stdio with ``headroom mcp``
(see ``headroom mcp install`` for Claude Code and Cursor), or build it in Python::

    from headroom.mcp import create_server
    create_server().run()          # stdio

The SDK is imported by `create_server`, not by ``import headroom.mcp``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from headroom.store import Store

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from headroom.memory import MemoryStore, Scope

__all__ = ["DEFAULT_MODEL", "MCP_INSTALL_HINT", "create_server"]

DEFAULT_MODEL = "gpt-4o"
MCP_INSTALL_HINT = 'pip install "headroom-core[mcp]"'


def create_server(
    store: Store | None = None,
    *,
    model: str = DEFAULT_MODEL,
    stats_path: str | os.PathLike[str] | None = None,
    lifetime_stats: bool = True,
    memory: MemoryStore | None = None,
    memory_scope: Scope | None = None,
) -> MCPServer:
    """Build Headroom's MCP server (an SDK ``MCPServer``; ``.run()`` serves it over stdio).

    Args:
        store: where originals are written and read. None means the process-wide default store
            (SQLite under ``$HEADROOM_HOME``), so refs written by the proxy or ``headroom compress``
            in another process redeem here, and refs written here redeem there.
        model: the model whose tokenizer counts tokens (savings, the small-content threshold).
        stats_path: the SQLite file for lifetime savings; default ``$HEADROOM_HOME/stats.sqlite3``.
        lifetime_stats: False keeps savings for this process only and writes no stats file.
        memory: a `headroom.memory.MemoryStore`: adds the tools ``memory_save`` and ``memory_search``.
        memory_scope: the session's scope for those tools (user, project, session); required with ``memory``.

    Returns:
        The server, with tools ``headroom_compress``, ``headroom_retrieve`` and ``headroom_stats``.

    Raises:
        ImportError: the MCP SDK (2.x) is not installed; the message names the install command.
    """
    try:
        from headroom.mcp._server import build_server
    except ModuleNotFoundError as e:
        if not (e.name or "").startswith(("mcp", "pydantic")):
            raise
        raise ImportError(f"headroom's MCP server needs the MCP Python SDK 2.x: {MCP_INSTALL_HINT} ({e})") from e
    from headroom.mcp._stats import SavingsLedger, SavingsStats, default_stats_path

    ledger = SavingsLedger(stats_path or default_stats_path()) if lifetime_stats else None
    if (memory is None) != (memory_scope is None):
        raise ValueError("memory and memory_scope go together")
    server = build_server(store, model=model, stats=SavingsStats(ledger))
    if memory is not None and memory_scope is not None:
        from headroom.mcp._memory import add_memory_tools

        add_memory_tools(server, memory, memory_scope)
    return server
