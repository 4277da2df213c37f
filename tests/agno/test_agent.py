"""Headroom in a real Agno agent: a tool returns a recorded GitHub API session, the scripted model retrieves it."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from typing import Any

import pytest
from agno.agent import Agent
from agno.models.message import Message
from agno.run.agent import CompressionCompletedEvent, RunOutput
from headroom import MemoryStore, find_refs, retrieve
from headroom.tokens import get_tokenizer
from headroom_agno import HeadroomCompressionManager, HeadroomModel, headroom_retrieve_tool, wrap_model

from .conftest import TASK
from .scripted import ScriptedModel, retrieve_first_ref

FETCH = {"tool": "fetch_session", "args": {"scenario": "project-cards"}}
ANSWER = "POST /orgs/octokit-fixture-org/repos returned 201; the new repository's id is 515436055."
MODES = ["run", "arun", "stream", "astream"]
SETUPS = ["manager", "wrapper", "both"]


def build(
    session_json: str, store: MemoryStore | None, setup: str, turns: list[Any] | None = None
) -> tuple[Agent, ScriptedModel]:
    def fetch_session(scenario: str) -> str:
        """Fetch a recorded GitHub REST API session (requests and responses) by scenario name."""
        return session_json

    scripted = ScriptedModel(turns=turns or [FETCH, retrieve_first_ref, ANSWER])
    kwargs: dict[str, Any] = {}
    if setup in ("manager", "both"):
        kwargs["compression_manager"] = HeadroomCompressionManager(store=store)
    model = wrap_model(scripted, store=store) if setup in ("wrapper", "both") else scripted
    tools = [fetch_session, headroom_retrieve_tool(store)]
    return Agent(model=model, tools=tools, telemetry=False, **kwargs), scripted


def run(agent: Agent, mode: str) -> tuple[RunOutput, list[Any]]:
    """The run's output and, for streaming modes, every event it yielded."""
    if mode == "run":
        return agent.run(TASK), []
    if mode == "arun":
        return asyncio.run(agent.arun(TASK)), []
    if mode == "stream":
        events = list(agent.run(TASK, stream=True, stream_events=True, yield_run_output=True))
    else:

        async def collect() -> list[Any]:
            return [e async for e in agent.arun(TASK, stream=True, stream_events=True, yield_run_output=True)]

        events = asyncio.run(collect())
    output = events[-1]
    assert isinstance(output, RunOutput)
    streamed = "".join(e.content for e in events if type(e).__name__ == "RunContentEvent" and e.content)
    assert streamed.strip() == ANSWER
    return output, events


def check_round_trip(model: ScriptedModel, original: str, store: MemoryStore | None) -> str:
    """The model saw the compressed session, asked for the original and got it; returns what it saw."""
    assert len(model.calls) == 3
    [seen] = model.calls[1].tool_contents()
    assert len(seen) < len(original) * 0.3
    json.loads(seen)  # still valid JSON
    assert "/orgs/octokit-fixture-org/repos" in seen and "515436055" in seen  # what the task asks about
    [ref] = find_refs(seen)
    assert retrieve(ref, store=store) == original
    assert model.calls[2].tool_contents() == [seen, original]  # the original, not compressed again
    return seen


def tool_messages(output: RunOutput) -> list[Message]:
    return [m for m in output.messages or [] if m.role == "tool"]


@pytest.mark.parametrize("mode", MODES)
def test_compression_manager(session_json: str, store: MemoryStore, mode: str) -> None:
    agent, model = build(session_json, store, "manager")

    output, events = run(agent, mode)

    assert str(output.content).strip() == ANSWER
    seen = check_round_trip(model, session_json, store)
    first, retrieved = tool_messages(output)
    assert first.content == session_json and first.compressed_content == seen  # history keeps the original
    assert retrieved.content == session_json and retrieved.compressed_content is None
    metrics = output.metrics.additional_metrics if output.metrics else None
    assert metrics is not None
    assert metrics["headroom_tool_results_compressed"] == 1
    assert metrics["headroom_tool_result_tokens_saved"] == metrics["headroom_tokens_saved"] > 10_000
    assert metrics["headroom_seconds"] > 0
    if events:  # Agno's own compression events carry the counts too
        [done] = [e for e in events if isinstance(e, CompressionCompletedEvent)]
        assert done.tool_results_compressed == 1 and done.compressed_size == len(seen)


