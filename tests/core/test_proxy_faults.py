"""Upstream faults and bad input: the client gets the provider's error format, the proxy keeps serving."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest
from click.testing import CliRunner
from headroom.cli import main
from headroom.proxy import ProxySettings, create_app
from headroom.testing import Reply
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.core.proxy_support import Rig, chat_messages, rig, service_log

HI = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def proxy_rig() -> Iterator[Rig]:
    with rig(timeout=1.0) as r:  # the proxy gives up on a silent upstream after 1 s
        yield r


def still_serving(env: Rig) -> None:
    env.up.script(Reply.say("still here"))
    out = env.openai().chat.completions.create(model="gpt-4o", messages=HI)  # type: ignore[arg-type]
    assert out.choices[0].message.content == "still here"


def test_upstream_500_and_429_reach_the_client_in_its_format(env: Rig) -> None:
    env.up.script(Reply.fail(500, "boom"), Reply.fail(429, "slow down"))
    with pytest.raises(openai.InternalServerError) as oe:
        env.openai().chat.completions.create(model="gpt-4o", messages=HI)  # type: ignore[arg-type]
    assert oe.value.body["message"] == "boom"  # type: ignore[index]
    with pytest.raises(anthropic.RateLimitError) as ae:
        env.anthropic().messages.create(model="claude-sonnet-4-6", max_tokens=5, messages=HI)  # type: ignore[arg-type]
    assert ae.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]
    still_serving(env)


def test_upstream_error_during_retrieval_loop(env: Rig) -> None:
    def retrieve(req):  # type: ignore[no-untyped-def]
        from headroom import find_refs

        return Reply.retrieve(find_refs(req.text)[0])

    env.up.script(retrieve, Reply.fail(500, "second round failed"))
    with pytest.raises(openai.InternalServerError):
        env.openai().chat.completions.create(model="gpt-4o", messages=chat_messages(service_log()))  # type: ignore[arg-type]
    still_serving(env)


def test_hanging_upstream_gives_504(env: Rig) -> None:
    env.up.script(Reply.hang(5))
    with pytest.raises(anthropic.APIStatusError) as e:
        env.anthropic().messages.create(model="claude-sonnet-4-6", max_tokens=5, messages=HI)  # type: ignore[arg-type]
    assert e.value.status_code == 504
    assert e.value.body["type"] == "error" and e.value.body["error"]["type"] == "timeout_error"  # type: ignore[index]
    still_serving(env)


def test_reset_before_answer_gives_502(env: Rig) -> None:
    env.up.script(Reply.reset(0))
    with pytest.raises(openai.APIStatusError) as e:
        env.openai().chat.completions.create(model="gpt-4o", messages=HI)  # type: ignore[arg-type]
    assert e.value.status_code == 502
    still_serving(env)


@pytest.mark.parametrize("compressed", [False, True], ids=["relayed", "managed"])
def test_reset_mid_stream_ends_with_an_error_event(env: Rig, compressed: bool) -> None:
    env.up.script(Reply.reset(after_events=4))
    messages = chat_messages(service_log()) if compressed else HI
    got = []
    with pytest.raises(openai.APIError) as e:
        for chunk in env.openai().chat.completions.create(model="gpt-4o", messages=messages, stream=True):  # type: ignore[arg-type]
            got.append(chunk)
    assert got  # what arrived before the reset was relayed
    assert "upstream" in str(e.value)
    with pytest.raises(anthropic.APIStatusError):
        env.up.script(Reply.reset(after_events=3))
        with env.anthropic().messages.stream(model="claude-sonnet-4-6", max_tokens=5, messages=HI) as s:  # type: ignore[arg-type]
            list(s)
    still_serving(env)


def test_malformed_json_and_wrong_content_type(env: Rig) -> None:
    with httpx.Client(base_url=env.url) as c:
        bad = c.post(
            "/v1/messages", content=b'{"model": "claude", "messages": [', headers={"content-type": "application/json"}
        )
        assert bad.status_code == 400
        assert bad.json()["type"] == "error" and bad.json()["error"]["type"] == "invalid_request_error"
        form = c.post("/v1/chat/completions", data={"model": "gpt-4o"})
        assert form.status_code == 415 and "JSON" in form.json()["error"]["message"]
        listed = c.post("/v1/chat/completions", json=[1, 2])
        assert listed.status_code == 400
        invalid = c.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": "not a list"})
    assert invalid.status_code == 200  # not ours to judge: it went upstream as sent
    assert env.up.requests[-1].json["messages"] == "not a list"
    still_serving(env)


def test_100_mb_bodies_get_413() -> None:
    with rig(max_body_bytes=8 * 1024 * 1024) as env:
        with socket.create_connection(("127.0.0.1", env.proxy.port)) as s:
            s.sendall(
                b"POST /v1/messages HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n"
                b"content-length: 104857600\r\n\r\n" + b"{" * 1000
            )
            head = s.recv(65536)
        assert head.startswith(b"HTTP/1.1 413")

        def chunks() -> Iterator[bytes]:
            block = b" " * (1024 * 1024)
            for _ in range(100):
                yield block

        with httpx.Client() as c:
            try:
                r = c.post(
                    env.url + "/v1/chat/completions", content=chunks(), headers={"content-type": "application/json"}
                )
                assert r.status_code == 413
            except httpx.TransportError:
                pass  # the proxy may close while the client is still sending; either way nothing went upstream
        assert env.up.requests == []
        still_serving(env)


def test_token_is_checked_on_every_route() -> None:
    with rig(token="s3cret") as env:
        with httpx.Client(base_url=env.url) as c:
            assert c.get("/health").status_code == 401
            denied = c.post("/v1/messages", json={"model": "claude-sonnet-4-6", "messages": HI})
            assert denied.status_code == 401 and denied.json()["error"]["type"] == "authentication_error"
            assert c.get("/v1/models").status_code == 401
            assert c.get("/health", headers={"x-headroom-token": "s3cret"}).status_code == 200
            assert c.get("/stats", headers={"proxy-authorization": "Bearer s3cret"}).status_code == 200
        env.up.script(Reply.say("authorised"))
        client = env.openai(default_headers={"x-headroom-token": "s3cret"})
        out = client.chat.completions.create(model="gpt-4o", messages=HI)  # type: ignore[arg-type]
        assert out.choices[0].message.content == "authorised"
        assert "x-headroom-token" not in env.up.requests[-1].headers
        assert env.up.requests[-1].headers["authorization"] == "Bearer sk-test-123"
    app = create_app(ProxySettings(token="s3cret"))
    with TestClient(app) as tc, pytest.raises(WebSocketDisconnect) as ws, tc.websocket_connect("/v1/realtime"):
        pass
    assert ws.value.code == 1008


def test_public_bind_needs_a_token() -> None:
    with pytest.raises(ValueError, match="token"):
        create_app(ProxySettings(host="0.0.0.0"))
    create_app(ProxySettings(host="0.0.0.0", token="t"))
    create_app(ProxySettings(host="::1"))
    result = CliRunner().invoke(main, ["proxy", "--host", "0.0.0.0", "--no-log"], env={"HEADROOM_PROXY_TOKEN": ""})
    assert result.exit_code != 0 and "token" in result.output
