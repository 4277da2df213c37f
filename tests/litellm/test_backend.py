"""``headroom proxy --backend litellm/<provider>``: the backend found by entry point, against the fake upstream."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from headroom.proxy import ProxySettings
from headroom.proxy.backends import UpstreamCall, load_backend
from headroom.testing import FakeUpstream, Reply
from headroom_litellm.backend import LiteLLMBackend

from .conftest import ORIGINAL, QUESTION, needs_fastapi, needs_mcp, openai_messages, retrieve_first_ref

Run = Callable[[Any], Any]
AUTH = [("authorization", "Bearer sk-client")]
PATHS = {
    "openai-chat": "/v1/chat/completions",
    "anthropic-messages": "/v1/messages",
    "openai-responses": "/v1/responses",
}


def _backend(up: FakeUpstream, provider: str, run: Run) -> Any:
    url = up.base_url if provider == "anthropic" else up.base_url + "/v1"

    async def load() -> Any:
        async with httpx.AsyncClient() as client:
            return load_backend(ProxySettings(backend=f"litellm/{provider}", upstream_url=url), client)

    return run(load())


def _send(backend: Any, api: str, payload: dict[str, Any], run: Run, headers: Any = ()) -> tuple[int, bytes]:
    call = UpstreamCall(
        api=api,  # type: ignore[arg-type]
        method="POST",
        path=PATHS.get(api, "/v1/messages/count_tokens"),
        query="",
        headers=list(headers),
        body=json.dumps(payload).encode(),
        payload=payload,
        stream=bool(payload.get("stream")),
    )

    async def go() -> tuple[int, bytes]:
        response = await backend.send(call)
        try:
            return response.status_code, await response.aread()
        finally:
            await response.aclose()

    return run(go())


def _sse_data(raw: bytes) -> list[Any]:
    lines = [line[6:] for line in raw.decode().splitlines() if line.startswith("data: ")]
    return [line if line == "[DONE]" else json.loads(line) for line in lines]


def test_the_entry_point_builds_a_litellm_backend(up: FakeUpstream, run: Run) -> None:
    backend = _backend(up, "groq", run)
    assert isinstance(backend, LiteLLMBackend)
    assert backend.model("llama-3.1-8b-instant") == "groq/llama-3.1-8b-instant"
    assert backend.model("groq/llama-3.1-8b-instant") == "groq/llama-3.1-8b-instant"
    assert LiteLLMBackend("").model("bedrock/anthropic.claude-3-5-sonnet") == "bedrock/anthropic.claude-3-5-sonnet"


def test_chat_completions_json_and_sse(up: FakeUpstream, run: Run) -> None:
    backend = _backend(up, "openai", run)
    auth = AUTH
    up.script(Reply.call("get_requests", {"day": "today"}), Reply.say("three orders failed"))
    payload = {"model": "gpt-4o", "messages": [{"role": "user", "content": QUESTION}]}
    status, body = _send(backend, "openai-chat", payload, run, auth)
    assert status == 200
    (call,) = json.loads(body)["choices"][0]["message"]["tool_calls"]
    assert call["function"] == {"name": "get_requests", "arguments": '{"day":"today"}'}
    status, body = _send(backend, "openai-chat", {**payload, "stream": True}, run, auth)
    events = _sse_data(body)
    assert events[-1] == "[DONE]"
    assert "".join(e["choices"][0]["delta"].get("content") or "" for e in events[:-1]) == "three orders failed"
    first, second = up.model_requests
    assert first.json["model"] == "gpt-4o"
    assert first.headers["authorization"] == "Bearer sk-client"  # the client's key, for its own provider
    assert second.json["stream"] is True


ANTHROPIC_PAYLOAD = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 100,
    "messages": [{"role": "user", "content": QUESTION}],
}


def test_anthropic_messages_json(up: FakeUpstream, run: Run) -> None:
    backend = _backend(up, "anthropic", run)
    up.script(Reply.say("three orders failed"))
    status, body = _send(backend, "anthropic-messages", ANTHROPIC_PAYLOAD, run, [("x-api-key", "sk-ant-client")])
    assert status == 200
    assert json.loads(body)["content"] == [{"type": "text", "text": "three orders failed"}]
    (sent,) = up.model_requests
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == "sk-ant-client"  # the client's key, for its own provider


@needs_fastapi
def test_anthropic_messages_sse(up: FakeUpstream, run: Run) -> None:
    backend = _backend(up, "anthropic", run)
    up.script(Reply.say("three orders failed"))
    payload = {**ANTHROPIC_PAYLOAD, "stream": True}
    status, body = _send(backend, "anthropic-messages", payload, run, [("x-api-key", "sk-ant-client")])
    assert status == 200
    events = _sse_data(body)
    assert events[0]["type"] == "message_start"
    assert events[-1]["type"] == "message_stop"
    text = "".join(e["delta"].get("text", "") for e in events if e["type"] == "content_block_delta")
    assert text == "three orders failed"
    assert up.model_requests[0].json["stream"] is True


@needs_mcp
def test_responses(up: FakeUpstream, run: Run) -> None:
    backend = _backend(up, "openai", run)
    up.script(Reply.say("three orders failed"))
    status, body = _send(backend, "openai-responses", {"model": "gpt-4o", "input": QUESTION}, run, AUTH)
    assert status == 200
    output = json.loads(body)["output"]
    assert output[0]["content"][0]["text"] == "three orders failed"
    assert up.model_requests[0].path == "/v1/responses"


def test_token_counts(up: FakeUpstream, run: Run) -> None:
    backend = _backend(up, "openai", run)
    status, body = _send(backend, "anthropic-count-tokens", {"model": "gpt-4o", "messages": openai_messages()}, run)
    assert status == 200
    assert json.loads(body)["input_tokens"] > len(ORIGINAL) / 10
    assert up.model_requests == []  # counted here, no upstream call


def test_provider_errors_keep_their_status_and_format(up: FakeUpstream, run: Run) -> None:
    backend = _backend(up, "openai", run)
    up.script(Reply.fail(429, "slow down"))
    payload = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "num_retries": 0}
    status, body = _send(backend, "openai-chat", payload, run, AUTH)
    assert status == 429
    assert "slow down" in json.loads(body)["error"]["message"]


def test_keys_of_other_providers_stay_with_the_client(
    up: FakeUpstream, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", "sk-mistral-env")
    backend = _backend(up, "mistral", run)
    up.script(Reply.say("ok"))
    payload = {"model": "mistral-large", "messages": [{"role": "user", "content": "hi"}]}
    status, _ = _send(backend, "openai-chat", payload, run, [("authorization", "Bearer sk-client-secret")])
    assert status == 200
    assert up.model_requests[0].headers["authorization"] == "Bearer sk-mistral-env"


@pytest.mark.skipif(
    importlib.util.find_spec("prometheus_client") is None or importlib.util.find_spec("starlette") is None,
    reason='the Headroom proxy itself needs "headroom-core[proxy]"',
)
def test_through_the_headroom_proxy_with_retrieval(up: FakeUpstream) -> None:
    import openai
    from headroom import MemoryStore
    from headroom.proxy.server import ProxyServer

    up.script(retrieve_first_ref, Reply.say("Orders 1000, 1061 and 1122 failed."))
    settings = ProxySettings(port=0, backend="litellm/openai", upstream_url=up.base_url + "/v1")
    with ProxyServer(settings, store=MemoryStore()) as proxy:
        client = openai.OpenAI(base_url=proxy.base_url + "/v1", api_key="sk-client", max_retries=0)
        reply = client.chat.completions.create(model="gpt-4o", messages=openai_messages())  # type: ignore[arg-type]
    assert reply.choices[0].message.content == "Orders 1000, 1061 and 1122 failed."
    first, second = up.model_requests
    assert len(first.body) < len(ORIGINAL) / 5
    assert second.json["messages"][-1]["content"] == ORIGINAL
