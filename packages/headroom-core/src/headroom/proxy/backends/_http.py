"""Backends that are a base URL and headers: Anthropic and OpenAI direct, OpenRouter, Azure OpenAI."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

import httpx

from headroom.proxy._upstream import UpstreamPool
from headroom.proxy.backends._base import HttpxResponse, UpstreamCall, UpstreamResponse

__all__ = ["HttpBackend", "azure_headers", "base_url", "direct_router"]


def base_url(url: str) -> str:
    """``url`` without a trailing ``/`` or ``/v1`` (client paths already start with ``/v1``)."""
    url = url.rstrip("/")
    return url[:-3] if url.endswith("/v1") else url


class HttpBackend:
    """Sends each call to ``route(call) + call.path`` with the client's own headers.

    Args:
        name: the backend's name.
        client: returns the proxy's shared httpx client (used when there is no pool).
        route: the base URL for a call.
        headers: an optional rewrite of the forwarded headers (Azure's ``api-key``).
        pool: the lean keep-alive client for the hot path (see `headroom.proxy._upstream`).
    """

    def __init__(
        self,
        name: str,
        client: Callable[[], httpx.AsyncClient],
        route: Callable[[UpstreamCall], str],
        headers: Callable[[Sequence[tuple[str, str]]], Sequence[tuple[str, str]]] | None = None,
        *,
        pool: UpstreamPool | None = None,
    ) -> None:
        self.name = name
        self._client = client
        self._route = route
        self._headers = headers
        self._pool = pool

    async def send(self, call: UpstreamCall) -> UpstreamResponse:
        """Send the call; returns once the response headers are in."""
        base = self._route(call)
        target = urlsplit(base).path + call.path + (f"?{call.query}" if call.query else "")
        headers = self._headers(call.headers) if self._headers else call.headers
        if self._pool is not None:
            return await self._pool.request(call.method, base, target, headers, call.body)
        client = self._client()
        request = client.build_request(call.method, base, headers=list(headers), content=call.body)
        # set as bytes: httpx would re-quote a path given as text, and the upstream gets what the client sent
        request.url = request.url.copy_with(raw_path=target.encode("latin-1"))
        return HttpxResponse(await client.send(request, stream=True))

    def websocket_target(self, call: UpstreamCall) -> tuple[str, Sequence[tuple[str, str]]]:
        """The call's URL with ``http`` turned into ``ws`` (``https`` into ``wss``), and its headers."""
        url = self._route(call) + call.path
        if call.query:
            url += "?" + call.query
        scheme, sep, rest = url.partition("://")
        url = {"http": "ws", "https": "wss"}.get(scheme.lower(), scheme) + sep + rest
        return url, self._headers(call.headers) if self._headers else call.headers

    async def aclose(self) -> None:
        """The shared client belongs to the app; nothing to release here."""


def direct_router(mode: str, anthropic_url: str, openai_url: str) -> Callable[[UpstreamCall], str]:
    """The base URL per call for ``auto``, ``anthropic`` and ``openai``.

    ``auto`` sends Anthropic routes to ``anthropic_url`` and OpenAI routes to ``openai_url``; other
    paths go to Anthropic when the client sent an ``anthropic-version`` or ``x-api-key`` header.
    """
    anthropic, openai = base_url(anthropic_url), base_url(openai_url)
    if mode == "anthropic":
        return lambda call: anthropic
    if mode == "openai":
        return lambda call: openai

    def route(call: UpstreamCall) -> str:
        if call.api.startswith("anthropic"):
            return anthropic
        if call.api != "passthrough":
            return openai
        names = {k.lower() for k, _ in call.headers}
        return anthropic if "anthropic-version" in names or "x-api-key" in names else openai

    return route


def azure_headers(headers: Sequence[tuple[str, str]]) -> Sequence[tuple[str, str]]:
    """An OpenAI SDK's ``Authorization: Bearer <key>`` becomes Azure's ``api-key`` (Entra JWTs stay bearer)."""
    if any(k.lower() == "api-key" for k, _ in headers):
        return headers
    out = []
    for k, v in headers:
        if k.lower() == "authorization" and v.startswith("Bearer ") and not v[7:].startswith("eyJ"):
            out.append(("api-key", v[7:]))
        else:
            out.append((k, v))
    return out
