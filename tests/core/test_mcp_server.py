"""The MCP server in process, driven by the MCP SDK's own client (memory streams and direct dispatch)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from headroom import MemoryStore, compress, find_refs, retrieve
from headroom.mcp import create_server

from tests.core.helpers import build_log, openai_conversation

pytest.importorskip("mcp.server.mcpserver")

from mcp import Client, ClientSession  # after the importorskip above
from mcp.shared.memory import create_client_server_memory_streams

TOOLS = {"headroom_compress", "headroom_retrieve", "headroom_stats"}


def run_client(server: Any, body: Callable[[Client], Awaitable[Any]], *, mode: str = "legacy") -> Any:
    """Connect the SDK's client to ``server`` in process and run ``body`` with it."""

    async def main() -> Any:
        async with Client(server, mode=mode, cache=None) as client:
            return await body(client)

    return anyio.run(main)


def text_of(result: Any) -> str:
    return "".join(block.text for block in result.content)


def rows_json(n: int = 300) -> str:
    rows = [
        {"id": i, "status": "error" if i in (17, 211) else "ok", "latency_ms": 20 + i % 7, "region": "eu-west-1"}
        for i in range(n)
    ]
    return json.dumps(rows)


@pytest.fixture
def stats_path(tmp_path: Path) -> Path:
    return tmp_path / "stats.sqlite3"


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_lists_three_tools_with_documented_arguments(store: MemoryStore, stats_path: Path, mode: str) -> None:
    server = create_server(store, stats_path=stats_path)

    async def body(client: Client) -> Any:
        return (await client.list_tools()).tools

    tools = {t.name: t for t in run_client(server, body, mode=mode)}
    assert set(tools) == TOOLS
    assert tools["headroom_compress"].input_schema["required"] == ["content"]
    assert set(tools["headroom_compress"].input_schema["properties"]) == {"content", "query"}
    assert tools["headroom_retrieve"].input_schema["required"] == ["ref"]
    assert set(tools["headroom_retrieve"].input_schema["properties"]) == {"ref", "query", "lines"}
    assert "headroom_retrieve" in (tools["headroom_compress"].description or "")
    assert tools["headroom_retrieve"].annotations.read_only_hint is True
    # Retrieve answers in plain text: no output schema, so no JSON-escaped copy of the original.
    assert tools["headroom_retrieve"].output_schema is None
    assert tools["headroom_stats"].output_schema is not None


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_compress_then_retrieve_round_trip(store: MemoryStore, stats_path: Path, mode: str) -> None:
    log = build_log()
    server = create_server(store, stats_path=stats_path)

    async def body(client: Client) -> Any:
        packed = await client.call_tool("headroom_compress", {"content": log, "query": "payment 8812"})
        ref = packed.meta["headroom/refs"][0]
        whole = await client.call_tool("headroom_retrieve", {"ref": ref})
        some = await client.call_tool("headroom_retrieve", {"ref": ref, "lines": "2-3"})
        hits = await client.call_tool("headroom_retrieve", {"ref": ref, "query": "8812"})
        return packed, whole, some, hits

    packed, whole, some, hits = run_client(server, body, mode=mode)
    assert not packed.is_error
    compressed, summary = packed.content[0].text, packed.content[1].text
    assert "payment 8812 failed" in compressed and len(compressed) < len(log) / 2
    refs = find_refs(compressed)
    assert refs and packed.meta["headroom/refs"] == refs
    assert f"refs: {refs[0]}" in summary and "saved" in summary
    assert packed.meta["headroom/tokens_after"] < packed.meta["headroom/tokens_before"]
    # The original really is in the store the server was given.
    assert retrieve(refs[0], store=store) == log
    assert not whole.is_error and text_of(whole) == log
    assert text_of(some) == "\n".join(log.split("\n")[1:3])
    assert "8812" in text_of(hits) and len(text_of(hits)) < len(log) / 10


def test_json_stays_json_and_errors_survive(store: MemoryStore, stats_path: Path) -> None:
    data = rows_json()
    server = create_server(store, stats_path=stats_path)

    async def body(client: Client) -> Any:
        packed = await client.call_tool("headroom_compress", {"content": data})
        ref = packed.meta["headroom/refs"][0]
        errors = await client.call_tool("headroom_retrieve", {"ref": ref, "query": "error"})
        return packed, errors

    packed, errors = run_client(server, body)
    compressed = packed.content[0].text
    assert len(compressed) < len(data) / 2
    json.loads(compressed)  # still parseable
    assert '"error"' in compressed  # the failing rows are kept inline
    assert [r["id"] for r in json.loads(text_of(errors))] == [17, 211]


