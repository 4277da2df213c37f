"""The real openai and anthropic SDKs through the proxy to the fake upstream: what arrives, what comes back."""

from __future__ import annotations

import anthropic
import httpx
import pytest
from headroom import MemoryStore, retrieve
from headroom.proxy import ProxySettings
from headroom.proxy.server import ProxyServer
from headroom.testing import FakeUpstream, RecordedRequest, Reply

from tests.core.proxy_support import (
    QUESTION,
    Rig,
    anthropic_messages,
    chat_messages,
    refs_in,
    responses_input,
    service_log,
    tool_names,
)

LOG = service_log()
HI = [{"role": "user", "content": "hi"}]
FAILURE = "2025-03-14T10:12:30.500Z ERROR [worker-1] payment gateway timeout after 30000ms order=10750"


def test_chat_request_arrives_compressed_with_the_failure_kept(env: Rig) -> None:
    env.up.script(Reply.say("The gateway timed out."))
    raw = env.openai().chat.completions.with_raw_response.create(model="gpt-4o", messages=chat_messages(LOG))  # type: ignore[arg-type]
    assert raw.parse().choices[0].message.content == "The gateway timed out."
    (req,) = env.up.model_requests
    sent = req.json["messages"][2]["content"]
    assert FAILURE in sent and len(sent) < len(LOG) / 3
    assert req.json["messages"][:2] == chat_messages(LOG)[:2]
    assert "headroom_retrieve" in tool_names(req)
    (ref,) = refs_in(req)
    assert retrieve(ref, store=env.store) == LOG
    before, after = int(raw.headers["x-headroom-tokens-before"]), int(raw.headers["x-headroom-tokens-after"])
    assert before > 3 * after and int(raw.headers["x-headroom-tokens-saved"]) == before - after
    assert req.headers["authorization"] == "Bearer sk-test-123"


def test_anthropic_request_and_count_tokens_arrive_compressed(env: Rig) -> None:
    env.up.script(Reply.say("Gateway timeout."))
    client = env.anthropic()
    msg = client.messages.create(model="claude-sonnet-4-6", max_tokens=200, messages=anthropic_messages(LOG))  # type: ignore[arg-type]
    assert msg.content[0].text == "Gateway timeout."  # type: ignore[union-attr]
    count = client.messages.count_tokens(model="claude-sonnet-4-6", messages=anthropic_messages(LOG))  # type: ignore[arg-type]
    create, counted = env.up.requests
    assert counted.path == "/v1/messages/count_tokens"
    for req in (create, counted):
        result = req.json["messages"][2]["content"][0]["content"]
        assert FAILURE in result and len(result) < len(LOG) / 3
    assert count.input_tokens < len(LOG) / 12  # the upstream counted what will really be sent
    assert "sk-ant-test-456" in create.headers.get("x-api-key", "") + create.headers.get("authorization", "")


def test_responses_request_arrives_compressed(env: Rig) -> None:
    env.up.script(Reply.say("Timeout at the gateway."))
    resp = env.openai().responses.create(model="gpt-4o", input=responses_input(LOG))  # type: ignore[arg-type]
    assert resp.output_text == "Timeout at the gateway."
    (req,) = env.up.model_requests
    output = req.json["input"][2]["output"]
    assert FAILURE in output and len(output) < len(LOG) / 3
    assert req.json["input"][0] == {"role": "user", "content": QUESTION}


def test_small_request_goes_byte_for_byte_and_stream_comes_back_byte_for_byte(env: Rig) -> None:
    body = b'{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Say hi in French."}]}'
    env.up.script(Reply.say("Bonjour tout le monde, comment allez-vous ?"))
    with (
        httpx.Client() as client,
        client.stream(
            "POST",
            env.url + "/v1/chat/completions",
            content=body,
            headers={"content-type": "application/json", "authorization": "Bearer sk-x"},
        ) as r,
    ):
        got = b"".join(r.iter_raw())
        assert r.headers["content-type"].startswith("text/event-stream")
    (req,) = env.up.requests
    assert req.body == body
    assert got == env.up.reply_body(req)
    assert got.count(b"data: ") >= 9 and got.endswith(b"data: [DONE]\n\n")


def test_anthropic_stream_through_the_proxy(env: Rig) -> None:
    env.up.script(Reply.say("Streaming works through the proxy."))
    with env.anthropic().messages.stream(
        model="claude-sonnet-4-6",
        max_tokens=50,
        messages=[{"role": "user", "content": "hi"}],
    ) as s:
        text = "".join(s.text_stream)
    assert text == "Streaming works through the proxy."
    (req,) = env.up.requests
    assert env.up.reply_body(req).startswith(b"event: message_start")


def test_other_paths_pass_through(env: Rig) -> None:
    models = env.openai().models.list()
    assert [m.id for m in models.data] == ["fake-model"]
    with httpx.Client() as client:
        r = client.delete(env.url + "/v1/files/file-123?purpose=x", headers={"authorization": "Bearer sk-x"})
    assert r.status_code == 404
    last = env.up.requests[-1]
    assert (last.method, last.path, last.query) == ("DELETE", "/v1/files/file-123", "purpose=x")
    assert last.headers["authorization"] == "Bearer sk-x"


def test_unversioned_openai_paths_are_served(env: Rig) -> None:
    env.up.script(Reply.say("ok then"))
    client = env.openai(base_url=env.url)
    out = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert out.choices[0].message.content == "ok then"
    assert env.up.requests[-1].path == "/v1/chat/completions"


def test_gzipped_upstream_answers_relayed_and_accounted() -> None:
    with FakeUpstream(gzip=True) as up:
        settings = ProxySettings(port=0, openai_url=up.base_url, anthropic_url=up.base_url)
        with ProxyServer(settings, store=MemoryStore()) as proxy:
            client = anthropic.Anthropic(base_url=proxy.base_url, api_key="k", max_retries=0)
            up.script(Reply.say("relayed"), fetch_first_ref, Reply.say("after retrieval"))
            relayed = client.messages.create(model="claude-sonnet-4-6", max_tokens=5, messages=HI)  # type: ignore[arg-type]
            assert relayed.content[0].text == "relayed"  # type: ignore[union-attr]
            assert up.reply_body(up.requests[0])[:2] == b"\x1f\x8b"  # it really was gzip on the wire
            with httpx.Client() as c:
                first = c.get(proxy.base_url + "/stats").json()["cost_usd"]
            # the usage was read from the gzipped answer: input as billed, one output token
            assert first == pytest.approx((len(up.requests[0].body) // 4 * 3.0 + 1 * 15.0) / 1e6)
            managed = client.messages.create(model="claude-sonnet-4-6", max_tokens=5, messages=anthropic_messages(LOG))  # type: ignore[arg-type]
            assert managed.content[-1].text == "after retrieval"  # type: ignore[union-attr]
            with httpx.Client() as c:
                stats = c.get(proxy.base_url + "/stats").json()
    billed = sum(max(1, len(r.body) // 4) for r in up.model_requests)
    expected = billed * 3.0 / 1e6  # claude-sonnet-4-6 input price; output tokens add a little
    assert expected < stats["per_model"]["claude-sonnet-4-6"]["cost_usd"] < expected * 1.5


def fetch_first_ref(req: RecordedRequest) -> Reply:
    return Reply.retrieve(refs_in(req)[0], query="gateway")
