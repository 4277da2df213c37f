"""Serving the proxy with uvicorn: in the foreground (`serve`) or in a background thread (`ProxyServer`)."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from headroom.proxy import create_app
from headroom.proxy.settings import ProxySettings

if TYPE_CHECKING:
    import uvicorn
    from starlette.types import ASGIApp

    from headroom.proxy._context import ProxyContext
    from headroom.proxy.backends import Backend
    from headroom.store import Store

__all__ = ["ProxyServer", "serve", "uvicorn_config"]


class _RefusedUpgradeFilter(logging.Filter):
    """Drops the error uvicorn's sans-I/O WebSocket protocol (0.54) logs after every upgrade refused
    with an HTTP response, which it does not count as a finished handshake; the proxy refuses
    upgrades on purpose (an upstream without WebSockets), so that line would only alarm."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "ASGI callable returned without completing handshake."


def uvicorn_config(app: ASGIApp, settings: ProxySettings) -> uvicorn.Config:
    """uvicorn settings tuned for a relay: no access log, long keep-alive, lifespan on."""
    import uvicorn

    errors = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _RefusedUpgradeFilter) for f in errors.filters):
        errors.addFilter(_RefusedUpgradeFilter())
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_keep_alive=75,
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=5,
        ws_max_size=settings.max_body_bytes,  # a response.create carries what a POST body would
    )


def serve(settings: ProxySettings) -> None:
    """Run the proxy in the foreground until interrupted."""
    import uvicorn

    uvicorn.Server(uvicorn_config(create_app(settings), settings)).run()


class ProxyServer:
    """The proxy on a loopback port in a background thread, for tests, benchmarks and embedding.

    Example::

        with FakeUpstream() as up, ProxyServer(ProxySettings(port=0, backend="openai", upstream_url=up.base_url)) as p:
            OpenAI(base_url=p.base_url + "/v1", api_key="sk-test").chat.completions.create(...)

    Args:
        settings: the proxy's settings (``port=0`` picks a free port; that is the default here).
        backend: a ready backend (see `headroom.proxy.create_app`).
        store: a ready store.
    """

    def __init__(
        self, settings: ProxySettings | None = None, *, backend: Backend | None = None, store: Store | None = None
    ) -> None:
        self.settings = settings or ProxySettings(port=0)
        self.app = create_app(self.settings, backend=backend, store=store)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = self.settings.port

    def start(self) -> ProxyServer:
        """Start serving; returns once the port accepts connections."""
        import uvicorn

        server = uvicorn.Server(uvicorn_config(self.app, self.settings))
        self._server = server
        self._thread = threading.Thread(target=server.run, name="headroom-proxy", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the proxy did not start (see the log above)")
            time.sleep(0.005)
        self.port = server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Stop serving (open streams are cut after a short grace period)."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(15)
        self._server = self._thread = None

    def __enter__(self) -> ProxyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host = self.settings.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def context(self) -> ProxyContext:
        """The app's `ProxyContext` (its stats, pending retrievals...)."""
        from headroom.proxy._auth import HostGuard, TokenGuard
        from headroom.proxy._context import ProxyContext
        from headroom.proxy._request_id import RequestIdHeader

        inner = self.app
        while isinstance(inner, (TokenGuard, HostGuard, RequestIdHeader)):
            inner = inner.app
        ctx = getattr(getattr(inner, "state", None), "headroom", None)
        assert isinstance(ctx, ProxyContext)
        return ctx
