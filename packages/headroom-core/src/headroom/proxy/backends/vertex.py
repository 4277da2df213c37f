"""Google Vertex AI: Anthropic ``/v1/messages`` calls with a google-auth bearer token.

Needs ``pip install "headroom-core[vertex]"``. Credentials come from Application Default
Credentials (``gcloud auth application-default login``, a service-account file in
``GOOGLE_APPLICATION_CREDENTIALS``, or the metadata server); the client's own API key is not sent.
The model name goes into the URL as given (``claude-sonnet-4-5@20250929`` or ``claude-sonnet-4-5``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from headroom.proxy.backends._base import (
    HttpxResponse,
    StaticResponse,
    UpstreamCall,
    UpstreamResponse,
    anthropic_error,
)

try:
    import google.auth
    import google.auth.credentials
    import google.auth.transport
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError(f'the vertex_ai backend needs google-auth: pip install "headroom-core[vertex]" ({e})') from e

from headroom.proxy._errors import error_body

__all__ = ["VertexBackend"]

VERTEX_VERSION = "vertex-2023-10-16"
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)


class _AuthResponse(google.auth.transport.Response):
    def __init__(self, r: httpx.Response) -> None:
        self._r = r

    @property
    def status(self) -> int:
        return self._r.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return dict(self._r.headers)

    @property
    def data(self) -> bytes:
        return self._r.content


class _AuthRequest(google.auth.transport.Request):
    """google-auth's transport interface over a synchronous httpx client (token refreshes only)."""

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> _AuthResponse:
        with httpx.Client(timeout=timeout or 30) as client:
            return _AuthResponse(client.request(method, url, content=body, headers=dict(headers or {})))


class VertexBackend:
    """Serves ``anthropic-messages`` calls through Vertex AI's ``rawPredict``/``streamRawPredict``.

    Args:
        client: the proxy's shared HTTP client.
        region: the Vertex location (``us-east5``, ``europe-west1``, ``global``...).
        project: the Google Cloud project; None takes the credentials' default project.
        endpoint: an endpoint override (default ``https://<region>-aiplatform.googleapis.com``).
        credentials: google-auth credentials; None loads Application Default Credentials on first use.
    """

    name = "vertex_ai"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        region: str,
        project: str | None = None,
        endpoint: str | None = None,
        credentials: google.auth.credentials.Credentials | None = None,
    ) -> None:
        self._client = client
        self.region = region
        self.project = project
        host = "aiplatform.googleapis.com" if region == "global" else f"{region}-aiplatform.googleapis.com"
        self.endpoint = (endpoint or f"https://{host}").rstrip("/")
        self._credentials = credentials
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        """A valid access token, refreshed (in a thread) when missing or expired."""
        async with self._lock:
            if self._credentials is None:
                creds, project = await asyncio.to_thread(google.auth.default, scopes=list(SCOPES))
                self._credentials = creds
                self.project = self.project or project
            creds = self._credentials
            if not creds.valid:
                await asyncio.to_thread(creds.refresh, _AuthRequest())
            return str(creds.token)

    def url(self, model: str, stream: bool) -> str:
        """The ``rawPredict``/``streamRawPredict`` URL for ``model``."""
        if not self.project:
            raise RuntimeError("the vertex_ai backend needs a project (--project or the credentials' default)")
        action = "streamRawPredict" if stream else "rawPredict"
        return (
            f"{self.endpoint}/v1/projects/{self.project}/locations/{self.region}"
            f"/publishers/anthropic/models/{model}:{action}"
        )

    def body(self, call: UpstreamCall) -> bytes:
        """The Vertex body: the Anthropic body without ``model``, with ``anthropic_version``."""
        payload: dict[str, Any] = dict(call.payload or {})
        payload.pop("model", None)
        payload.setdefault("anthropic_version", VERTEX_VERSION)
        betas = [b.strip() for k, v in call.headers if k.lower() == "anthropic-beta" for b in v.split(",") if b.strip()]
        if betas:
            payload.setdefault("anthropic_beta", betas)
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace")

    async def send(self, call: UpstreamCall) -> UpstreamResponse:
        """Authorise and send; Vertex streams Anthropic SSE already."""
        if call.api != "anthropic-messages":
            msg = f"the vertex_ai backend serves POST /v1/messages only, not {call.method} {call.path}"
            return StaticResponse(404, error_body("anthropic-messages", 404, msg))
        token = await self.token()
        model = str((call.payload or {}).get("model", ""))
        headers: Sequence[tuple[str, str]] = [
            ("authorization", f"Bearer {token}"),
            ("content-type", "application/json"),
        ]
        request = self._client.build_request(
            "POST", self.url(model, call.stream), headers=list(headers), content=self.body(call)
        )
        response = await self._client.send(request, stream=True)
        if response.status_code != 200:
            return await anthropic_error(response, _message)
        return HttpxResponse(response)

    async def aclose(self) -> None:
        """Nothing of its own to release."""


def _message(raw: bytes) -> str:
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")[:500] or "vertex error"
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict):
        return str(err.get("message") or err)
    return str(data)
