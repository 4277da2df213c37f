"""`headroom mcp` as a real stdio subprocess, driven by the MCP SDK's own client.

The server process and the test share one $HEADROOM_HOME, as Claude Code's server and the proxy would:
refs written in one process redeem in the other, and lifetime savings add up across server runs.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from headroom import SQLiteStore, compress, compress_text, find_refs, retrieve
from headroom.store import set_default_store

from tests.core.helpers import build_log, openai_conversation

pytest.importorskip("mcp.server.mcpserver")

from mcp import Client, StdioServerParameters  # after the importorskip above

pytestmark = pytest.mark.slow


def over_stdio(home: Path, body: Callable[[Client], Awaitable[Any]], *args: str) -> Any:
    """Start `python -m headroom mcp` with ``HEADROOM_HOME=home`` and run ``body`` against it."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "headroom", "mcp", *args], env={"HEADROOM_HOME": str(home)}
    )

    async def main() -> Any:
        with anyio.fail_after(120):
            async with Client(params, cache=None) as client:
                return await body(client)

    return anyio.run(main)


def text_of(result: Any) -> str:
    return "".join(block.text for block in result.content)


def test_ref_written_by_compress_redeems_through_the_server(headroom_home: Path) -> None:
    log = build_log()
    # The library call in this process writes the original to the default store under $HEADROOM_HOME.
    result = compress(openai_conversation(log), "gpt-4o")
    ref = result.refs[0]
    assert ref in result.messages[-1]["content"]

    async def body(client: Client) -> Any:
        names = {t.name for t in (await client.list_tools()).tools}
        whole = await client.call_tool("headroom_retrieve", {"ref": ref})
        part = await client.call_tool("headroom_retrieve", {"ref": ref, "query": "payment 8812"})
        return names, whole, part

    names, whole, part = over_stdio(headroom_home, body)
    assert names == {"headroom_compress", "headroom_retrieve", "headroom_stats"}
    assert not whole.is_error and text_of(whole) == log
    assert "payment 8812 failed" in text_of(part) and len(text_of(part)) < len(log) / 10


def test_unknown_ref_is_a_tool_error_and_the_server_keeps_serving(headroom_home: Path) -> None:
    async def body(client: Client) -> Any:
        unknown = await client.call_tool("headroom_retrieve", {"ref": "0123456789abcdef"})
        after = await client.call_tool("headroom_compress", {"content": "still here"})
        return unknown, after

    unknown, after = over_stdio(headroom_home, body)
    assert unknown.is_error
    message = text_of(unknown)
    assert "0123456789abcdef" in message and "not found" in message
    assert str(headroom_home / "store.sqlite3") in message  # names the store it looked in
    assert not after.is_error and after.content[0].text == "still here"


def test_refs_written_by_the_server_redeem_in_this_process(headroom_home: Path) -> None:
    log = build_log()

    async def body(client: Client) -> Any:
        return await client.call_tool("headroom_compress", {"content": log, "query": "payment 8812"})

    packed = over_stdio(headroom_home, body)
    refs = find_refs(packed.content[0].text)
    assert refs and "payment 8812 failed" in packed.content[0].text
    set_default_store(None)  # reopen, as a fresh process would
    assert retrieve(refs[0]) == log


def test_stats_count_savings_across_server_runs(headroom_home: Path) -> None:
    log = build_log()
    expected = compress_text(log, query="payment 8812")  # same input, same deterministic savings
    saved = expected.tokens_saved
    assert saved > 0

    async def first_run(client: Client) -> Any:
        packed = await client.call_tool("headroom_compress", {"content": log, "query": "payment 8812"})
        await client.call_tool("headroom_retrieve", {"ref": find_refs(packed.content[0].text)[0], "lines": "1-3"})
        return (await client.call_tool("headroom_stats", {})).structured_content

    first = over_stdio(headroom_home, first_run)
    assert first["session"]["compressions"] == 1 and first["session"]["tokens_saved"] == saved
    assert first["session"]["retrievals"] == 1 and first["session"]["tokens_retrieved"] > 0
    assert first["lifetime"] == first["session"]
    assert first["lifetime_file"] == str(headroom_home / "stats.sqlite3")

    async def second_run(client: Client) -> Any:
        await client.call_tool("headroom_compress", {"content": log, "query": "payment 8812"})
        return (await client.call_tool("headroom_stats", {})).structured_content

    second = over_stdio(headroom_home, second_run, "--model", "gpt-4o")
    assert second["session"]["compressions"] == 1 and second["session"]["retrievals"] == 0
    assert second["lifetime"]["compressions"] == 2 and second["lifetime"]["tokens_saved"] == 2 * saved
    assert second["lifetime"]["retrievals"] == 1


def test_store_option_points_the_server_at_another_store(tmp_path: Path, headroom_home: Path) -> None:
    db = tmp_path / "elsewhere.sqlite3"
    log = build_log()

    async def body(client: Client) -> Any:
        return await client.call_tool("headroom_compress", {"content": log})

    packed = over_stdio(headroom_home, body, "--store", f"sqlite://{db}")
    ref = find_refs(packed.content[0].text)[0]
    assert SQLiteStore(db).get(ref).content == log
    assert not (headroom_home / "store.sqlite3").exists()


def test_bad_store_url_is_a_clear_error(headroom_home: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "headroom", "mcp", "--store", "bogus://nowhere"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert out.returncode != 0 and "unsupported store URL" in out.stderr and out.stdout == ""