def test_small_content_comes_back_unchanged(store: MemoryStore, stats_path: Path) -> None:
    server = create_server(store, stats_path=stats_path)

    async def body(client: Client) -> Any:
        return await client.call_tool("headroom_compress", {"content": "just a short note"})

    result = run_client(server, body)
    assert not result.is_error
    assert result.content[0].text == "just a short note"
    assert result.meta["headroom/refs"] == []
    assert "kept as it is" in result.content[1].text


def test_unknown_expired_and_malformed_refs_are_tool_errors(stats_path: Path) -> None:
    now = [1000.0]
    store = MemoryStore(ttl_seconds=60, clock=lambda: now[0])
    log = build_log()
    server = create_server(store, stats_path=stats_path)

    async def body(client: Client) -> Any:
        packed = await client.call_tool("headroom_compress", {"content": log})
        ref = packed.meta["headroom/refs"][0]
        bad_range = await client.call_tool("headroom_retrieve", {"ref": ref, "lines": "nine-ten"})
        past_end = await client.call_tool("headroom_retrieve", {"ref": ref, "lines": "100000-100001"})
        unknown = await client.call_tool("headroom_retrieve", {"ref": "0123456789abcdef"})
        now[0] += 3600
        expired = await client.call_tool("headroom_retrieve", {"ref": ref})
        missing_arg = await client.call_tool("headroom_retrieve", {})
        still_alive = await client.call_tool("headroom_stats", {})
        return bad_range, past_end, unknown, expired, missing_arg, still_alive

    bad_range, past_end, unknown, expired, missing_arg, still_alive = run_client(server, body)
    assert bad_range.is_error and "120-180" in text_of(bad_range)
    assert past_end.is_error and "starts after the end" in text_of(past_end)
    assert unknown.is_error
    assert "0123456789abcdef" in text_of(unknown) and "not found" in text_of(unknown)
    assert "HEADROOM_HOME" in text_of(unknown)
    assert expired.is_error and "expired" in text_of(expired)
    assert missing_arg.is_error and "ref" in text_of(missing_arg)
    assert not still_alive.is_error  # errors did not take the server down


def test_stats_count_session_and_lifetime(store: MemoryStore, stats_path: Path) -> None:
    log = build_log()
    first = create_server(store, stats_path=stats_path)

    async def use(client: Client) -> Any:
        packed = await client.call_tool("headroom_compress", {"content": log, "query": "payment 8812"})
        await client.call_tool("headroom_compress", {"content": "tiny"})
        await client.call_tool("headroom_retrieve", {"ref": packed.meta["headroom/refs"][0], "lines": "1-2"})
        await client.call_tool("headroom_retrieve", {"ref": "0123456789abcdef"})  # a failure counts nothing
        stats = await client.call_tool("headroom_stats", {})
        return packed, stats

    packed, stats = run_client(first, use)
    saved = packed.meta["headroom/tokens_before"] - packed.meta["headroom/tokens_after"]
    session = stats.structured_content["session"]
    assert session["compressions"] == 2 and session["retrievals"] == 1 and session["refs"] == 1
    assert session["tokens_saved"] == saved > 0
    assert 0 < session["tokens_retrieved"] < 200
    assert session["net_tokens_saved"] == saved - session["tokens_retrieved"]
    assert stats.structured_content["lifetime"] == session
    assert json.loads(text_of(stats))["session"] == session  # the text block carries the same report

    # A second server (think: the next Claude Code session) starts a new session but the same lifetime.
    second = create_server(store, stats_path=stats_path)

    async def again(client: Client) -> Any:
        await client.call_tool("headroom_compress", {"content": log, "query": "payment 8812"})
        return (await client.call_tool("headroom_stats", {})).structured_content

    report = run_client(second, again)
    assert report["session"]["compressions"] == 1 and report["session"]["tokens_saved"] == saved
    assert report["lifetime"]["compressions"] == 3
    assert report["lifetime"]["tokens_saved"] == 2 * saved
    assert report["lifetime_file"] == str(stats_path)


def test_lifetime_defaults_to_headroom_home(store: MemoryStore, headroom_home: Path) -> None:
    server = create_server(store)

    async def body(client: Client) -> Any:
        await client.call_tool("headroom_compress", {"content": build_log()})
        return (await client.call_tool("headroom_stats", {})).structured_content

    report = run_client(server, body)
    assert report["lifetime_file"] == str(headroom_home / "stats.sqlite3")
    assert (headroom_home / "stats.sqlite3").exists()
    assert report["lifetime"]["compressions"] == 1


