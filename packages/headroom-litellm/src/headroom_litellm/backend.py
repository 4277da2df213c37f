"""``headroom proxy --backend litellm/<provider>``: the Headroom proxy's upstream calls made through LiteLLM.

Any provider LiteLLM speaks (Bedrock, Vertex, Groq, Ollama, Mistral, ...) serves the proxy's three
APIs: ``/v1/chat/completions`` through ``litellm.acompletion``, ``/v1/messages`` through
``litellm.anthropic.messages.acreate`` and ``/v1/responses`` through ``litellm.aresponses``, each
answered in the API's own wire format (JSON, or SSE when the client streams). The proxy compresses
before and answers ``headroom_retrieve`` itself; this backend only carries the calls.

The model is ``<provider>/<model the client asked for>`` (a model already prefixed with the
provider is used as is; ``--backend litellm`` with no provider takes the client's model name as a
full LiteLLM model). Credentials come from LiteLLM's usual environment variables for the provider
(``GROQ_API_KEY``, the AWS chain, ...); the client's own key is forwarded only to the providers it
belongs to (``openai``/``azure``/``openrouter``/``litellm_proxy`` for OpenAI routes, ``anthropic`` for
``/v1/messages``). ``--upstream-url`` becomes ``api_base``; ``--region`` the AWS region or Vertex
location; ``--project`` the Vertex project.

Registered in the ``headroom.proxy_backends`` entry-point group as ``litellm``, so core never
imports LiteLLM.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx
import litellm
from headroom.proxy.backends import StaticResponse, UpstreamCall, UpstreamResponse
from litellm.anthropic_interface import messages as anthropic_messages
from litellm.exceptions import APIConnectionError, Timeout

from headroom_litellm._compat import skip_unavailable_mcp

if TYPE_CHECKING:
    from headroom.proxy import ProxySettings

__all__ = ["LiteLLMBackend", "make_backend"]

_OPENAI_KEY_PROVIDERS = frozenset({"openai", "azure", "openrouter", "litellm_proxy"})
_SSE_HEADERS = (("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-cache"))


def _error(api: str, status: int, message: str) -> bytes:
    if api.startswith("anthropic"):
        kind = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error"}.get(status)
        body: dict[str, Any] = {"type": "error", "error": {"type": kind or "api_error", "message": message}}
    else:
        kind = "invalid_request_error" if status < 500 else "server_error"
        code = {401: "invalid_api_key", 429: "rate_limit_exceeded"}.get(status, kind)
        body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return json.dumps(body).encode()


def _plain(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    # warnings off: LiteLLM's response models hold dicts where pydantic expects its own types.
    return dump(mode="json", exclude_none=True, warnings=False) if callable(dump) else value


def _dump(value: Any) -> bytes:
    return json.dumps(_plain(value), default=str, ensure_ascii=False).encode()


def _sse(api: str, item: Any) -> bytes:
    """One streamed item as the API's SSE bytes (Anthropic streams already arrive as SSE bytes)."""
    if isinstance(item, (bytes, bytearray)):
        return bytes(item)
    if isinstance(item, str):
        return item.encode()
    data = _plain(item)
    raw = json.dumps(data, default=str, ensure_ascii=False).encode()
    if api == "openai-chat":
        return b"data: " + raw + b"\n\n"
    kind = data.get("type") if isinstance(data, Mapping) else None
    return f"event: {kind or 'message'}\ndata: ".encode() + raw + b"\n\n"


class StreamedResponse:
    """An `UpstreamResponse` over LiteLLM's stream: the API's SSE events as they come."""

    status_code = 200

    def __init__(self, api: str, stream: Any) -> None:
        self._api = api
        self._stream = stream

    @property
    def headers(self) -> Sequence[tuple[str, str]]:
        """SSE headers."""
        return _SSE_HEADERS

    async def _events(self) -> AsyncIterator[bytes]:
        try:
            async for item in self._stream:
                yield _sse(self._api, item)
        except Exception as e:  # a failure mid-stream ends it with the API's error event
            status = getattr(e, "status_code", 502)
            error = _error(self._api, status if isinstance(status, int) else 502, str(e))
            yield (b"event: error\ndata: " if self._api.startswith("anthropic") else b"data: ") + error + b"\n\n"
            return
        if self._api == "openai-chat":
            yield b"data: [DONE]\n\n"

    def aiter_raw(self) -> AsyncIterator[bytes]:
        """The SSE bytes."""
        return self._events()

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The SSE bytes."""
        return self._events()

    async def aread(self) -> bytes:
        """All SSE bytes."""
        return b"".join([chunk async for chunk in self._events()])

    async def aclose(self) -> None:
        """Close LiteLLM's stream."""
        close = getattr(self._stream, "aclose", None)
        if callable(close):
            await close()


