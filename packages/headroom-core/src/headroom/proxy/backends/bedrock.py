"""Amazon Bedrock: Anthropic ``/v1/messages`` calls signed with SigV4 (botocore), streams turned into SSE.

Needs ``pip install "headroom-core[bedrock]"``. Credentials come from botocore's usual chain
(environment, ``~/.aws``, SSO, instance roles); the client's own API key is not sent to AWS.
Model names: a Bedrock model id or inference profile (``anthropic.…``, ``us.anthropic.…``, an ARN)
is used as is; an Anthropic name with a date (``claude-sonnet-4-5-20250929``) becomes
``anthropic.claude-sonnet-4-5-20250929-v1:0``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from headroom.proxy._errors import error_body, error_event
from headroom.proxy.backends._base import (
    HttpxResponse,
    StaticResponse,
    UpstreamCall,
    UpstreamResponse,
    anthropic_error,
)

try:
    from botocore.auth import SigV4Auth  # type: ignore[import-untyped]  # botocore ships no type hints
    from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]  # botocore ships no type hints
    from botocore.credentials import Credentials  # type: ignore[import-untyped]  # botocore ships no type hints
    from botocore.eventstream import EventStreamBuffer  # type: ignore[import-untyped]  # botocore ships no type hints
    from botocore.session import get_session  # type: ignore[import-untyped]  # botocore ships no type hints
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError(f'the bedrock backend needs botocore: pip install "headroom-core[bedrock]" ({e})') from e

__all__ = ["BedrockBackend", "bedrock_model_id"]

BEDROCK_VERSION = "bedrock-2023-05-31"
_DATED = re.compile(r"^claude-[a-z0-9.-]+-\d{8}$")


def bedrock_model_id(model: str) -> str:
    """The Bedrock model id for ``model`` (see the module docstring)."""
    if _DATED.match(model):
        return f"anthropic.{model}-v1:0"
    return model


def _beta(headers: Sequence[tuple[str, str]]) -> list[str]:
    return [b.strip() for k, v in headers if k.lower() == "anthropic-beta" for b in v.split(",") if b.strip()]


class BedrockBackend:
    """Serves ``anthropic-messages`` calls through Bedrock's InvokeModel APIs.

    Args:
        client: the proxy's shared HTTP client.
        region: the AWS region.
        endpoint: an endpoint override (default ``https://bedrock-runtime.<region>.amazonaws.com``).
        credentials: botocore credentials; None resolves botocore's chain on the first call.
    """

    name = "bedrock"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        region: str,
        endpoint: str | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        self._client = client
        self.region = region
        self.endpoint = (endpoint or f"https://bedrock-runtime.{region}.amazonaws.com").rstrip("/")
        self._credentials = credentials

    async def _creds(self) -> Credentials:
        if self._credentials is None:
            creds = await asyncio.to_thread(lambda: get_session().get_credentials())
            if creds is None:
                raise RuntimeError(
                    "no AWS credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile)"
                )
            self._credentials = creds
        return self._credentials

    def sign(self, url: str, body: bytes, headers: dict[str, str], credentials: Credentials) -> dict[str, str]:
        """The headers of a SigV4-signed ``POST url`` for service ``bedrock``."""
        request = AWSRequest(method="POST", url=url, data=body, headers=headers)
        SigV4Auth(credentials.get_frozen_credentials(), "bedrock", self.region).add_auth(request)
        return dict(request.headers.items())

    def prepare(self, call: UpstreamCall, credentials: Credentials) -> tuple[str, dict[str, str], bytes]:
        """(url, signed headers, body) for an ``anthropic-messages`` call."""
        payload: dict[str, Any] = dict(call.payload or {})
        model = str(payload.pop("model", ""))
        payload.pop("stream", None)
        payload.setdefault("anthropic_version", BEDROCK_VERSION)
        betas = _beta(call.headers)
        if betas:
            payload.setdefault("anthropic_beta", betas)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace")
        action = "invoke-with-response-stream" if call.stream else "invoke"
        url = f"{self.endpoint}/model/{quote(bedrock_model_id(model), safe='')}/{action}"
        accept = "application/vnd.amazon.eventstream" if call.stream else "application/json"
        headers = {"content-type": "application/json", "accept": accept}
        return url, self.sign(url, body, headers, credentials), body

    async def send(self, call: UpstreamCall) -> UpstreamResponse:
        """Sign and send; a streamed answer comes back as Anthropic SSE."""
        if call.api != "anthropic-messages":
            msg = f"the bedrock backend serves POST /v1/messages only, not {call.method} {call.path}"
            return StaticResponse(404, error_body("anthropic-messages", 404, msg))
        url, headers, body = self.prepare(call, await self._creds())
        response = await self._client.send(
            self._client.build_request("POST", url, headers=headers, content=body), stream=True
        )
        if response.status_code != 200:
            return await anthropic_error(response, _message)
        if call.stream:
            return EventStreamResponse(response)
        return HttpxResponse(response)

    async def aclose(self) -> None:
        """Nothing of its own to release."""


def _message(raw: bytes) -> str:
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")[:500] or "bedrock error"
    if isinstance(data, dict):
        return str(data.get("message") or data.get("Message") or data)
    return str(data)


class EventStreamResponse:
    """Bedrock's ``application/vnd.amazon.eventstream`` answer, read as Anthropic SSE events."""

    def __init__(self, response: httpx.Response) -> None:
        self._r = response
        self.status_code = 200

    @property
    def headers(self) -> Sequence[tuple[str, str]]:
        """SSE headers (the event-stream framing is gone)."""
        return [("content-type", "text/event-stream; charset=utf-8")]

    async def _events(self) -> AsyncIterator[bytes]:
        buffer = EventStreamBuffer()
        async for chunk in self._r.aiter_bytes():
            buffer.add_data(chunk)
            for message in buffer:
                yield _to_sse(message.headers, message.payload)

    def aiter_raw(self) -> AsyncIterator[bytes]:
        """SSE bytes."""
        return self._events()

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """SSE bytes."""
        return self._events()

    async def aread(self) -> bytes:
        """All SSE bytes."""
        return b"".join([chunk async for chunk in self._events()])

    async def aclose(self) -> None:
        """Close the response."""
        await self._r.aclose()


def _to_sse(headers: dict[str, Any], payload: bytes) -> bytes:
    if headers.get(":message-type") == "event" and headers.get(":event-type") == "chunk":
        data = base64.b64decode(json.loads(payload)["bytes"])
        kind = json.loads(data).get("type", "message")
        return f"event: {kind}\ndata: ".encode() + data + b"\n\n"
    if headers.get(":message-type") in ("exception", "error"):
        message = _message(payload)
        return error_event("anthropic-messages", 500, f"bedrock {headers.get(':exception-type', 'error')}: {message}")
    return b""
