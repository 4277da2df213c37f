"""Fuzzing a real proxy process: whatever arrives, no 5xx of its own, no dropped connection, no hang,
and a store that stays whole (SQLite ``integrity_check``; every marker the upstream saw redeems).

Hypothesis runs derandomized (a fixed seed) with a bounded number of examples per family, so the
suite is the same on every run and fits in CI (about a minute).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from headroom import find_refs, format_marker
from headroom.refs import make_ref
from headroom.testing import FakeToolCall, FakeUpstream, Reply
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.proxy_support import service_log
from tests.core.redis_server import free_port

pytestmark = pytest.mark.slow

ROUTES = ["/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1/compress", "/v1/retrieve"]
MODEL_ROUTES = ROUTES[:3]
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
LOG = service_log(400)


@dataclass
class Target:
    up: FakeUpstream
    client: httpx.Client
    store: Path
    proc: subprocess.Popen[bytes]
    known: str  # a ref the store holds

    def send(self, path: str, content: bytes, *, ctype: str = "application/json") -> httpx.Response:
        """POST, asserting what the client notices: an answer (no reset, no hang) that is not a 5xx of ours."""
        r = self.client.post(path, content=content, headers={"content-type": ctype})
        assert r.status_code < 500, (path, r.status_code, r.text[:300])
        assert self.proc.poll() is None, "the proxy process died"
        return r


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    home = tmp_path_factory.mktemp("fuzz")
    store = home / "store.sqlite3"
    port = free_port()
    with FakeUpstream() as up:
        cmd = [sys.executable, "-m", "headroom", "proxy", "--port", str(port), "--store", f"sqlite:///{store}"]
        cmd += ["--no-log", "--anthropic-url", up.base_url, "--openai-url", up.base_url, "--timeout", "60"]
        env = {**os.environ, "HEADROOM_HOME": str(home)}
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            env.pop(name, None)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/health", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"proxy did not start: {proc.communicate()[1].decode()}")
                time.sleep(0.05)
        headers = {"authorization": "Bearer sk-fuzz", "x-api-key": "sk-fuzz", "anthropic-version": "2023-06-01"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            known = client.post("/v1/compress", json={"text": LOG}).json()["refs"][0]
            try:
                yield Target(up, client, store, proc, known)
                for path in ("/health", "/stats", "/metrics"):
                    assert client.get(path).status_code == 200
            finally:
                proc.terminate()
                _, err = proc.communicate(timeout=30)
    assert b"Traceback" not in err, err.decode()[-3000:]
    _store_is_whole(store)


def _store_is_whole(path: Path) -> None:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        for ref, content, kind in db.execute("SELECT ref, content, kind FROM entries"):
            text = content.decode("utf-8", "surrogatepass") if isinstance(content, bytes) else content
            if kind not in ("sent", "output"):  # records; originals are stored under their content's ref
                assert make_ref(text) == ref, (ref, kind)
    finally:
        db.close()


@pytest.fixture(autouse=True)
def _fresh(target: Target) -> None:
    target.up.clear()


def _redeem_what_the_upstream_saw(target: Target) -> None:
    for req in target.up.model_requests:
        for ref in set(find_refs(req.text)):
            r = target.client.post("/v1/retrieve", json={"ref": ref})
            assert r.status_code in (200, 404), (ref, r.status_code)
            if r.status_code == 404:  # only a look-alike the client itself sent may be unknown
                assert ref not in _written(target)


def _written(target: Target) -> set[str]:
    db = sqlite3.connect(target.store)
    try:
        return {row[0] for row in db.execute("SELECT ref FROM entries")}
    finally:
        db.close()


def body_for(route: str, tool_output: Any, *, stream: bool = False, role: Any = "user") -> dict[str, Any]:
    """A request carrying ``tool_output`` as the result of a tool call, in the route's shape."""
    if route == "/v1/messages":
        messages: list[Any] = [
            {"role": role, "content": "why?"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "cat", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": tool_output}]},
        ]
        return {"model": "claude-sonnet-4-6", "max_tokens": 50, "messages": messages, "stream": stream}
    if route == "/v1/responses":
        items = [
            {"role": role, "content": "why?"},
            {"type": "function_call", "call_id": "c1", "name": "cat", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": tool_output},
        ]
        return {"model": "gpt-4o", "input": items, "stream": stream}
    if route == "/v1/compress":
        return {"text": tool_output} if isinstance(tool_output, str) else {"messages": tool_output}
    if route == "/v1/retrieve":
        return {"ref": tool_output}
    call = {"id": "c1", "type": "function", "function": {"name": "cat", "arguments": "{}"}}
    messages = [
        {"role": role, "content": "why?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": tool_output},
    ]
    return {"model": "gpt-4o", "messages": messages, "stream": stream}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=25,
)


@FUZZ
@given(route=st.sampled_from(ROUTES), raw=st.binary(max_size=3000) | st.text(max_size=3000).map(str.encode))
def test_malformed_and_binary_bodies(target: Target, route: str, raw: bytes) -> None:
    target.send(route, raw)


@FUZZ
@given(route=st.sampled_from(ROUTES), value=json_values, role=json_values, stream=st.booleans())
def test_odd_shapes_anywhere(target: Target, route: str, value: Any, role: Any, stream: bool) -> None:
    target.send(route, json.dumps(body_for(route, value, stream=stream, role=role)).encode())
    target.send(route, json.dumps(value).encode())


@FUZZ
@given(
    route=st.sampled_from(ROUTES[:4]),
    junk=st.binary(min_size=1, max_size=40),
    cut=st.integers(0, len(LOG)),
    stream=st.booleans(),
)
def test_invalid_utf8_inside_a_compressible_body(
    target: Target, route: str, junk: bytes, cut: int, stream: bool
) -> None:
    body = json.dumps(body_for(route, LOG[:cut] + "@@JUNK@@" + LOG[cut:], stream=stream)).encode()
    target.send(route, body.replace(b"@@JUNK@@", junk.replace(b'"', b"").replace(b"\\", b"")))


@FUZZ
@given(
    route=st.sampled_from(ROUTES[:4]),
    surrogate=st.integers(0xD800, 0xDFFF),
    cut=st.integers(0, len(LOG)),
    stream=st.booleans(),
)
def test_lone_surrogates(target: Target, route: str, surrogate: int, cut: int, stream: bool) -> None:
    body = json.dumps(body_for(route, LOG[:cut] + chr(surrogate) + LOG[cut:], stream=stream))
    target.send(route, body.encode())  # json.dumps wrote the surrogate as a \\udxxx escape
    _redeem_what_the_upstream_saw(target)


@FUZZ
@given(
    route=st.sampled_from(MODEL_ROUTES),
    refs=st.lists(st.sampled_from(["known", "unknown"]) | st.text(min_size=1, max_size=20), min_size=1, max_size=4),
    asks=st.sampled_from(["known", "unknown", "garbage", "none"]),
    stream=st.booleans(),
)
def test_markers_naming_stored_and_unknown_refs(
    target: Target, route: str, refs: list[str], asks: str, stream: bool
) -> None:
    named = {"known": target.known, "unknown": "0123456789abcdef"}
    markers = [format_marker(named.get(r, r if len(r) == 16 else make_ref(r)), "rows omitted") for r in refs]
    lines = LOG.splitlines()
    for k, marker in enumerate(markers):
        lines.insert(len(lines) * k // len(markers), marker)
    if asks != "none":
        ref = {"known": target.known, "unknown": "fedcba9876543210", "garbage": "../../etc/passwd"}[asks]
        target.up.script(Reply(tool_calls=(FakeToolCall("headroom_retrieve", {"ref": ref, "query": "timeout"}),)))
    target.send(route, json.dumps(body_for(route, "\n".join(lines), stream=stream)).encode())
    _redeem_what_the_upstream_saw(target)


@pytest.mark.parametrize("route", ROUTES)
def test_nesting_100_000_levels(target: Target, route: str) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    target.send(route, deep.encode())  # the body itself
    target.send(route, json.dumps(body_for(route, deep)).encode())  # as a tool output's text
    nested = json.dumps(body_for(route, "@@DEEP@@")).replace('"@@DEEP@@"', deep)
    target.send(route, nested.encode())  # as the tool output's value


def test_a_20_mb_single_line(target: Target) -> None:
    words = ("alpha", "beta", "timeout", "x=1,", "{", "}", "ok", "error")
    line = " ".join(words[(i * 7919) % len(words)] for i in range(20_000_000 // 5))[:20_000_000]
    r = target.send("/v1/chat/completions", json.dumps(body_for("/v1/chat/completions", line)).encode())
    assert r.status_code == 200
    (sent,) = target.up.model_requests
    assert len(sent.body) < 1_000_000  # compressed, and its marker redeems the whole line
    _redeem_what_the_upstream_saw(target)
    (ref,) = set(find_refs(sent.text))
    assert target.client.post("/v1/retrieve", json={"ref": ref}).json()["content"] == line


def test_headers_and_methods_no_one_expects(target: Target) -> None:
    for ctype in ("text/plain", "application/json; charset=latin-1", "multipart/form-data; boundary=x", ""):
        target.send("/v1/chat/completions", b'{"model": "gpt-4o", "messages": []}', ctype=ctype)
    for method in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"):
        r = target.client.request(method, "/v1/messages")
        assert r.status_code < 500, (method, r.status_code)