@pytest.mark.parametrize("mode", MODES)
def test_model_wrapper(session_json: str, store: MemoryStore, mode: str) -> None:
    agent, model = build(session_json, store, "wrapper")

    output, _ = run(agent, mode)

    assert str(output.content).strip() == ANSWER
    seen = check_round_trip(model, session_json, store)
    assert "headroom_retrieve" not in model.calls[0].tools  # offered once there is a marker to redeem
    assert "headroom_retrieve" in model.calls[1].tools
    assert [m.content for m in tool_messages(output)] == [session_json, session_json]  # history untouched
    metrics = output.metrics.additional_metrics if output.metrics else None
    assert metrics is not None
    # Two calls carry the compressed result; its saving is counted once (issue 18: it was counted twice).
    count = get_tokenizer(model.id).count
    assert metrics["headroom_model_input_tokens_saved"] == metrics["headroom_tokens_saved"]
    assert metrics["headroom_tokens_saved"] == count(session_json) - count(seen) > 10_000


def test_manager_and_wrapper_do_not_compress_twice(session_json: str, store: MemoryStore) -> None:
    agent, model = build(session_json, store, "both")

    output = agent.run(TASK)

    seen = check_round_trip(model, session_json, store)
    assert tool_messages(output)[0].compressed_content == seen
    metrics = output.metrics.additional_metrics if output.metrics else {}
    assert metrics["headroom_model_input_tokens_saved"] == 0
    assert metrics["headroom_tokens_saved"] == metrics["headroom_tool_result_tokens_saved"]


def test_default_store_serves_retrieval(session_json: str) -> None:
    agent, model = build(session_json, None, "manager")

    agent.run(TASK)

    check_round_trip(model, session_json, None)


def test_same_bytes_in_another_agent(session_json: str) -> None:
    """Deterministic: another agent with its own store sends the model the same bytes."""
    seen = []
    for _ in range(2):
        agent, model = build(session_json, MemoryStore(), "manager")
        agent.run(TASK)
        seen.append(model.calls[1].tool_contents())
    assert seen[0] == seen[1]


def test_small_results_pass_through(store: MemoryStore) -> None:
    agent, model = build('{"status": 201, "id": 515436055}', store, "both", [FETCH, "201"])

    output = agent.run(TASK)

    assert model.calls[1].tool_contents() == ['{"status": 201, "id": 515436055}']
    assert "headroom_retrieve" not in model.calls[1].tools
    metrics = output.metrics.additional_metrics if output.metrics else {}
    assert metrics.get("headroom_tokens_saved", 0) == 0
    assert "headroom_tool_results_compressed" not in metrics


def test_unknown_ref_is_reported_to_the_model(store: MemoryStore) -> None:
    turns: list[Any] = [{"tool": "headroom_retrieve", "args": {"ref": "0123456789abcdef"}}, "sorry"]
    agent, model = build("{}", store, "manager", turns)

    agent.run("Fetch ref 0123456789abcdef")

    [answer] = model.calls[1].tool_contents()
    assert "0123456789abcdef" in answer and "not found" in answer.lower()


def test_agent_copies_share_the_store(session_json: str, store: MemoryStore) -> None:
    agent, _ = build(session_json, store, "both")
    twin = agent.deep_copy()
    scripted = ScriptedModel(turns=[FETCH, retrieve_first_ref, ANSWER])
    twin.model = wrap_model(scripted, store=store)

    twin.run(TASK)

    check_round_trip(scripted, session_json, store)


def test_wrapper_without_the_retrieve_tool_compresses_nothing(
    session_json: str, store: MemoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    def fetch_session(scenario: str) -> str:
        """Fetch a recorded GitHub REST API session."""
        return session_json

    scripted = ScriptedModel(turns=[FETCH, "ok"])
    agent = Agent(model=wrap_model(scripted, store=store), tools=[fetch_session], telemetry=False)

    with caplog.at_level(logging.WARNING, logger="headroom_agno"):
        agent.run(TASK)

    assert scripted.calls[1].tool_contents() == [session_json]
    assert "headroom_retrieve_tool" in caplog.text


def test_wrap_model_copies(store: MemoryStore) -> None:
    scripted = ScriptedModel(id="gpt-4o-mini", turns=["hi"])

    wrapped = wrap_model(scripted, store=store)

    assert isinstance(wrapped, ScriptedModel) and isinstance(wrapped, HeadroomModel)
    assert not isinstance(scripted, HeadroomModel)
    assert wrapped.id == "gpt-4o-mini" and wrapped.turns is scripted.turns
    assert isinstance(copy.copy(wrapped), HeadroomModel)  # Agno copies models when it copies agents
    with pytest.raises(TypeError, match="already wrapped"):
        wrap_model(wrapped)


def test_options_are_checked_up_front() -> None:
    with pytest.raises(TypeError, match="unknown compress option"):
        HeadroomCompressionManager(min_tokenz=10)
    with pytest.raises(TypeError, match="unknown compress option"):
        wrap_model(ScriptedModel(), min_tokenz=10)
    with pytest.raises(ValueError, match="compaction"):
        HeadroomCompressionManager(fit=True)
