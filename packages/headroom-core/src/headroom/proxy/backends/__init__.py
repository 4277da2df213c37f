"""Upstream backends, built in and contributed by entry point.

Built in: ``auto``, ``anthropic``, ``openai`` (direct), ``openrouter``, ``azure`` (OpenAI-compatible
base URLs), ``bedrock`` (SigV4, ``headroom-core[bedrock]``) and ``vertex_ai`` (google-auth,
``headroom-core[vertex]``). ``--backend NAME/TARGET`` loads the entry point ``NAME`` of the group
``headroom.proxy_backends`` (a `BackendFactory`) and calls it with ``TARGET``.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import httpx

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
    "load_backend",
]


def load_backend(settings: ProxySettings, client: httpx.AsyncClient) -> Backend:
    """The backend ``settings.backend`` names, sharing ``client``.

    Raises:
        ValueError: an unknown backend name, or a built-in one missing a setting it needs.
        ImportError: the backend's extra is not installed (the message names the install command).
    """
    name, _, target = settings.backend.partition("/")
    if name in ("auto", "anthropic", "openai") and not target:
        anthropic = settings.upstream_url if name == "anthropic" and settings.upstream_url else settings.anthropic_url
        openai = settings.upstream_url if name == "openai" and settings.upstream_url else settings.openai_url
        return HttpBackend(name, client, direct_router(name, anthropic, openai))
    if name == "openrouter" and not target:
        url = base_url(settings.upstream_url or DEFAULT_OPENROUTER_URL)
        return HttpBackend(name, client, lambda call: url)
    if name == "azure" and not target:
        if not settings.upstream_url:
            raise ValueError("the azure backend needs --upstream-url https://<resource>.openai.azure.com/openai")
        url = base_url(settings.upstream_url)
        return HttpBackend(name, client, lambda call: url, azure_headers)
    if name == "bedrock" and not target:
        from headroom.proxy.backends.bedrock import BedrockBackend

        return BedrockBackend(
            client, region=_need(settings.region, "bedrock", "--region"), endpoint=settings.upstream_url
        )
    if name == "vertex_ai" and not target:
        from headroom.proxy.backends.vertex import VertexBackend

        region = _need(settings.region, "vertex_ai", "--region")
        return VertexBackend(client, region=region, project=settings.project, endpoint=settings.upstream_url)
    return _from_entry_point(name, target, settings, client)


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
