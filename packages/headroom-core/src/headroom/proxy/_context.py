"""Everything one proxy app holds: settings, the shared HTTP client, the backend, the store, the counters."""

from __future__ import annotations

import dataclasses
import logging
import os
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import httpx

from headroom.proxy._history import RequestHistory, default_history_path, history_row
from headroom.proxy._pending import PendingRetrievals
from headroom.proxy._stats import ProxyStats, RequestRecord
from headroom.proxy._tasks import ResponseTasks
from headroom.proxy._upstream import UpstreamPool
from headroom.proxy.backends import Backend, UpstreamCall, UpstreamResponse, load_backend
from headroom.proxy.settings import ProxySettings
from headroom.store import Store, default_store, open_store

if TYPE_CHECKING:
    from headroom.proxy._memory import ProxyMemory

__all__ = ["ProxyContext"]

log = logging.getLogger("headroom.proxy")

_PROXY_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def _changed_options(settings: ProxySettings) -> dict[str, Any]:
    """Only options that differ from the defaults, so `compress_request` still reads ``max_tokens``."""
    opts = settings.options
    return {f.name: getattr(opts, f.name) for f in dataclasses.fields(opts) if getattr(opts, f.name) != f.default}


class ProxyContext:
    """The state of one app, created by `headroom.proxy.create_app` and opened by its lifespan."""

    def __init__(self, settings: ProxySettings, *, backend: Backend | None = None, store: Store | None = None) -> None:
        self.settings = settings
        self.stats = ProxyStats(settings)
        self.pending = PendingRetrievals()
        self.tasks = ResponseTasks()
        self.options = _changed_options(settings)
        self._backend = backend
        self._store = store
        self._own_store = False
        self._client: httpx.AsyncClient | None = None
        self._pool: UpstreamPool | None = None
        self._memory: ProxyMemory | None = None
        self.warm = threading.Event()  # set once `headroom.warmup` has loaded what compression needs
        self._history: RequestHistory | None = None
        self.instance = os.urandom(6).hex()  # this app's rows in a history file other proxies may share
        self._history_failed = False
        if settings.history != "off":
            self.stats.observers.append(self._remember)

    # ---- lazily opened parts -----------------------------------------------------------------------

    @property
    def store(self) -> Store:
        """The store originals go to (opened on first use)."""
        if self._store is None:
            if self.settings.store:
                self._store = open_store(self.settings.store)
                self._own_store = True
            else:
                self._store = default_store()
        return self._store

    @property
    def memory(self) -> ProxyMemory | None:
        """The memory tools (``--memory``), opened on first use; None when they are off."""
        if self._memory is None and self.settings.memory:
            from headroom.memory import PostgresMemoryStore, default_memory_store
            from headroom.proxy._memory import ProxyMemory

            url = self.settings.memory_url
            self._memory = ProxyMemory(PostgresMemoryStore(url) if url else default_memory_store())
        return self._memory

    @property
    def history(self) -> RequestHistory | None:
        """The request history (``/dashboard``, ``headroom explain``), opened on first use; None when off."""
        s = self.settings
        if self._history is None and s.history != "off":
            path = s.history_path or default_history_path()
            self._history = RequestHistory(
                path, max_rows=s.history_max_rows, max_age_seconds=s.history_max_days * 86400, instance=self.instance
            )
        return self._history

    def _remember(self, rec: RequestRecord, cost: float, saved: float) -> None:
        """Add a finished request to the history; a history that cannot be written never fails a request."""
        if self._history_failed or self.history is None:
            return
        try:
            self.history.add(history_row(rec, cost, saved, content=self.settings.history == "full"))
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e):
                self._history_failed = True
            log.warning("request %s left out of the history: %s", rec.request_id, e)
        except Exception as e:  # a full disk or a damaged file: requests keep flowing, the history stops
            self._history_failed = True
            log.warning("cannot write the request history: %s (the history stops)", e)

    @property
    def client(self) -> httpx.AsyncClient:
        """The one HTTP client every upstream call shares."""
        if self._client is None:
            timeout = httpx.Timeout(self.settings.timeout, connect=min(10.0, self.settings.timeout))
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=128, keepalive_expiry=60)
            client = httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=False)
            for name in ("accept", "accept-encoding", "user-agent"):  # only what the client itself sent goes upstream
                client.headers.pop(name, None)
            self._client = client
        return self._client

    @property
    def backend(self) -> Backend:
        """The upstream backend."""
        if self._backend is None:
            self._backend = load_backend(self.settings, lambda: self.client, pool=self._lean_pool())
        return self._backend

    def _lean_pool(self) -> UpstreamPool | None:
        """The lean client, unless traffic must go through an HTTP(S) proxy (httpx handles those)."""
        if any(os.environ.get(k) for k in _PROXY_ENV):
            return None
        self._pool = UpstreamPool(connect_timeout=min(10.0, self.settings.timeout), read_timeout=self.settings.timeout)
        return self._pool

    async def send(self, call: UpstreamCall) -> UpstreamResponse:
        """Send a call through the backend."""
        return await self.backend.send(call)

    # ---- lifecycle ---------------------------------------------------------------------------------

    async def startup(self) -> None:
        """Build the client and backend up front, so configuration errors show at start; load what
        the first compression needs in the background (`headroom.warmup`), so it does not wait."""
        _ = self.backend
        if self.settings.compress:
            threading.Thread(target=self._warm_up, name="headroom-warm-up", daemon=True).start()
        else:
            self.warm.set()

    def _warm_up(self) -> None:
        from headroom.warmup import warm_up

        warm_up()
        self.warm.set()

    async def shutdown(self) -> None:
        """Close the backend, the client, the log and a store this app opened."""
        if self._backend is not None:
            await self._backend.aclose()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._pool is not None:
            await self._pool.aclose()
        self.stats.close()
        if self._history is not None:
            self._history.close()
            self._history = None
        if self._own_store and self._store is not None:
            self._store.close()
            self._store = None

    @asynccontextmanager
    async def lifespan(self, app: object) -> AsyncIterator[None]:
        """Starlette lifespan: startup, then shutdown."""
        await self.startup()
        try:
            yield
        finally:
            await self.shutdown()
