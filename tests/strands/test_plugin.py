"""HeadroomPlugin in a real Strands agent: a log tool, a scripted model that retrieves what was left out."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from headroom import MemoryStore, find_refs, retrieve
from headroom_strands import HeadroomPlugin
from strands import Agent, tool

from .conftest import TASK
from .scripted import ScriptedModel, retrieve_first_ref, tool_result_texts

READ = {"tool": "read_log", "input": {"path": "/var/log/hadoop/hdfs.log"}}
ANSWER = "The rare events are the block deletions and the replication requests."
RARE_LINE = "081111 044337 13 INFO dfs.DataBlockScanner: Verification succeeded for blk_-6160667975382232149"


def build(
    log: str, store: MemoryStore | None, turns: list[Any] | None = None, **plugin_kw: Any
) -> tuple[Agent, ScriptedModel, HeadroomPlugin]:
    @tool
    def read_log(path: str) -> str:
        """Read a log file from the cluster."""
        return log

    model = ScriptedModel(turns or [READ, retrieve_first_ref, ANSWER])
    plugin = HeadroomPlugin(store=store, **plugin_kw)
    agent = Agent(model=model, tools=[read_log], plugins=[plugin], callback_handler=None)
    return agent, model, plugin


def check_round_trip(model: ScriptedModel, log: str, store: MemoryStore | None) -> str:
    """The model saw the compressed log, asked for the original and got it; returns what it saw."""
    assert len(model.calls) == 3
    (_, first_tools), (second, second_tools), (third, _) = model.calls
    assert "headroom_retrieve" not in first_tools  # nothing to retrieve yet
    assert "headroom_retrieve" in second_tools

    [seen] = tool_result_texts(second[-1])
    assert len(seen) < len(log) * 0.3
    log_lines = set(log.splitlines())
    kept = [line for line in seen.splitlines() if not line.startswith("[headroom: ")]
    assert kept and all(line in log_lines for line in kept)  # lines kept verbatim, never rewritten
    assert RARE_LINE in seen  # a rarely occurring event survives
    [ref] = find_refs(seen)
    assert retrieve(ref, store=store) == log

    [retrieved] = tool_result_texts(third[-1])
    assert retrieved == log  # the original, not compressed again
    assert tool_result_texts(third[2]) == [seen]  # the earlier result is sent with the same bytes
    return seen


def test_sync_agent_gets_compressed_log_then_the_original(hdfs_log: str, store: MemoryStore) -> None:
    agent, model, plugin = build(hdfs_log, store)
    assert "headroom_retrieve" in agent.tool_names

    result = agent(TASK)

    assert str(result).strip() == ANSWER
    seen = check_round_trip(model, hdfs_log, store)
    # Compressed as it was produced: the history holds what the model saw, the store the original.
    assert tool_result_texts(agent.messages[2]) == [seen]
    assert plugin.stats.tool_results == 1
    assert plugin.stats.tool_result_tokens_saved > 10_000


def test_async_invoke(hdfs_log: str, store: MemoryStore) -> None:
    agent, model, _ = build(hdfs_log, store)

    result = asyncio.run(agent.invoke_async(TASK))

    assert str(result).strip() == ANSWER
    check_round_trip(model, hdfs_log, store)


def test_streaming(hdfs_log: str, store: MemoryStore) -> None:
    agent, model, _ = build(hdfs_log, store)

    async def run() -> list[dict[str, Any]]:
        return [event async for event in agent.stream_async(TASK)]

    events = asyncio.run(run())

    streamed = "".join(e["data"] for e in events if "data" in e)
    assert streamed.strip() == ANSWER
    assert str(events[-1]["result"]).strip() == ANSWER
    check_round_trip(model, hdfs_log, store)


def test_model_input_only_leaves_the_history_alone(hdfs_log: str, store: MemoryStore) -> None:
    agent, model, plugin = build(hdfs_log, store, tool_results=False)

    agent(TASK)

    check_round_trip(model, hdfs_log, store)
    assert tool_result_texts(agent.messages[2]) == [hdfs_log]  # the agent's own history is untouched
    assert plugin.stats.tool_results == 0
    assert plugin.stats.model_calls == 3
    assert plugin.stats.model_call_tokens_saved > 10_000


def test_default_store_serves_retrieval(hdfs_log: str) -> None:
    agent, model, _ = build(hdfs_log, None)  # the process-wide SQLite store under $HEADROOM_HOME

    agent(TASK)

    check_round_trip(model, hdfs_log, None)


def test_same_bytes_in_another_agent(hdfs_log: str) -> None:
    """Compression is deterministic: a second agent (own store) sends the model the same bytes."""
    runs = []
    for _ in range(2):
        agent, model, _ = build(hdfs_log, MemoryStore())
        agent(TASK)
        runs.append(tool_result_texts(model.calls[1][0][-1]))
    assert runs[0] == runs[1]


def test_small_results_and_short_conversations_pass_through(store: MemoryStore) -> None:
    agent, model, plugin = build("3 files found: a.txt b.txt c.txt", store, [READ, "three files"])

    agent("List the files")

    assert tool_result_texts(model.calls[1][0][-1]) == ["3 files found: a.txt b.txt c.txt"]
    assert "headroom_retrieve" not in model.calls[1][1]
    assert plugin.stats.tokens_saved == 0


def test_retrieve_tool_reports_unknown_refs_to_the_model(store: MemoryStore) -> None:
    model = ScriptedModel([{"tool": "headroom_retrieve", "input": {"ref": "0123456789abcdef"}}, "sorry"])
    agent = Agent(model=model, plugins=[HeadroomPlugin(store=store)], callback_handler=None)

    agent("Fetch ref 0123456789abcdef")

    result = agent.messages[2]["content"][0]["toolResult"]
    assert result["status"] == "error"
    assert "0123456789abcdef" in result["content"][0]["text"]


def test_direct_tool_call_is_compressed_too(hdfs_log: str, store: MemoryStore) -> None:
    agent, _, _ = build(hdfs_log, store)

    result = agent.tool.read_log(path="/var/log/hadoop/hdfs.log")

    [text] = [item["text"] for item in result["content"]]
    [ref] = find_refs(text)
    assert retrieve(ref, store=store) == hdfs_log


def test_json_tool_results_stay_json(store: MemoryStore, hdfs_log: str) -> None:
    fields = ("date", "time", "pid", "level", "message")
    rows = [dict(zip(fields, line.split(" ", 4), strict=True)) for line in hdfs_log.splitlines()]

    @tool
    def query_events(level: str) -> dict[str, Any]:
        """Query the event store."""
        return {"status": "success", "content": [{"json": {"events": rows}}]}

    model = ScriptedModel([{"tool": "query_events", "input": {"level": "INFO"}}, "ok"])
    agent = Agent(model=model, tools=[query_events], plugins=[HeadroomPlugin(store=store)], callback_handler=None)

    agent("Which DataNode events are unusual?")

    [item] = model.calls[1][0][-1]["content"][0]["toolResult"]["content"]
    assert "json" in item  # still a JSON item, now smaller
    sent = json.dumps(item["json"])
    assert len(sent) < len(json.dumps({"events": rows})) * 0.5
    [ref] = find_refs(sent)
    assert json.loads(retrieve(ref, store=store)) == {"events": rows}


def test_options_are_checked_up_front() -> None:
    with pytest.raises(TypeError, match="unknown compress option"):
        HeadroomPlugin(min_tokenz=10)
    with pytest.raises(ValueError, match="ConversationManager"):
        HeadroomPlugin(fit=True)


def test_user_registered_retrieve_tool_is_kept(store: MemoryStore) -> None:
    @tool
    def headroom_retrieve(ref: str) -> str:
        """My own retrieve tool."""
        return "mine"

    agent = Agent(model=ScriptedModel(["hi"]), tools=[headroom_retrieve], plugins=[HeadroomPlugin(store=store)])
    assert agent.tool_registry.registry["headroom_retrieve"] is headroom_retrieve


def test_images_and_other_blocks_reach_the_model_untouched(hdfs_log: str, store: MemoryStore) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4

    @tool
    def screenshot_and_log(host: str) -> dict[str, Any]:
        """Screenshot the dashboard and read the log."""
        image = {"image": {"format": "png", "source": {"bytes": png}}}
        return {"status": "success", "content": [image, {"text": hdfs_log}]}

    model = ScriptedModel([{"tool": "screenshot_and_log", "input": {"host": "nn1"}}, "ok"])
    plugin = HeadroomPlugin(store=store, tool_results=False)
    agent = Agent(model=model, tools=[screenshot_and_log], plugins=[plugin], callback_handler=None)

    agent(TASK)

    image, text = model.calls[1][0][-1]["content"][0]["toolResult"]["content"]
    assert image == {"image": {"format": "png", "source": {"bytes": png}}}
    [ref] = find_refs(text["text"])
    assert retrieve(ref, store=store) == hdfs_log
    assert agent.messages[2]["content"][0]["toolResult"]["content"][1] == {"text": hdfs_log}


class BrokenStore(MemoryStore):
    """A store whose writes fail (a full disk, a lost Redis connection)."""

    def put(self, *args: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")


def test_store_failure_fails_open(hdfs_log: str) -> None:
    agent, model, _ = build(hdfs_log, BrokenStore(), [READ, "I read it all."])

    result = agent(TASK)

    assert str(result).strip() == "I read it all."
    sent = tool_result_texts(model.calls[1][0][-1])
    assert sent == [hdfs_log]  # nothing stored, so nothing left out
