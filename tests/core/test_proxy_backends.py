"""Backends: what each one puts on the wire (URLs, auth, signatures, bodies), checked offline on the fake upstream."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import anthropic
import httpx
import openai
import pytest
from google.oauth2.credentials import Credentials
from headroom.proxy import ProxySettings, create_app
from headroom.proxy.backends import load_backend
from headroom.proxy.backends.vertex import VertexBackend
from headroom.proxy.server import ProxyServer
from headroom.testing import FakeUpstream, RecordedRequest, Reply
from starlette.testclient import TestClient

from tests.core.proxy_support import anthropic_messages, service_log

HI = [{"role": "user", "content": "hi"}]
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture(scope="module")
def up() -> Iterator[FakeUpstream]:
    with FakeUpstream() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(up: FakeUpstream) -> None:
    up.clear()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def check_sigv4(req: RecordedRequest, *, secret: str, region: str, service: str) -> None:
    """Recompute the SigV4 signature from what arrived, independently of botocore."""
    m = re.fullmatch(
        r"AWS4-HMAC-SHA256 Credential=(\w+)/(\d{8})/([\w-]+)/(\w+)/aws4_request, "
        r"SignedHeaders=([\w;-]+), Signature=([0-9a-f]{64})",
        req.headers["authorization"],
    )
    assert m, req.headers["authorization"]
    _akid, day, reg, svc, signed, signature = m.groups()
    assert (reg, svc) == (region, service)
    assert {"host", "x-amz-date"} <= set(signed.split(";"))
    headers = "".join(f"{h}:{' '.join(req.headers[h].split())}\n" for h in signed.split(";"))
    canonical = "\n".join(
        ["POST", quote(req.path, safe="/~"), req.query, headers, signed, hashlib.sha256(req.body).hexdigest()]
    )
    scope = f"{day}/{reg}/{svc}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", req.headers["x-amz-date"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode(), day), reg), svc), "aws4_request")
    assert hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest() == signature


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))


def test_bedrock_signs_with_sigv4_and_streams_event_stream_as_sse(up: FakeUpstream, aws: None) -> None:
    settings = ProxySettings(port=0, backend="bedrock", region="us-west-2", upstream_url=up.base_url)
    with ProxyServer(settings) as proxy:
        client = anthropic.Anthropic(base_url=proxy.base_url, api_key="sk-ant-not-for-aws", max_retries=0)
        up.script(Reply.say("from bedrock"), Reply.say("streamed from bedrock"))
        msg = client.messages.create(
            model="claude-opus-4-5-20251101",
            max_tokens=100,
            messages=anthropic_messages(service_log()),  # type: ignore[arg-type]
            extra_headers={"anthropic-beta": "context-1m-2025-08-07"},
        )
        assert msg.content[0].text == "from bedrock"  # type: ignore[union-attr]
        with client.messages.stream(
            model="us.anthropic.claude-haiku-4-5-20251001-v1:0", max_tokens=10, messages=HI
        ) as s:  # type: ignore[arg-type]
            assert "".join(s.text_stream) == "streamed from bedrock"
    invoke, stream = up.requests
    assert invoke.path == "/model/anthropic.claude-opus-4-5-20251101-v1%3A0/invoke"
    assert stream.path == "/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/invoke-with-response-stream"
    for req in (invoke, stream):
        check_sigv4(req, secret=SECRET, region="us-west-2", service="bedrock")
        assert "sk-ant-not-for-aws" not in json.dumps(dict(req.headers))
        assert "model" not in req.json and "stream" not in req.json
        assert req.json["anthropic_version"] == "bedrock-2023-05-31"
    assert invoke.json["anthropic_beta"] == ["context-1m-2025-08-07"]
    assert "[headroom:" in invoke.text  # compressed before it was signed


def test_bedrock_refuses_other_apis(up: FakeUpstream, aws: None) -> None:
    settings = ProxySettings(port=0, backend="bedrock", region="us-east-1", upstream_url=up.base_url)
    with ProxyServer(settings) as proxy:
        client = openai.OpenAI(base_url=proxy.base_url + "/v1", api_key="x", max_retries=0)
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model="gpt-4o", messages=HI)  # type: ignore[arg-type]
    assert up.requests == []


def test_vertex_uses_a_bearer_token_and_raw_predict(up: FakeUpstream) -> None:
    backend = VertexBackend(
        httpx.AsyncClient(),
        region="us-east5",
        project="my-project",
        endpoint=up.base_url,
        credentials=Credentials(token="ya29.fake-token"),
    )
    with ProxyServer(ProxySettings(port=0, backend="vertex_ai", region="us-east5"), backend=backend) as proxy:
        client = anthropic.Anthropic(base_url=proxy.base_url, api_key="sk-ant-not-for-google", max_retries=0)
        up.script(Reply.say("from vertex"), Reply.say("streamed from vertex"))
        msg = client.messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=HI)  # type: ignore[arg-type]
        assert msg.content[0].text == "from vertex"  # type: ignore[union-attr]
        with client.messages.stream(model="claude-sonnet-4-6", max_tokens=10, messages=HI) as s:  # type: ignore[arg-type]
            assert "".join(s.text_stream) == "streamed from vertex"
    plain, streamed = up.requests
    base = "/v1/projects/my-project/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-6"
    assert plain.path == base + ":rawPredict" and streamed.path == base + ":streamRawPredict"
    for req in (plain, streamed):
        assert req.headers["authorization"] == "Bearer ya29.fake-token"
        assert "x-api-key" not in req.headers
        assert req.json["anthropic_version"] == "vertex-2023-10-16" and "model" not in req.json
    assert streamed.json["stream"] is True


def test_vertex_url_for_the_global_location() -> None:
    backend = VertexBackend(httpx.AsyncClient(), region="global", project="p", credentials=Credentials(token="t"))
    assert backend.url("claude-opus-4-1", False).startswith(
        "https://aiplatform.googleapis.com/v1/projects/p/locations/global/"
    )


@pytest.mark.parametrize(
    ("backend", "prefix"),
    [("azure", "/openai"), ("openrouter", "/api"), ("openai", "/v1")],
)
def test_openai_compatible_backends(up: FakeUpstream, backend: str, prefix: str) -> None:
    settings = ProxySettings(port=0, backend=backend, upstream_url=up.base_url + prefix)
    with ProxyServer(settings) as proxy:
        up.script(Reply.say("compatible"))
        client = openai.OpenAI(base_url=proxy.base_url + "/v1", api_key="sk-key-1", max_retries=0)
        assert client.chat.completions.create(model="gpt-4o", messages=HI).choices[0].message.content == "compatible"  # type: ignore[arg-type]
    (req,) = up.requests
    if backend == "azure":
        assert req.path == "/openai/v1/chat/completions"
        assert req.headers["api-key"] == "sk-key-1" and "authorization" not in req.headers
    elif backend == "openrouter":
        assert req.path == "/api/v1/chat/completions" and req.headers["authorization"] == "Bearer sk-key-1"
    else:
        assert req.path == "/v1/chat/completions"


def test_backends_from_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist = tmp_path / "echo_backend-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: echo-backend\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[headroom.proxy_backends]\necho = echo_backend:make\n")
    (tmp_path / "echo_backend.py").write_text(
        textwrap.dedent(
            """
            import json
            from headroom.proxy.backends import StaticResponse

            class Echo:
                name = "echo"
                def __init__(self, target, settings):
                    self.target, self.settings = target, settings
                async def send(self, call):
                    body = {"target": self.target, "api": call.api, "model": call.payload["model"]}
                    body["stream"] = call.stream
                    return StaticResponse(200, json.dumps(body).encode())
                async def aclose(self):
                    pass

            def make(target, settings, client):
                return Echo(target, settings)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    app = create_app(ProxySettings(backend="echo/some-provider/model-x"))
    with TestClient(app, base_url="http://localhost") as client:
        got = client.post("/v1/chat/completions", json={"model": "m", "messages": HI}).json()
    assert got == {"target": "some-provider/model-x", "api": "openai-chat", "model": "m", "stream": False}
    sys.modules.pop("echo_backend", None)


