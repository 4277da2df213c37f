"""The Responses API over a WebSocket (Codex's default transport), through a real proxy to FakeUpstream."""

from __future__ import annotations

import http.server
import json
import logging
import socket
import threading
import time
from typing import Any

import pytest
from headroom import MemoryStore
from headroom.proxy import ProxySettings
from headroom.proxy.server import ProxyServer
from headroom.testing import FakeToolCall, FakeUpstream, RecordedRequest, Reply
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.core.proxy_support import CLIENT_TOOLS_RESPONSES, Rig, refs_in, responses_input, service_log

LOG = service_log()
FAILURE = "payment gateway timeout after 30000ms order=10750"
AUTH = {"authorization": "Bearer sk-test-ws", "session-id": "sess-1", "x-codex-turn-metadata": "{}"}
_END = ("response.completed", "response.incomplete", "response.failed", "error")


def ws_url(base_url: str, path: str = "/v1/responses") -> str:
    return base_url.replace("http://", "ws://") + path


def open_socket(base_url: str, headers: dict[str, str] | None = None) -> ClientConnection:
    return connect(ws_url(base_url), additional_headers=headers or AUTH, open_timeout=5)


def create(ws: ClientConnection, **body: Any) -> list[dict[str, Any]]:
    """Send one response.create; every event the client gets until the response ends."""
    ws.send(json.dumps({"type": "response.create", "model": "gpt-5.1-codex", **body}))
    events = []
    while True:
        event = json.loads(ws.recv(timeout=10))
        events.append(event)
        if event["type"] in _END:
            return events


def sent_events(up: FakeUpstream, req: RecordedRequest) -> list[dict[str, Any]]:
    """The events the fake upstream sent for ``req``."""
    return [json.loads(line) for line in up.reply_body(req).splitlines()]


def fetch(text: str) -> Any:
    """A reply that calls headroom_retrieve for the first ref the request carries."""

    def reply(req: RecordedRequest) -> Reply:
        (ref,) = refs_in(req)
        return Reply(text=text, tool_calls=(FakeToolCall("headroom_retrieve", {"ref": ref, "query": "gateway"}),))

    return reply


def test_tool_output_goes_upstream_compressed_and_events_come_back_as_sent(env: Rig) -> None:
    env.up.script(Reply.say("The payment gateway timed out."))
    before = env.proxy.context.stats.snapshot()
    with open_socket(env.url) as ws:
        assert "permessage-deflate" in ws.response.headers["sec-websocket-extensions"]
        assert ws.response.headers["x-request-id"] == "req_fake"  # the upstream's handshake headers
        events = create(ws, input=responses_input(LOG), tools=CLIENT_TOOLS_RESPONSES, store=False)
    (req,) = env.up.model_requests
    assert req.method == "WEBSOCKET" and req.json["type"] == "response.create"
    assert req.headers["authorization"] == AUTH["authorization"]
    assert req.headers["session-id"] == "sess-1" and "x-codex-turn-metadata" in req.headers
    output = req.json["input"][-1]["output"]
    assert len(output) < len(LOG) / 2 and FAILURE in output and refs_in(req)
    assert req.json["store"] is False and req.json["model"] == "gpt-5.1-codex"
    assert events == sent_events(env.up, req)  # relayed in order, untouched
    assert events[-1]["type"] == "response.completed"
    after = env.proxy.context.stats.snapshot()
    assert after["requests"] == before["requests"] + 1
    assert after["tokens_saved"] - before["tokens_saved"] > len(LOG) // 8  # accounted like an HTTP request


def test_messages_the_proxy_cannot_read_go_through_as_sent(env: Rig) -> None:
    deep = '{"type": "response.create", "input": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with open_socket(env.url) as ws:
        for message in ("not json", deep, json.dumps({"type": "session.update", "x": 1})):
            ws.send(message)
        ws.send(json.dumps({"type": "response.create", "model": "gpt-5", "input": "hi"}))
        while json.loads(ws.recv(timeout=10))["type"] not in _END:
            pass
    assert [r.text for r in env.up.requests[:3]] == ["not json", deep, '{"type": "session.update", "x": 1}']


