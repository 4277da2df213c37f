"""What actually goes over the wire: Strands' own OpenAI and Anthropic providers against a local fake server."""

from __future__ import annotations

from typing import Any

import pytest
from headroom import MemoryStore, find_refs, retrieve
from headroom.testing import FakeUpstream, RecordedRequest, Reply
from headroom_strands import HeadroomPlugin
from strands import Agent, tool
from strands.models import Model

from .conftest import TASK

ANSWER = "Two blocks were deleted; everything else is routine."


def _openai(up: FakeUpstream) -> Model:
    from strands.models.openai import OpenAIModel

    return OpenAIModel(client_args={"base_url": up.base_url + "/v1", "api_key": "sk-fake"}, model_id="gpt-4o")


def _anthropic(up: FakeUpstream) -> Model:
    from strands.models.anthropic import AnthropicModel

    return AnthropicModel(
        client_args={"base_url": up.base_url, "api_key": "sk-fake", "max_retries": 0},
        model_id="claude-sonnet-4-6",
        max_tokens=1024,
    )


def _tool_texts(body: dict[str, Any]) -> list[str]:
    """Tool-result texts of the last message of a Chat Completions or Messages request."""
    out = []
    for m in body["messages"]:
        if m.get("role") == "tool":
            content = m["content"]
            out.append(content if isinstance(content, str) else "".join(p["text"] for p in content))
        for block in m.get("content") if isinstance(m.get("content"), list) else []:
            if isinstance(block, dict) and block.get("type") == "tool_result":
                inner = block["content"]
                out.append(inner if isinstance(inner, str) else "".join(p["text"] for p in inner))
    return out


def _tool_names(body: dict[str, Any]) -> list[str]:
    return [t.get("name") or t["function"]["name"] for t in body.get("tools") or []]


def _retrieve_ref(request: RecordedRequest) -> Reply:
    return Reply.retrieve(find_refs(request.text)[-1])


@pytest.mark.parametrize("provider", [_openai, _anthropic], ids=["openai", "anthropic"])
def test_provider_request_carries_the_compressed_log_then_the_original(
    provider: Any, hdfs_log: str, store: MemoryStore
) -> None:
    @tool
    def read_log(path: str) -> str:
        """Read a log file from the cluster."""
        return hdfs_log

    with FakeUpstream() as up:
        up.script(Reply.call("read_log", {"path": "hdfs.log"}), _retrieve_ref, Reply.say(ANSWER))
        agent = Agent(
            model=provider(up), tools=[read_log], plugins=[HeadroomPlugin(store=store)], callback_handler=None
        )

        result = agent(TASK)

        first, second, third = (r.json for r in up.model_requests)
    assert str(result).strip() == ANSWER
    assert "headroom_retrieve" not in _tool_names(first)
    assert "headroom_retrieve" in _tool_names(second)
    [sent] = _tool_texts(second)
    assert len(sent) < len(hdfs_log) * 0.3
    [ref] = find_refs(sent)
    assert retrieve(ref, store=store) == hdfs_log
    assert _tool_texts(third) == [sent, hdfs_log]