class LiteLLMBackend:
    """Serves the proxy's calls through LiteLLM.

    Args:
        provider: the LiteLLM provider prefix (``bedrock``, ``groq``, ``ollama``...); ``""`` takes the
            client's model name as a full LiteLLM model.
        api_base: the provider's base URL, when not its default.
        region: the AWS region (Bedrock) or Google Cloud location (Vertex AI).
        project: the Google Cloud project (Vertex AI).
    """

    name = "litellm"

    def __init__(
        self, provider: str = "", *, api_base: str | None = None, region: str | None = None, project: str | None = None
    ) -> None:
        self.provider = provider.strip("/")
        self._params: dict[str, Any] = {"drop_params": True}
        if api_base:
            self._params["api_base"] = api_base
        if region:
            self._params["vertex_location" if self.provider.startswith("vertex") else "aws_region_name"] = region
        if project:
            self._params["vertex_project"] = project

    def model(self, requested: str) -> str:
        """The LiteLLM model for the model the client asked for."""
        if not self.provider or requested.startswith(f"{self.provider}/"):
            return requested
        return f"{self.provider}/{requested}"

    def _client_key(self, call: UpstreamCall) -> str | None:
        headers = {k.lower(): v for k, v in call.headers}
        if call.api.startswith("anthropic"):
            return headers.get("x-api-key") if self.provider == "anthropic" else None
        auth = headers.get("authorization", "")
        if self.provider in _OPENAI_KEY_PROVIDERS and auth.lower().startswith("bearer "):
            return auth[7:].strip() or None
        return None

    def _request(self, call: UpstreamCall) -> dict[str, Any]:
        params = {**dict(call.payload or {}), **self._params}
        params["model"] = self.model(str(params.get("model", "")))
        key = self._client_key(call)
        if key:
            params["api_key"] = key
        return skip_unavailable_mcp(params)

    async def send(self, call: UpstreamCall) -> UpstreamResponse:
        """Make the call through LiteLLM; the answer comes back in the call's API format."""
        if call.method != "POST" or call.api == "passthrough" or call.payload is None:
            msg = f"the litellm backend serves model calls only, not {call.method} {call.path}"
            return StaticResponse(404, _error(call.api, 404, msg))
        params = self._request(call)
        try:
            if call.api == "anthropic-count-tokens":
                return self._count_tokens(params)
            result = await self._call(call.api, params)
        except Timeout as e:  # the proxy answers network failures itself (504 / 502)
            raise httpx.ReadTimeout(f"litellm: {e}") from e
        except APIConnectionError as e:
            raise httpx.ConnectError(f"litellm: {e}") from e
        except Exception as e:  # LiteLLM's provider errors carry the provider's status
            status = getattr(e, "status_code", None)
            status = status if isinstance(status, int) and 400 <= status < 600 else 500
            return StaticResponse(status, _error(call.api, status, str(e)))
        if call.stream:
            return StreamedResponse(call.api, result)
        return StaticResponse(200, _dump(result))

    async def _call(self, api: str, params: dict[str, Any]) -> Any:
        if api == "openai-chat":
            return await litellm.acompletion(**params)
        if api == "anthropic-messages":
            return await anthropic_messages.acreate(**params)
        return await litellm.aresponses(**params)

    def _count_tokens(self, params: Mapping[str, Any]) -> UpstreamResponse:
        messages = params.get("messages") or []
        try:
            tokens = litellm.token_counter(model=params["model"], messages=messages, tools=params.get("tools"))
        except Exception:  # messages LiteLLM cannot read: count their JSON text
            tokens = litellm.token_counter(model=params["model"], text=json.dumps(messages, default=str))
        return StaticResponse(200, json.dumps({"input_tokens": int(tokens)}).encode())

    async def aclose(self) -> None:
        """LiteLLM keeps its own clients; nothing to release here."""


def make_backend(target: str, settings: ProxySettings, client: httpx.AsyncClient) -> LiteLLMBackend:
    """The ``litellm`` entry point: ``--backend litellm/<provider>`` (``target`` is the provider).

    ``client`` (the proxy's shared HTTP client) is not used: LiteLLM makes its own connections.
    """
    return LiteLLMBackend(target, api_base=settings.upstream_url, region=settings.region, project=settings.project)