def test_the_bypass_header_on_the_upgrade_sends_every_message_as_it_is(env: Rig) -> None:
    message = json.dumps({"type": "response.create", "model": "gpt-5", "input": responses_input(LOG)})
    with open_socket(env.url, {**AUTH, "x-headroom-bypass": "1"}) as ws:
        ws.send(message)
        while json.loads(ws.recv(timeout=10))["type"] not in _END:
            pass
    (req,) = env.up.model_requests
    assert req.body == message.encode() and "x-headroom-bypass" not in req.headers


def test_small_messages_go_byte_for_byte(env: Rig) -> None:
    message = json.dumps({"type": "response.create", "model": "gpt-5", "input": "hi", "store": False})
    with open_socket(env.url) as ws:
        ws.send(message)
        while json.loads(ws.recv(timeout=10))["type"] not in _END:
            pass
    (req,) = env.up.model_requests
    assert req.body == message.encode()


def test_previous_response_id_chains_across_turns_on_one_connection(env: Rig) -> None:
    env.up.script(Reply.say("First."), Reply.say("Second."))
    with open_socket(env.url) as ws:
        first = create(ws, input="hello", store=False)
        rid = first[0]["response"]["id"]
        second = create(ws, input="and again", previous_response_id=rid, store=False)
    a, b = env.up.model_requests
    assert a.headers["sec-websocket-key"] == b.headers["sec-websocket-key"]  # one upstream WebSocket
    assert b.json["previous_response_id"] == rid
    assert second[-1]["response"]["output"][0]["content"][0]["text"] == "Second."


def test_a_continuation_is_compressed_for_the_question_asked_earlier_on_the_connection(env: Rig) -> None:
    rows = [{"order": 10_000 + i, "status": "paid", "amount": round(10 + i * 1.37, 2)} for i in range(400)]
    output = {"type": "function_call_output", "call_id": "call_orders", "output": json.dumps(rows)}
    env.up.script(Reply.call("list_orders", {}, id="call_orders"), Reply.say("It was never charged."))
    with open_socket(env.url) as ws:
        first = create(ws, input="Why did the payment for order 10250 fail?", tools=CLIENT_TOOLS_RESPONSES)
        create(ws, input=[output], previous_response_id=first[-1]["response"]["id"], tools=CLIENT_TOOLS_RESPONSES)
    sent = env.up.model_requests[-1].json["input"][0]["output"]
    assert len(sent) < len(output["output"]) / 10 and "10250," in sent  # the asked-about row, inline


def test_the_question_is_remembered_per_client_across_connections(env: Rig) -> None:
    rows = [{"order": 20_000 + i, "status": "paid", "amount": round(10 + i * 1.37, 2)} for i in range(400)]
    output = {"type": "function_call_output", "call_id": "call_orders", "output": json.dumps(rows)}
    env.up.script(Reply.call("list_orders", {}, id="call_orders"))
    with open_socket(env.url) as ws:
        first = create(ws, input="Why did the payment for order 20250 fail?", tools=CLIENT_TOOLS_RESPONSES)
    continued = {
        "input": [output],
        "previous_response_id": first[-1]["response"]["id"],
        "tools": CLIENT_TOOLS_RESPONSES,
    }
    with open_socket(env.url, {**AUTH, "authorization": "Bearer sk-someone-else"}) as ws:
        create(ws, **continued)
    with open_socket(env.url) as ws:
        create(ws, **continued)
    theirs, ours = (r.json["input"][0]["output"] for r in env.up.model_requests[1:])
    assert "20250," not in theirs  # another client's question never shapes this one's request
    assert "20250," in ours


