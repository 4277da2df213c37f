"""The fake upstream speaks each provider's wire format well enough for the real SDKs to parse it."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest
from headroom.testing import FakeToolCall, FakeUpstream, Reply


@pytest.fixture(scope="module")
def up() -> Iterator[FakeUpstream]:
    with FakeUpstream() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(up: FakeUpstream) -> None:
    up.clear()


def oa(up: FakeUpstream, **kw: object) -> openai.OpenAI:
    return openai.OpenAI(base_url=up.base_url + "/v1", api_key="sk-test", max_retries=0, **kw)  # type: ignore[arg-type]


def an(up: FakeUpstream, **kw: object) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=up.base_url, api_key="sk-ant-test", max_retries=0, **kw)  # type: ignore[arg-type]


USER = [{"role": "user", "content": "What is the weather in Paris?"}]


def test_chat_text_and_request_recorded(up: FakeUpstream) -> None:
    up.script(Reply.say("Sunny and 21 degrees."))
    out = oa(up).chat.completions.create(model="gpt-4o", messages=USER)  # type: ignore[arg-type]
    assert out.choices[0].message.content == "Sunny and 21 degrees."
    assert out.choices[0].finish_reason == "stop"
    assert out.usage is not None and out.usage.prompt_tokens > 0
    req = up.requests[-1]
    assert (req.method, req.path) == ("POST", "/v1/chat/completions")
    assert req.json["messages"] == USER
    assert req.headers["authorization"] == "Bearer sk-test"


def test_chat_stream_with_tool_calls(up: FakeUpstream) -> None:
    up.script(Reply(text="Checking.", tool_calls=(FakeToolCall("get_weather", {"city": "Paris"}),)))
    stream = oa(up).chat.completions.create(
        model="gpt-4o",
        messages=USER,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    text, args, names, finish, usage = "", "", [], None, None
    for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
            for tc in choice.delta.tool_calls or []:
                names += [tc.function.name] if tc.function and tc.function.name else []
                args += tc.function.arguments or "" if tc.function else ""
            finish = choice.finish_reason or finish
    assert text == "Checking."
    assert names == ["get_weather"]
    assert json.loads(args) == {"city": "Paris"}
    assert finish == "tool_calls"
    assert usage is not None and usage.completion_tokens > 0


def test_anthropic_messages_text_tool_and_count(up: FakeUpstream) -> None:
    up.script(Reply.say("Bonjour."), Reply.call("get_weather", {"city": "Paris"}, id="toolu_1"))
    client = an(up)
    msg = client.messages.create(model="claude-sonnet-4-6", max_tokens=100, messages=USER)  # type: ignore[arg-type]
    assert msg.content[0].type == "text" and msg.content[0].text == "Bonjour."
    msg = client.messages.create(model="claude-sonnet-4-6", max_tokens=100, messages=USER)  # type: ignore[arg-type]
    block = msg.content[0]
    assert block.type == "tool_use" and block.id == "toolu_1" and block.input == {"city": "Paris"}
    assert msg.stop_reason == "tool_use"
    count = client.messages.count_tokens(model="claude-sonnet-4-6", messages=USER)  # type: ignore[arg-type]
    assert count.input_tokens > 0
    headers = up.requests[0].headers
    assert "sk-ant-test" in headers.get("x-api-key", "") + headers.get("authorization", "")


def test_anthropic_stream_helper_accumulates(up: FakeUpstream) -> None:
    up.script(Reply(text="Let me check the forecast.", tool_calls=(FakeToolCall("get_weather", {"city": "Paris"}),)))
    with an(up).messages.stream(model="claude-sonnet-4-6", max_tokens=100, messages=USER) as s:  # type: ignore[arg-type]
        streamed = "".join(s.text_stream)
        final = s.get_final_message()
    assert streamed == "Let me check the forecast."
    assert [b.type for b in final.content] == ["text", "tool_use"]
    assert final.content[1].input == {"city": "Paris"}  # type: ignore[union-attr]
    assert final.usage.output_tokens > 0 and final.usage.input_tokens > 0


def test_responses_create_and_stream(up: FakeUpstream) -> None:
    call = FakeToolCall("get_weather", {"city": "Paris"})
    up.script(Reply.say("Twenty-one degrees."), Reply(text="Looking.", tool_calls=(call,)))
    client = oa(up)
    resp = client.responses.create(model="gpt-4o", input="weather in Paris?")
    assert resp.output_text == "Twenty-one degrees."
    with client.responses.stream(model="gpt-4o", input="weather in Paris?") as s:
        deltas = [e.delta for e in s if e.type == "response.output_text.delta"]
        final = s.get_final_response()
    assert "".join(deltas) == "Looking."
    calls = [o for o in final.output if o.type == "function_call"]
    assert calls[0].name == "get_weather" and json.loads(calls[0].arguments) == {"city": "Paris"}
    assert up.requests[-1].json["stream"] is True


JS = 'const r = await tools.exec_command({cmd: "pytest -q"});\ntext(r.output);'


def test_responses_custom_tool_call_as_the_sdk_reads_it(up: FakeUpstream) -> None:
    up.script(Reply.custom("exec", JS, id="call_exec_1"), Reply.custom("exec", JS))
    client = oa(up)
    (item,) = client.responses.create(model="gpt-5", input="run the tests").output
    assert (item.type, item.name, item.input, item.call_id) == ("custom_tool_call", "exec", JS, "call_exec_1")  # type: ignore[union-attr]
    with client.responses.stream(model="gpt-5", input="run the tests") as s:
        deltas = [e.delta for e in s if e.type == "response.custom_tool_call_input.delta"]
        final = s.get_final_response()
    assert "".join(deltas) == JS and final.output[0].input == JS  # type: ignore[union-attr]


def test_responses_over_a_websocket_are_the_sse_events(up: FakeUpstream) -> None:
    from websockets.sync.client import connect

    up.script(Reply.say("Twenty-one degrees."), Reply.say("Twenty-one degrees."))
    body = {"model": "gpt-4o", "input": "weather?"}
    httpx.post(up.base_url + "/v1/responses", json={**body, "stream": True}).raise_for_status()
    lines = up.reply_body(up.requests[-1]).decode().splitlines()
    sse = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
    url = up.base_url.replace("http://", "ws://") + "/v1/responses"
    with connect(url, additional_headers={"authorization": "Bearer sk-ws"}) as ws:
        ws.send(json.dumps({"type": "response.create", **body}))
        events = [json.loads(ws.recv(timeout=5)) for _ in sse]

    def same(e: dict[str, object]) -> str:  # ids, clocks and the billed request size differ per response
        r = e.get("response")
        if isinstance(r, dict):
            e = {**e, "response": {k: v for k, v in r.items() if k not in ("created_at", "usage")}}
        return re.sub(r"_fake_\d+", "_fake_N", json.dumps(e))

    assert [same(e) for e in events] == [same(e) for e in sse]
    req = up.requests[-1]
    assert (req.method, req.path, req.headers["authorization"]) == ("WEBSOCKET", "/v1/responses", "Bearer sk-ws")
    assert req.json == {"type": "response.create", **body}


def test_without_websockets_installed_an_upgrade_gets_a_clear_501(
    up: FakeUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "websockets" or m.startswith("websockets.")]:
        monkeypatch.setitem(sys.modules, name, None)  # as if the package were not installed
    upgrade = {"upgrade": "websocket", "connection": "Upgrade", "sec-websocket-version": "13"}
    key = {"sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ=="}
    resp = httpx.get(up.base_url + "/v1/responses", headers={**upgrade, **key})
    assert resp.status_code == 501 and 'pip install "headroom-core[proxy]"' in resp.json()["error"]["message"]


def test_a_warm_up_request_takes_no_scripted_reply(up: FakeUpstream) -> None:
    up.script(Reply.say("Scripted."))
    client = oa(up)
    warm = client.responses.create(model="gpt-5", input=[], extra_body={"generate": False})
    assert warm.output == [] and up.pending == 1
    assert client.responses.create(model="gpt-5", input="hi", previous_response_id=warm.id).output_text == "Scripted."


def test_retrieve_call_reply(up: FakeUpstream) -> None:
    up.script(Reply.retrieve("0123456789abcdef", query="timeout"))
    out = oa(up).chat.completions.create(model="gpt-4o", messages=USER)  # type: ignore[arg-type]
    call = out.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "headroom_retrieve"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"ref": "0123456789abcdef", "query": "timeout"}  # type: ignore[union-attr]


def test_scripted_function_sees_the_request(up: FakeUpstream) -> None:
    up.script(lambda req: Reply.say(f"you sent {len(req.json['messages'])} message(s)"))
    out = oa(up).chat.completions.create(model="gpt-4o", messages=USER)  # type: ignore[arg-type]
    assert out.choices[0].message.content == "you sent 1 message(s)"
    assert up.pending == 0


def test_errors_in_each_providers_format(up: FakeUpstream) -> None:
    up.script(Reply.fail(500), Reply.fail(429, "slow down"))
    with pytest.raises(openai.InternalServerError):
        oa(up).chat.completions.create(model="gpt-4o", messages=USER)  # type: ignore[arg-type]
    with pytest.raises(anthropic.RateLimitError) as info:
        an(up).messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=USER)  # type: ignore[arg-type]
    assert info.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]
    assert "slow down" in str(info.value)


def test_hang_times_out_and_server_keeps_serving(up: FakeUpstream) -> None:
    up.script(Reply.hang(5))
    with pytest.raises(openai.APITimeoutError):
        oa(up, timeout=0.3).chat.completions.create(model="gpt-4o", messages=USER)  # type: ignore[arg-type]
    assert oa(up).chat.completions.create(model="gpt-4o", messages=USER).choices[0].message.content == "ok"  # type: ignore[arg-type]


def test_reset_mid_stream(up: FakeUpstream) -> None:
    up.script(Reply.reset(after_events=3), Reply.reset(0))
    got = []
    with pytest.raises((openai.APIConnectionError, httpx.TransportError)):
        for chunk in oa(up).chat.completions.create(model="gpt-4o", messages=USER, stream=True):  # type: ignore[arg-type]
            got.append(chunk)
    assert 1 <= len(got) <= 3
    with pytest.raises(openai.APIConnectionError):
        oa(up).chat.completions.create(model="gpt-4o", messages=USER)  # type: ignore[arg-type]


def test_other_paths_and_chunked_bodies(up: FakeUpstream) -> None:
    with httpx.Client(base_url=up.base_url) as client:
        assert client.get("/v1/models").json()["data"][0]["id"] == "fake-model"
        assert client.get("/nope").status_code == 404
        body = json.dumps({"model": "gpt-4o", "messages": USER}).encode()
        r = client.post("/v1/chat/completions?x=1", content=iter([body[:10], body[10:]]))
        assert r.status_code == 200
    assert up.requests[-1].json["messages"] == USER
    assert up.requests[-1].query == "x=1"
