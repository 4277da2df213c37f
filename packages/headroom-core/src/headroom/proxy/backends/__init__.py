"""Upstream backends, built in and contributed by entry point.

Built in: ``auto``, ``anthropic``, ``openai`` (direct), ``openrouter``, ``azure`` (OpenAI-compatible
base URLs), ``bedrock`` (SigV4, ``headroom-core[bedrock]``) and ``vertex_ai`` (google-auth,
``headroom-core[vertex]``). ``--backend NAME/TARGET`` loads the entry point ``NAME`` of the group
``headroom.proxy_backends`` (a `BackendFactory`) and calls it with ``TARGET``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

import httpx

from headroom.proxy._upstream import UpstreamPool
from headroom.proxy.backends._base import (
    ENTRY_POINT_GROUP,
    HOP_HEADERS,
    Backend,
    BackendFactory,
    CallApi,
    HttpxResponse,
    StaticResponse,
    UpstreamCall,
    UpstreamResponse,
    WebSocketBackend,
)
from headroom.proxy.backends._http import HttpBackend, azure_headers, base_url, direct_router
from headroom.proxy.settings import DEFAULT_OPENROUTER_URL, ProxySettings

__all__ = [
    "ENTRY_POINT_GROUP",
    "HOP_HEADERS",
    "Backend",
    "BackendFactory",
    "CallApi",
    "HttpBackend",
    "HttpxResponse",
    "StaticResponse",
    "UpstreamCall",
    "UpstreamResponse",
    "WebSocketBackend",
    "load_backend",
]


def load_backend(
    settings: ProxySettings,
    client: httpx.AsyncClient | Callable[[], httpx.AsyncClient],
    *,
    pool: UpstreamPool | None = None,
) -> Backend:
    """The backend ``settings.backend`` names.

    Args:
        settings: the proxy's settings.
        client: the shared httpx client, or a function returning it (so it is made only when used).
        pool: the lean keep-alive client the URL-and-headers backends use when given.

    Raises:
        ValueError: an unknown backend name, or a built-in one missing a setting it needs.
        ImportError: the backend's extra is not installed (the message names the install command).
    """
    get: Callable[[], httpx.AsyncClient] = (lambda: client) if isinstance(client, httpx.AsyncClient) else client
    name, _, target = settings.backend.partition("/")
    if name in ("auto", "anthropic", "openai") and not target:
        # --upstream-url replaces the named API's URL; under auto it serves both (a gateway such as
        # LiteLLM or a local model server answers Anthropic and OpenAI paths on one URL).
        upstream = settings.upstream_url
        anthropic = upstream if upstream and name in ("auto", "anthropic") else settings.anthropic_url
        openai = upstream if upstream and name in ("auto", "openai") else settings.openai_url
        return HttpBackend(name, get, direct_router(name, anthropic, openai), pool=pool)
    if name == "openrouter" and not target:
        url = base_url(settings.upstream_url or DEFAULT_OPENROUTER_URL)
        return HttpBackend(name, get, lambda call: url, pool=pool)
    if name == "azure" and not target:
        if not settings.upstream_url:
            raise ValueError("the azure backend needs --upstream-url https://<resource>.openai.azure.com/openai")
        url = base_url(settings.upstream_url)
        return HttpBackend(name, get, lambda call: url, azure_headers, pool=pool)
    if name == "bedrock" and not target:
        from headroom.proxy.backends.bedrock import BedrockBackend

        region = _need(settings.region, "bedrock", "--region")
        return BedrockBackend(get(), region=region, endpoint=settings.upstream_url)
    if name == "vertex_ai" and not target:
        from headroom.proxy.backends.vertex import VertexBackend

        region = _need(settings.region, "vertex_ai", "--region")
        return VertexBackend(get(), region=region, project=settings.project, endpoint=settings.upstream_url)
    return _from_entry_point(name, target, settings, get())


def _need(value: str | None, backend: str, flag: str) -> str:
    if not value:
        raise ValueError(f"the {backend} backend needs {flag}")
    return value


def _from_entry_point(name: str, target: str, settings: ProxySettings, client: httpx.AsyncClient) -> Backend:
    found = list(entry_points(group=ENTRY_POINT_GROUP, name=name))
    if not found:
        hint = " (pip install headroom-litellm)" if name == "litellm" else ""
        raise ValueError(
            f"no proxy backend named {name!r}: no entry point {name!r} in group {ENTRY_POINT_GROUP!r}{hint}"
        )
    factory: BackendFactory = found[0].load()
    backend = factory(target, settings, client)
    if not isinstance(backend, Backend):
        raise TypeError(
            f"entry point {name!r} returned {type(backend).__name__}, which is not a headroom proxy Backend"
        )
    return backend
