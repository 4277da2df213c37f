"""What an outside tester threw at the proxy: odd bytes, odd paths, odd hosts. Never a 5xx of its own."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.core.proxy_support import Rig, chat_messages, rig, service_log

LOG = service_log()


def chat_body(extra_text: str, *, log: str = LOG) -> bytes:
    """A chat request whose log gets compressed, with ``extra_text`` spliced raw into a short message."""
    messages = [{"role": "system", "content": "@@EXTRA@@"}, *chat_messages(log)]
    return json.dumps({"model": "gpt-4o", "messages": messages}).replace('"@@EXTRA@@"', extra_text).encode()


@pytest.mark.parametrize("where", ["short message", "compressed tool result"])
def test_a_lone_surrogate_escape_is_forwarded_as_sent(env: Rig, where: str) -> None:
    if where == "short message":
        body = chat_body('"cut emoji \\ud83d end"')
    else:
        body = chat_body('"hi"', log=LOG + "\nCUT \ud83d END")
    with httpx.Client(base_url=env.url, headers={"authorization": "Bearer sk-test"}) as client:
        for _ in range(3):  # the connection stays usable
            r = client.post("/v1/chat/completions", content=body, headers={"content-type": "application/json"})
            assert r.status_code == 200, r.text
    sent = env.up.model_requests[-1]
    assert b"\\ud83d" in sent.body  # the escape reaches the upstream as an escape
    assert json.loads(sent.body)["model"] == "gpt-4o"
    if where == "compressed tool result":
        assert b"[headroom:" in sent.body  # and the rest was still compressed


RAW_PATHS = [
    "/v1/models/a%3Fb=1",
    "/v1/files/..%2F..%2Fsecret",
    "/v1/orgs/org%2Fname/usage",
    "/v1/files/a%20b",
    "/v1/files/%E2%82%AC%F0%9F%98%80",  # decodes to text that is not Latin-1
    "/v1/files/a%25b%00",
]


@pytest.mark.parametrize("path", RAW_PATHS)
def test_a_path_reaches_the_upstream_exactly_as_sent(env: Rig, path: str) -> None:
    r = httpx.get(env.url + path + "?limit=2&after=x%26y", headers={"authorization": "Bearer sk-test"})
    assert r.status_code < 500, r.text
    (seen,) = env.up.requests
    assert (seen.path, seen.query) == (path, "limit=2&after=x%26y")


def test_a_model_route_goes_on_with_the_path_as_sent(env: Rig) -> None:
    with httpx.Client(base_url=env.url) as client:
        r = client.post("/chat/completions", json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 200
    assert env.up.requests[-1].path == "/v1/chat/completions"  # the base route the upstream serves


def test_raw_bytes_in_the_request_line_get_no_5xx(env: Rig) -> None:
    import socket

    host, port = env.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /v1/files/caf\xc3\xa9\xff HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status = int(reply.split(b" ", 2)[1])
    assert status < 500, reply[:300]


PROBES = [
    ("GET", "/stats", None),
    ("POST", "/v1/compress", {"text": "hello"}),
    ("POST", "/v1/retrieve", {"ref": "0123456789abcdef"}),
    ("POST", "/v1/chat/completions", {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}),
    ("GET", "/v1/models", None),
]


def _probe(url: str, host: str, method: str, path: str, body: object, **headers: str) -> httpx.Response:
    return httpx.request(method, url + path, json=body, headers={"host": host, **headers})


@pytest.mark.parametrize(("method", "path", "body"), PROBES)
def test_a_page_on_another_host_name_cannot_reach_a_tokenless_proxy(
    env: Rig, method: str, path: str, body: object
) -> None:
    """DNS rebinding: evil.example resolves to 127.0.0.1, the browser sends Host: evil.example."""
    port = env.url.rsplit(":", 1)[1]
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.nip.io:{port}"):
        r = _probe(env.url, host, method, path, body)
        assert r.status_code == 403, (host, r.status_code)
        assert "host" in r.text.lower()
    assert env.up.requests == []
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost", f"[::1]:{port}", f"app.localhost:{port}"):
        assert _probe(env.url, host, method, path, body).status_code != 403, host


def test_configured_host_names_and_a_token_let_other_hosts_in() -> None:
    with rig(allowed_hosts=("proxy.internal",)) as r:
        assert _probe(r.url, "proxy.internal:8787", "GET", "/stats", None).status_code == 200
        assert _probe(r.url, "evil.example", "GET", "/stats", None).status_code == 403
    with rig(token="tok-1") as r:  # the token is the guard then
        assert _probe(r.url, "evil.example", "GET", "/stats", None).status_code == 401
        assert _probe(r.url, "evil.example", "GET", "/stats", None, **{"x-headroom-token": "tok-1"}).status_code == 200


@pytest.mark.parametrize(
    "option", [{"text_model": "/tmp/any-model"}, {"text_model_budget_ms": 1e9}, {"max_query_chars": 10**9}]
)
def test_compress_endpoint_refuses_process_level_options(env: Rig, option: dict[str, object]) -> None:
    r = httpx.post(env.url + "/v1/compress", json={"text": LOG, "options": option})
    assert r.status_code == 400
    (name,) = option
    assert name in r.json()["error"]["message"]


def test_compress_endpoint_takes_the_proxys_options_and_per_request_ones() -> None:
    from headroom import CompressOptions

    with rig(options=CompressOptions(min_tokens=1_000_000)) as r:
        out = httpx.post(r.url + "/v1/compress", json={"text": LOG}).json()
        assert out["tokens_saved"] == 0 and out["text"] == LOG  # the proxy's own min_tokens holds
        out = httpx.post(r.url + "/v1/compress", json={"text": LOG, "options": {"min_tokens": 100}}).json()
        assert out["tokens_saved"] > 0 and out["refs"]


def test_a_bypass_header_forwards_the_request_untouched_and_the_answer_says_what_was_done(env: Rig) -> None:
    body = chat_body('"sys"')
    with httpx.Client(base_url=env.url, headers={"authorization": "Bearer sk-test"}) as client:
        ctype = {"content-type": "application/json"}
        r = client.post("/v1/chat/completions", content=body, headers={**ctype, "x-headroom-bypass": "1"})
        assert r.status_code == 200 and r.headers["x-headroom-action"] == "bypassed"
        sent = env.up.model_requests[-1]
        assert sent.body == body and "x-headroom-bypass" not in sent.headers
        r = client.post("/v1/chat/completions", content=body, headers=ctype)
        assert r.headers["x-headroom-action"] == "compressed"
        assert len(env.up.model_requests[-1].body) < len(body) / 2
        small = b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}'
        r = client.post("/v1/chat/completions", content=small, headers=ctype)
        assert r.headers["x-headroom-action"] == "unchanged" and env.up.model_requests[-1].body == small
        r = client.post("/v1/chat/completions", content=b"not json", headers={**ctype, "x-headroom-bypass": "true"})
        assert r.headers["x-headroom-action"] == "bypassed" and env.up.requests[-1].body == b"not json"
        assert client.get("/v1/models").headers["x-headroom-action"] == "passthrough"


def test_the_upstream_client_is_the_one_the_environment_asks_for(env: Rig) -> None:
    """scripts/test.sh runs the proxy suite twice: the lean client, then httpx (HTTPS_PROXY set)."""
    import os

    from headroom.proxy._upstream import UpstreamPool

    env.openai().chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    behind_proxy = any(os.environ.get(k) for k in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "ALL_PROXY"))
    pool = getattr(env.proxy.context.backend, "_pool", None)
    assert isinstance(pool, UpstreamPool) is not behind_proxy


def test_a_websocket_from_another_host_name_is_refused() -> None:
    from headroom.proxy import ProxySettings, create_app
    from starlette.testclient import TestClient
    from starlette.websockets import WebSocketDisconnect

    app = create_app(ProxySettings())
    with (
        TestClient(app, base_url="http://evil.example") as tc,
        pytest.raises(WebSocketDisconnect) as ws,
        tc.websocket_connect("/v1/responses"),
    ):
        pass
    assert ws.value.code == 1008