def test_retrieve_is_answered_inside_the_session(env: Rig) -> None:
    env.up.script(fetch("Let me look."), Reply.say("The gateway timed out."), Reply.say("You're welcome."))
    with open_socket(env.url) as ws:
        events = create(ws, input=responses_input(LOG), tools=CLIENT_TOOLS_RESPONSES, store=False)
        first_round, second_round = env.up.model_requests
        assert "headroom_retrieve" not in json.dumps(events)
        kinds = [e["type"] for e in events]
        assert kinds.count("response.created") == 1 and kinds[-1] == "response.completed"
        assert [e["sequence_number"] for e in events] == list(range(len(events)))
        shown = events[0]["response"]["id"]
        final = events[-1]["response"]
        assert final["id"] == shown
        texts = [o["content"][0]["text"] for o in final["output"]]
        assert texts == ["Let me look.", "The gateway timed out."]
        ours = next(e for e in sent_events(env.up, first_round) if e["type"] == "response.completed")["response"]
        assert ours["id"] == shown
        # The follow-up continues our call's response with the original, never re-compressed.
        assert second_round.json["previous_response_id"] == shown
        (result,) = second_round.json["input"]
        assert result["type"] == "function_call_output" and result["call_id"] == ours["output"][1]["call_id"]
        assert FAILURE in result["output"] and "[headroom:" not in result["output"]
        assert final["usage"]["input_tokens"] == sum(max(1, len(r.body) // 4) for r in (first_round, second_round))
        # The client chains on the id it saw; upstream the conversation lives under the last round's.
        ws.send(json.dumps({"type": "response.processed", "response_id": shown}))
        create(ws, input="thanks", previous_response_id=shown, store=False)
    last_id = next(e for e in sent_events(env.up, second_round) if e["type"] == "response.completed")["response"]["id"]
    processed, follow_up = env.up.model_requests[2:]
    assert processed.json == {"type": "response.processed", "response_id": last_id}
    assert follow_up.json["previous_response_id"] == last_id != shown


def test_retrieve_beside_codexs_freeform_exec_call_is_put_back_on_the_next_turn(env: Rig) -> None:
    js = 'const r = await tools.exec_command({cmd: "pytest -q"}); text(r.output);'

    def both(req: RecordedRequest) -> Reply:
        (ref,) = refs_in(req)
        retrieve = FakeToolCall("headroom_retrieve", {"ref": ref, "query": "gateway"}, id="call_ours")
        return Reply(tool_calls=(FakeToolCall("exec", id="call_exec", input=js), retrieve))

    env.up.script(both, Reply.say("Two tests fail."))
    with open_socket(env.url) as ws:
        events = create(ws, input=responses_input(LOG), tools=CLIENT_TOOLS_RESPONSES, store=False)
        final = events[-1]["response"]
        assert [(o["type"], o["name"]) for o in final["output"]] == [("custom_tool_call", "exec")]
        assert "headroom_retrieve" not in json.dumps(events)
        output = {"type": "custom_tool_call_output", "call_id": "call_exec", "output": "2 failed, 40 passed"}
        create(ws, input=[output], previous_response_id=final["id"], store=False)
    _, second = env.up.model_requests
    assert second.json["previous_response_id"] == final["id"]
    ours, theirs = second.json["input"]  # our call's output first: the upstream holds our call
    assert ours["type"] == "function_call_output" and ours["call_id"] == "call_ours" and FAILURE in ours["output"]
    assert theirs == output


def test_upstream_reset_mid_response_ends_the_client_socket(env: Rig) -> None:
    env.up.script(Reply.reset(after_events=3))
    with open_socket(env.url) as ws:
        events = create(ws, input="hi")
        assert events[-1]["type"] == "error" and len(events) == 4
        with pytest.raises(ConnectionClosedError) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011


def test_the_token_is_required_on_the_upgrade() -> None:
    with FakeUpstream() as up:
        settings = ProxySettings(port=0, openai_url=up.base_url, token="s3cret")
        with ProxyServer(settings, store=MemoryStore()) as proxy:
            with pytest.raises(InvalidStatus) as refused:
                open_socket(proxy.base_url)
            assert refused.value.response.status_code == 403
            assert not up.requests  # nothing went upstream
            with open_socket(proxy.base_url, {**AUTH, "x-headroom-token": "s3cret"}) as ws:
                assert create(ws, input="hi")[-1]["type"] == "response.completed"
            (req,) = up.model_requests
            assert "x-headroom-token" not in req.headers


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_an_upstream_without_websockets_gets_the_client_refused_with_426() -> None:
    errors = _Errors()
    with (
        FakeUpstream(websocket=False) as up,
        ProxyServer(ProxySettings(port=0, openai_url=up.base_url), store=MemoryStore()) as proxy,
    ):
        logging.getLogger("uvicorn.error").addHandler(errors)  # after uvicorn configured its logging
        started = time.monotonic()
        with pytest.raises(InvalidStatus) as refused:
            open_socket(proxy.base_url)
        assert time.monotonic() - started < 3
        logging.getLogger("uvicorn.error").removeHandler(errors)
        assert errors.messages == []  # a refusal on purpose is no server error
        response = refused.value.response
        assert response.status_code == 426  # Codex falls back to HTTPS on a 426 at once, on a 404 after retries
        assert response.headers["x-headroom-upstream-status"] == "404"
        assert "no route for GET /v1/responses" in json.loads(response.body)["error"]["message"]
        assert [r.method for r in up.requests] == ["GET"]


class _HttpsOnly:
    """A backend that cannot open WebSockets (as Bedrock and Vertex)."""

    name = "https-only"

    async def send(self, call: Any) -> Any:
        raise AssertionError("nothing should be sent")

    async def aclose(self) -> None:
        pass


def test_a_backend_without_websockets_refuses_the_upgrade_so_the_client_uses_https() -> None:
    with ProxyServer(ProxySettings(port=0), backend=_HttpsOnly(), store=MemoryStore()) as proxy:
        with pytest.raises(InvalidStatus) as refused:
            open_socket(proxy.base_url)
        assert refused.value.response.status_code == 426
        assert "POST /v1/responses" in json.loads(refused.value.response.body)["error"]["message"]


def test_an_unreachable_upstream_refuses_the_upgrade_at_once() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with ProxyServer(ProxySettings(port=0, openai_url=dead), store=MemoryStore()) as proxy:
        started = time.monotonic()
        with pytest.raises(InvalidStatus) as refused:
            open_socket(proxy.base_url)
        assert time.monotonic() - started < 3
        assert refused.value.response.status_code == 502
        assert "cannot open the upstream WebSocket" in json.loads(refused.value.response.body)["error"]["message"]


def test_a_spent_budget_answers_with_an_error_event_and_sends_nothing_upstream() -> None:
    with (
        FakeUpstream() as up,
        ProxyServer(ProxySettings(port=0, openai_url=up.base_url, budget_usd=1e-9), store=MemoryStore()) as proxy,
        open_socket(proxy.base_url) as ws,
    ):
        assert create(ws, model="gpt-4o", input="hi")[-1]["type"] == "response.completed"
        (refused,) = create(ws, model="gpt-4o", input="and again")
        assert refused["type"] == "error" and refused["status"] == 429
        assert "budget" in refused["error"]["message"]
        assert len(up.model_requests) == 1
        assert create(ws, model="gpt-4o", input="still there?")[0]["status"] == 429  # the socket stays open


def test_events_without_a_sequence_number_pass_without_taking_one() -> None:
    from headroom.proxy._relay_responses import ResponsesRelay
    from headroom.proxy._sse import SSEEvent

    relay = ResponsesRelay(lambda data: json.dumps(data).encode())
    relay.start_round()
    sent = [
        {"type": "response.created", "sequence_number": 0, "response": {"id": "resp_1"}},
        {"type": "codex.rate_limits", "primary": {"used_percent": 3}},  # Codex's own, unnumbered
        {"type": "response.in_progress", "sequence_number": 1, "response": {"id": "resp_1"}},
    ]
    texts = [json.dumps(e) for e in sent]
    out = [relay.on_event(SSEEvent(raw=t.encode(), name=None, data=t)) for t in texts]
    assert out == [t.encode() for t in texts]  # relayed untouched


class _Refusing(http.server.BaseHTTPRequestHandler):
    """An upstream that refuses every request with 401 (a wrong key), upgrades included."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = json.dumps({"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}}).encode()
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_an_upstream_refusing_the_credentials_gets_the_client_refused_the_same_way() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with (
            ProxyServer(ProxySettings(port=0, openai_url=url), store=MemoryStore()) as proxy,
            pytest.raises(InvalidStatus) as refused,
        ):
            open_socket(proxy.base_url)
    finally:
        server.shutdown()
    assert refused.value.response.status_code == 401  # Codex must see it: it refreshes or reports the key
    assert json.loads(refused.value.response.body)["error"]["code"] == "invalid_api_key"
