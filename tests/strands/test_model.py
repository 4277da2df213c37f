"""HeadroomModel: any Strands model behind a compressing wrapper, in a real agent."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from headroom import MemoryStore, find_refs, retrieve
from headroom_strands import HeadroomModel
from strands import Agent, tool

from .conftest import TASK
from .scripted import ScriptedModel, retrieve_first_ref, tool_result_texts

ANSWER = "Block deletions are the rare events."


def build(log: str, store: MemoryStore, *, with_retrieve: bool = True) -> tuple[Agent, ScriptedModel, HeadroomModel]:
    @tool
    def read_log(path: str) -> str:
        """Read a log file from the cluster."""
        return log

    inner = ScriptedModel([{"tool": "read_log", "input": {"path": "hdfs.log"}}, retrieve_first_ref, ANSWER])
    model = HeadroomModel(inner, store=store)
    tools: list[Any] = [read_log, model.retrieve_tool] if with_retrieve else [read_log]
    return Agent(model=model, tools=tools, callback_handler=None), inner, model


def check(inner: ScriptedModel, agent: Agent, log: str, store: MemoryStore) -> None:
    (_, first_tools), (second, second_tools), (third, _) = inner.calls
    assert "headroom_retrieve" not in first_tools and "headroom_retrieve" in second_tools
    [seen] = tool_result_texts(second[-1])
    assert len(seen) < len(log) * 0.3
    [ref] = find_refs(seen)
    assert retrieve(ref, store=store) == log
    assert tool_result_texts(third[-1]) == [log]  # retrieved original, not compressed again
    assert tool_result_texts(agent.messages[2]) == [log]  # the wrapper never touches the history


def test_sync(hdfs_log: str, store: MemoryStore) -> None:
    agent, inner, model = build(hdfs_log, store)

    assert str(agent(TASK)).strip() == ANSWER

    check(inner, agent, hdfs_log, store)
    assert model.stats.model_calls == 3
    assert model.stats.model_call_tokens_saved > 10_000


def test_streaming_async(hdfs_log: str, store: MemoryStore) -> None:
    agent, inner, _ = build(hdfs_log, store)

    async def run() -> list[dict[str, Any]]:
        return [event async for event in agent.stream_async(TASK)]

    events = asyncio.run(run())

    assert "".join(e["data"] for e in events if "data" in e).strip() == ANSWER
    check(inner, agent, hdfs_log, store)


def test_without_the_retrieve_tool_nothing_is_compressed(
    hdfs_log: str, store: MemoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    @tool
    def read_log(path: str) -> str:
        """Read a log file from the cluster."""
        return hdfs_log

    inner = ScriptedModel([{"tool": "read_log", "input": {"path": "hdfs.log"}}, "ok"])
    agent = Agent(model=HeadroomModel(inner, store=store), tools=[read_log], callback_handler=None)

    with caplog.at_level(logging.WARNING, logger="headroom_strands"):
        agent(TASK)

    assert tool_result_texts(inner.calls[1][0][-1]) == [hdfs_log]
    assert "model.retrieve_tool" in caplog.text


def test_delegates_config(store: MemoryStore) -> None:
    inner = ScriptedModel([], model_id="gpt-4o")
    model = HeadroomModel(inner, store=store)

    model.update_config(temperature=0.1)

    assert model.get_config() == {"model_id": "gpt-4o", "temperature": 0.1}
    assert model.config is inner.config
    assert model.stateful is False