def test_unwritable_stats_file_never_fails_a_tool(store: MemoryStore, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the stats folder should be")
    server = create_server(store, stats_path=blocker / "stats.sqlite3")

    async def body(client: Client) -> Any:
        packed = await client.call_tool("headroom_compress", {"content": build_log()})
        stats = await client.call_tool("headroom_stats", {})
        return packed, stats

    packed, stats = run_client(server, body)
    assert not packed.is_error and packed.meta["headroom/refs"]
    report = stats.structured_content
    assert report["session"]["compressions"] == 1
    assert report["lifetime"] is None and "not-a-folder" in report["lifetime_note"]


def test_lifetime_can_be_switched_off(store: MemoryStore, headroom_home: Path) -> None:
    server = create_server(store, lifetime_stats=False)

    async def body(client: Client) -> Any:
        await client.call_tool("headroom_compress", {"content": build_log()})
        return (await client.call_tool("headroom_stats", {})).structured_content

    report = run_client(server, body)
    assert report["session"]["compressions"] == 1
    assert report["lifetime"] is None and "off" in report["lifetime_note"]
    assert not (headroom_home / "stats.sqlite3").exists()


def test_default_store_redeems_refs_written_by_compress(headroom_home: Path) -> None:
    # store=None: the process-wide default store under $HEADROOM_HOME, shared with the library and the proxy.
    result = compress(openai_conversation(build_log()), "gpt-4o")
    ref = result.refs[0]
    server = create_server()

    async def body(client: Client) -> Any:
        return await client.call_tool("headroom_retrieve", {"ref": ref})

    got = run_client(server, body)
    assert not got.is_error and text_of(got) == build_log()
    assert (headroom_home / "store.sqlite3").exists()


def test_explicit_memory_stream_session(store: MemoryStore, stats_path: Path) -> None:
    """The low-level path: ClientSession over the SDK's memory streams against the server's own loop."""
    server = create_server(store, stats_path=stats_path)
    lowlevel = server._lowlevel_server  # the SDK keeps the stream server here (2.x)

    async def main() -> Any:
        streams = create_client_server_memory_streams()
        async with streams as ((c_read, c_write), (s_read, s_write)), anyio.create_task_group() as tg:
            tg.start_soon(lambda: lowlevel.run(s_read, s_write, lowlevel.create_initialization_options()))
            async with ClientSession(c_read, c_write) as session:
                await session.initialize()
                packed = await session.call_tool("headroom_compress", {"content": build_log()})
                missing = await session.call_tool("headroom_retrieve", {"ref": "fedcba9876543210"})
            tg.cancel_scope.cancel()
        return packed, missing

    packed, missing = anyio.run(main)
    assert find_refs(packed.content[0].text)
    assert missing.is_error and "fedcba9876543210" in text_of(missing)


def test_lifetime_counts_from_concurrent_processes(tmp_path: Path) -> None:
    path = tmp_path / "stats.sqlite3"
    script = (
        "import sys\n"
        "from headroom.mcp._stats import SavingsLedger, Tally\n"
        "ledger = SavingsLedger(sys.argv[1])\n"
        "for _ in range(40):\n"
        "    ledger.add(Tally(compressions=1, tokens_before=100, tokens_after=30, refs=1))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(path)]) for _ in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    from headroom.mcp._stats import SavingsLedger

    total = SavingsLedger(path).total()
    assert total.compressions == 160 and total.tokens_saved == 160 * 70 and total.refs == 160


def test_importing_headroom_mcp_does_not_import_the_sdk() -> None:
    code = "import sys, headroom.mcp, headroom.mcp.cli; print('mcp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_sdk_names_the_install_command() -> None:
    code = (
        "import sys\n"
        "sys.modules['mcp'] = None  # as if the extra were not installed\n"
        "from headroom.mcp import create_server\n"
        "try:\n"
        "    create_server()\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert 'pip install "headroom-core[mcp]"' in out.stdout


def test_public_names() -> None:
    import headroom.mcp

    assert headroom.mcp.__all__ == ["DEFAULT_MODEL", "MCP_INSTALL_HINT", "create_server"]


def test_readme_quick_start_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = Path(__file__).parents[2] / "packages/headroom-core/src/headroom/mcp/README.md"
    blocks = readme.read_text().split("```python\n")[1:]
    assert len(blocks) == 1
    code = blocks[0].split("```")[0]
    assert len([line for line in code.splitlines() if line.strip()]) <= 15
    exec(compile(code, str(readme), "exec"), {"__name__": "readme"})
    printed = capsys.readouterr().out
    assert printed.startswith("headroom: ") and "refs: " in printed and "saved" in printed
