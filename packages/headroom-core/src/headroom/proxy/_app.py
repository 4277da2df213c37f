"""Build the ASGI app: routes bound to one `ProxyContext`, the token guard around them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp
from starlette.websockets import WebSocket

from headroom.proxy import _service
from headroom.proxy._auth import HostGuard, TokenGuard
from headroom.proxy._context import ProxyContext
from headroom.proxy._dashboard import dashboard_routes
from headroom.proxy._request_id import RequestIdHeader
from headroom.proxy._routes import model_route, passthrough
from headroom.proxy._socket import responses_socket
from headroom.proxy.backends import Backend, CallApi
from headroom.proxy.settings import ProxySettings
from headroom.store import Store

__all__ = ["build_app"]

Endpoint = Callable[[Request], Awaitable[Any]]
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
_MODEL_ROUTES: list[tuple[str, CallApi]] = [
    ("/v1/messages", "anthropic-messages"),
    ("/v1/messages/count_tokens", "anthropic-count-tokens"),
    ("/v1/chat/completions", "openai-chat"),
    ("/chat/completions", "openai-chat"),
    ("/v1/responses", "openai-responses"),
    ("/responses", "openai-responses"),
]


def _model(ctx: ProxyContext, api: CallApi) -> Endpoint:
    async def endpoint(request: Request) -> Any:
        return await model_route(ctx, request, api)

    return endpoint


def _bind(ctx: ProxyContext, fn: Callable[[ProxyContext, Request], Awaitable[Any]]) -> Endpoint:
    async def endpoint(request: Request) -> Any:
        return await fn(ctx, request)

    return endpoint


def _socket(ctx: ProxyContext) -> Callable[[WebSocket], Awaitable[None]]:
    async def endpoint(websocket: WebSocket) -> None:
        await responses_socket(ctx, websocket)

    return endpoint


def build_app(settings: ProxySettings, *, backend: Backend | None = None, store: Store | None = None) -> ASGIApp:
    """The proxy app for ``settings`` (see `headroom.proxy.create_app`)."""
    settings.validate()
    ctx = ProxyContext(settings, backend=backend, store=store)
    routes: list[BaseRoute] = [Route(path, _model(ctx, api), methods=["POST"]) for path, api in _MODEL_ROUTES]
    routes += [WebSocketRoute(path, _socket(ctx)) for path, api in _MODEL_ROUTES if api == "openai-responses"]
    routes += [
        Route("/v1/compress", _bind(ctx, _service.compress_endpoint), methods=["POST"]),
        Route("/v1/retrieve", _bind(ctx, _service.retrieve_endpoint), methods=["POST"]),
        Route("/health", _bind(ctx, _service.health), methods=["GET", "HEAD"]),
        Route("/", _bind(ctx, _service.root), methods=["GET", "HEAD"]),
        Route("/stats", _bind(ctx, _service.stats), methods=["GET"]),
        Route("/metrics", _bind(ctx, _service.metrics), methods=["GET"]),
        *dashboard_routes(ctx),
        Route("/{path:path}", _bind(ctx, passthrough), methods=_ALL_METHODS),
    ]
    app = Starlette(routes=routes, lifespan=ctx.lifespan)
    app.state.headroom = ctx
    if settings.token:
        return RequestIdHeader(TokenGuard(app, settings.token))
    return RequestIdHeader(HostGuard(app, (*settings.allowed_hosts, settings.host)))
