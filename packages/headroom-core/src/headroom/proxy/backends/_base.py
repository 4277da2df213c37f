"""The backend protocol: how the proxy hands a request to an upstream and gets the answer back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from headroom.proxy._errors import error_body

if TYPE_CHECKING:
    import httpx

    from headroom.proxy.settings import ProxySettings

__all__ = [
    "ENTRY_POINT_GROUP",
    "HOP_HEADERS",
    "Backend",
    "BackendFactory",
    "CallApi",
    "HttpxResponse",
    "UpstreamCall",
    "UpstreamResponse",
    "WebSocketBackend",
]

ENTRY_POINT_GROUP = "headroom.proxy_backends"

CallApi = Literal["anthropic-messages", "anthropic-count-tokens", "openai-chat", "openai-responses", "passthrough"]

HOP_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "expect",
        "keep-alive",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "x-headroom-token",
        "x-headroom-bypass",
    }
)
"""Request headers the proxy never forwards: hop-by-hop ones and its own (token, bypass)."""


@dataclass(frozen=True)
class UpstreamCall:
    """One request for the upstream, as the proxy wants it sent.

    Attributes:
        api: which API the request is for (``passthrough`` for paths the proxy does not know).
        method: the HTTP method.
        path: the path the client used, e.g. ``/v1/messages``, exactly as sent: percent-escapes kept,
            one character per byte of the request line (so it encodes back as Latin-1).
        query: the raw query string (``""`` when none).
        headers: the client's headers minus hop-by-hop ones, auth headers untouched.
        body: the body to send (compressed when the proxy compressed it).
        payload: ``body`` parsed (read-only; None for passthrough) so backends can read ``model``
            and ``stream`` without parsing again.
        stream: whether the client asked for a streamed answer.
    """

    api: CallApi
    method: str
    path: str
    query: str
    headers: Sequence[tuple[str, str]]
    body: bytes
    payload: Mapping[str, Any] | None = None
    stream: bool = False


@runtime_checkable
class UpstreamResponse(Protocol):
    """An upstream's answer, readable once, in the API's own wire format (SSE for streams)."""

    status_code: int

    @property
    def headers(self) -> Sequence[tuple[str, str]]:
        """Response headers as received (``content-encoding`` describes `aiter_raw`)."""
        ...

    def aiter_raw(self) -> AsyncIterator[bytes]:
        """The body as received, still content-encoded."""
        ...

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body decoded (no content-encoding)."""
        ...

    async def aread(self) -> bytes:
        """The whole decoded body."""
        ...

    async def aclose(self) -> None:
        """Release the connection."""
        ...


@runtime_checkable
class Backend(Protocol):
    """Where the proxy sends requests.

    Implementations answer every `CallApi` they support in the API's own wire format: an Anthropic
    ``/v1/messages`` call gets an Anthropic message (or Anthropic SSE events when
    ``call.stream``), whatever the upstream really speaks. A call they cannot serve gets a 4xx
    `UpstreamResponse` whose body is an error in the API's format. Network failures raise
    ``httpx.TransportError`` (or any ``OSError``); the proxy turns them into a 502/504.
    """

    name: str

    async def send(self, call: UpstreamCall) -> UpstreamResponse:
        """Send ``call`` and return once the response headers are in."""
        ...

    async def aclose(self) -> None:
        """Release connections and credentials."""
        ...


@runtime_checkable
class WebSocketBackend(Protocol):
    """A backend whose upstream also speaks the OpenAI Responses API over a WebSocket (Codex's transport).

    The proxy opens the WebSocket itself (with the ``websockets`` client); the backend only says
    where to and with which headers. A backend without this method gets its clients' upgrades
    refused, so they fall back to HTTPS.
    """

    def websocket_target(self, call: UpstreamCall) -> tuple[str, Sequence[tuple[str, str]]]:
        """The ``ws://`` or ``wss://`` URL for ``call.path`` and the headers to open it with."""
        ...


class BackendFactory(Protocol):
    """What an entry point in the ``headroom.proxy_backends`` group loads to.

    Called once per app as ``factory(target, settings, client)``: ``target`` is what follows
    ``NAME/`` in ``--backend NAME/TARGET`` (``""`` when nothing does), ``client`` the proxy's
    shared ``httpx.AsyncClient`` (a backend that does not speak HTTP itself may ignore it).
    """

    def __call__(self, target: str, settings: ProxySettings, client: httpx.AsyncClient) -> Backend:
        """Build the backend."""
        ...


class HttpxResponse:
    """`UpstreamResponse` over an ``httpx.Response`` opened with ``stream=True``."""

    def __init__(self, response: httpx.Response) -> None:
        self._r = response
        self.status_code = response.status_code

    @property
    def headers(self) -> Sequence[tuple[str, str]]:
        """The response headers."""
        return self._r.headers.multi_items()

    def aiter_raw(self) -> AsyncIterator[bytes]:
        """The body as received."""
        return self._r.aiter_raw()

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body decoded."""
        return self._r.aiter_bytes()

    async def aread(self) -> bytes:
        """The whole decoded body."""
        return await self._r.aread()

    async def aclose(self) -> None:
        """Close the response."""
        await self._r.aclose()


class StaticResponse:
    """An `UpstreamResponse` made by a backend itself (errors it answers without an upstream)."""

    def __init__(self, status_code: int, body: bytes, headers: Sequence[tuple[str, str]] = ()) -> None:
        self.status_code = status_code
        self._body = body
        self._headers = [("content-type", "application/json"), *headers]

    @property
    def headers(self) -> Sequence[tuple[str, str]]:
        """The headers."""
        return self._headers

    async def _once(self) -> AsyncIterator[bytes]:
        yield self._body

    def aiter_raw(self) -> AsyncIterator[bytes]:
        """The body."""
        return self._once()

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body."""
        return self._once()

    async def aread(self) -> bytes:
        """The body."""
        return self._body

    async def aclose(self) -> None:
        """Nothing to release."""


async def anthropic_error(response: httpx.Response, describe: Callable[[bytes], str]) -> StaticResponse:
    """A provider's failed answer to a ``/v1/messages`` call, read, closed and rewritten as an
    Anthropic error whose message ``describe`` takes from the provider's body."""
    raw = await response.aread()
    await response.aclose()
    status = response.status_code
    return StaticResponse(status, error_body("anthropic-messages", status, describe(raw)))
