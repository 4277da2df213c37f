"""The compressing proxy: point any tool at it and every request it sends is compressed.

    headroom proxy                      # 127.0.0.1:8787
    ANTHROPIC_BASE_URL=http://127.0.0.1:8787 claude
    OPENAI_BASE_URL=http://127.0.0.1:8787/v1 your-app

`create_app` builds the ASGI app (``pip install "headroom-core[proxy]"``); `headroom.proxy.cli`
holds the ``headroom proxy`` and ``headroom wrap`` commands.

Routes: ``POST /v1/messages`` (+ ``/v1/messages/count_tokens``), ``/v1/chat/completions``,
``/v1/responses`` are compressed; ``POST /v1/compress`` and ``/v1/retrieve`` serve other clients;
``GET /health``, ``/metrics`` (Prometheus) and ``/stats`` (JSON) report; every other path passes
through untouched. The client's own auth headers go upstream as they are and are never logged.

Retrieval: when compression writes markers the proxy adds ``headroom_retrieve`` to the request's
tools and answers the model's calls itself (streaming or not) before the client sees the turn.

Backends. ``--backend`` picks the upstream: ``auto`` (default), ``anthropic``, ``openai``,
``openrouter``, ``azure``, ``bedrock`` (extra ``bedrock``), ``vertex_ai`` (extra ``vertex``), or
``NAME/TARGET`` for a backend another package registers. To add one, expose a factory in the
entry-point group ``headroom.proxy_backends``::

    [project.entry-points."headroom.proxy_backends"]
    litellm = "headroom_litellm.backend:make_backend"

``make_backend(target: str, settings: ProxySettings, client: httpx.AsyncClient) -> Backend`` is
called once per app with what follows ``litellm/`` in ``--backend litellm/<provider>``. A
`Backend` has a ``name`` and two coroutines: ``send(call: UpstreamCall) -> UpstreamResponse``
and ``aclose()``. ``call`` carries the API (``anthropic-messages``, ``anthropic-count-tokens``,
``openai-chat``, ``openai-responses`` or ``passthrough``), method, path, query, the client's
headers, the body to send (already compressed) and its parsed ``payload``, and ``stream``. The
response must be in that API's own wire format — JSON, or SSE events exactly as the provider
streams them when ``call.stream`` — with ``status_code``, ``headers`` (pairs), ``aiter_raw()``,
``aiter_bytes()``, ``aread()`` and ``aclose()`` (`headroom.proxy.backends.StaticResponse` and
``HttpxResponse`` are ready-made). Errors are 4xx/5xx responses with the API's error body;
network failures raise ``httpx.TransportError`` or ``OSError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from headroom.proxy.settings import ProxySettings

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from headroom.proxy.backends import Backend
    from headroom.store import Store

__all__ = ["ProxySettings", "create_app"]


def create_app(
    settings: ProxySettings | None = None, *, backend: Backend | None = None, store: Store | None = None
) -> ASGIApp:
    """Build the proxy's ASGI app.

    Args:
        settings: listening, upstream and compression settings; None means the defaults.
        backend: a ready backend instead of the one ``settings.backend`` names (tests, embedding).
        store: a ready store instead of the one ``settings.store`` names.

    Returns:
        An ASGI app; its lifespan opens the shared HTTP client and closes it with the log.

    Raises:
        ImportError: the proxy extra is missing (the message names the install command).
        ValueError: settings that cannot work (e.g. a public bind without a token).
    """
    try:
        from headroom.proxy._app import build_app
    except ImportError as e:
        raise ImportError(f'the proxy needs its extra: pip install "headroom-core[proxy]" ({e})') from e
    return build_app(settings or ProxySettings(), backend=backend, store=store)
