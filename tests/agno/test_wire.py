"""What goes over the wire: Agno's own OpenAI and Anthropic models against a local fake server."""

from __future__ import annotations

from typing import Any

import pytest
from agno.agent import Agent
from agno.models.base import Model
from headroom import MemoryStore, find_refs, retrieve
from headroom.testing import FakeUpstream, RecordedRequest, Reply
from headroom_agno import HeadroomCompressionManager, headroom_retrieve_tool, wrap_model

from .conftest import TASK

ANSWER = "201, id 515436055."


def _openai(up: FakeUpstream) -> Model:
    from agno.models.openai import OpenAIChat

    return OpenAIChat(id="gpt-4o", api_key="sk-fake", base_url=up.base_url + "/v1", max_retries=0)


def _claude(up: FakeUpstream) -> Model:
    from agno.models.anthropic import Claude

    return Claude(id="claude-sonnet-4-6", api_key="sk-fake", client_params={"base_url": up.base_url, "max_retries": 0})


def _tool_texts(body: dict[str, Any]) -> list[str]:
    """Tool-result texts of a Chat Completions or Messages request, in order."""
    out = []
    for m in body["messages"]:
        if m.get("role") == "tool":
            out.append(m["content"] if isinstance(m["content"], str) else "".join(p["text"] for p in m["content"]))
        for block in m["content"] if isinstance(m.get("content"), list) else []:
            if isinstance(block, dict) and block.get("type") == "tool_result":
                inner = block["content"]
                out.append(inner if isinstance(inner, str) else "".join(p["text"] for p in inner))
    return out


def _retrieve_ref(request: RecordedRequest) -> Reply:
    return Reply.retrieve(find_refs(request.text)[-1])


@pytest.mark.parametrize("setup", ["manager", "wrapper"])
@pytest.mark.parametrize("provider", [_openai, _claude], ids=["openai", "anthropic"])
def test_provider_request_carries_the_compressed_session_then_the_original(
    provider: Any, setup: str, session_json: str, store: MemoryStore
) -> None:
    def fetch_session(scenario: str) -> str:
        """Fetch a recorded GitHub REST API session by scenario name."""
        return session_json

    with FakeUpstream() as up:
        up.script(Reply.call("fetch_session", {"scenario": "project-cards"}), _retrieve_ref, Reply.say(ANSWER))
        model = provider(up)
        kwargs: dict[str, Any] = {"compression_manager": HeadroomCompressionManager(store=store)}
        if setup == "wrapper":
            model, kwargs = wrap_model(model, store=store), {}
        agent = Agent(model=model, tools=[fetch_session, headroom_retrieve_tool(store)], telemetry=False, **kwargs)

        output = agent.run(TASK)

        _, second, third = (r.json for r in up.model_requests)
    assert str(output.content).strip() == ANSWER
    [sent] = _tool_texts(second)
    assert len(sent) < len(session_json) * 0.3 and "515436055" in sent
    [ref] = find_refs(sent)
    assert retrieve(ref, store=store) == session_json
    assert _tool_texts(third) == [sent, session_json]