def test_missing_backends_name_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match=r"no proxy backend named 'nosuch'.*headroom\.proxy_backends"):
        load_backend(ProxySettings(backend="nosuch/x"), httpx.AsyncClient())
    monkeypatch.setattr("headroom.proxy.backends.entry_points", lambda **kw: [])  # as without headroom-litellm
    with pytest.raises(ValueError, match="pip install headroom-litellm"):
        load_backend(ProxySettings(backend="litellm/anthropic"), httpx.AsyncClient())
    with pytest.raises(ValueError, match="azure"):
        ProxySettings(backend="azure").validate()
    with pytest.raises(ValueError, match="unknown backend"):
        ProxySettings(backend="nope").validate()
    with pytest.raises(ValueError, match="--region"):
        load_backend(ProxySettings(backend="bedrock"), httpx.AsyncClient())


def test_a_provider_failure_reaches_the_client_as_an_anthropic_error(up: FakeUpstream, aws: None) -> None:
    vertex = VertexBackend(
        httpx.AsyncClient(), region="us-east5", project="p", endpoint=up.base_url, credentials=Credentials(token="t")
    )
    bedrock = ProxySettings(port=0, backend="bedrock", region="us-west-2", upstream_url=up.base_url)
    cases = [
        (ProxySettings(port=0, backend="vertex_ai", region="us-east5"), vertex, 429, anthropic.RateLimitError),
        (bedrock, None, 403, anthropic.PermissionDeniedError),
    ]
    for settings, backend, status, error in cases:
        up.script(Reply.fail(status, f"provider says no ({status})"))
        with ProxyServer(settings, backend=backend) as proxy:
            client = anthropic.Anthropic(base_url=proxy.base_url, api_key="x", max_retries=0)
            with pytest.raises(error) as caught:
                client.messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=HI)  # type: ignore[arg-type]
        assert caught.value.status_code == status
        assert f"provider says no ({status})" in caught.value.message


def test_upstream_url_under_auto_serves_both_apis_and_reachability_checks_stay_local(up: FakeUpstream) -> None:
    settings = ProxySettings(port=0, upstream_url=up.base_url)  # backend "auto", the default
    with ProxyServer(settings) as proxy:
        anthropic.Anthropic(base_url=proxy.base_url, api_key="k", max_retries=0).messages.create(
            model="claude-opus-4-8", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
        )
        openai.OpenAI(base_url=proxy.base_url + "/v1", api_key="k", max_retries=0).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}]
        )
        head, get = httpx.head(proxy.base_url + "/"), httpx.get(proxy.base_url + "/")
    assert [r.path for r in up.requests] == ["/v1/messages", "/v1/chat/completions"]
    assert head.status_code == get.status_code == 200 and get.json()["service"] == "headroom proxy"
