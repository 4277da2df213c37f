"""``/dashboard`` and ``/dashboard/requests/<id>``: what the proxy did, for a person to look at.

The headline figures are the ``/stats`` document and the ``/metrics`` overhead histogram themselves,
so they reconcile exactly; the charts and the per-client, cache and latency figures add up the
request history (this process's rows by default, every row kept with ``?scope=all``).
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections import defaultdict
from typing import Any, Literal

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from headroom.proxy._charts import bucket_seconds
from headroom.proxy._context import ProxyContext
from headroom.proxy._dashboard_view import explain_page, overview_page
from headroom.proxy._forward import RawResponse
from headroom.proxy._history import RequestHistory
from headroom.store import RefError

__all__ = ["Overview", "dashboard_routes", "overview"]

GroupBy = Literal["model", "compressor", "client"]
_HTML = [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store")]
_TEXT = [(b"content-type", b"text/plain; charset=utf-8"), (b"cache-control", b"no-store")]
_MAX_SERIES = 7  # the rest are summed as "other"


_CLIENT = "CASE WHEN client = '' THEN 'no credentials' ELSE substr(client, 1, 8) END"
# What one request saved per group, as SQL: (FROM clause, group key, tokens saved).
_GROUPS: dict[str, tuple[str, str, str]] = {
    "model": ("requests", "model", "tokens_before - tokens_after"),
    "client": ("requests", _CLIENT, "tokens_before - tokens_after"),
    "compressor": (
        "requests, json_each(requests.compressors) AS j",
        "j.key",
        "json_extract(j.value, '$[1]') - json_extract(j.value, '$[2]')",
    ),
}


class Overview:
    """The figures of the overview page: ``/stats`` and ``/metrics`` as they are, the history summed in SQL."""

    def __init__(self, ctx: ProxyContext, *, by: GroupBy, scope: Literal["session", "all"]) -> None:
        self.by, self.scope = by, scope
        self.stats = ctx.stats.snapshot()
        registry = ctx.stats.metrics.registry
        self.overhead_sum = registry.get_sample_value("headroom_proxy_overhead_seconds_sum") or 0.0
        self.overhead_count = int(registry.get_sample_value("headroom_proxy_overhead_seconds_count") or 0)
        self.shadow = ctx.settings.shadow
        self.history_mode = ctx.settings.history
        self.history = ctx.history
        self.instance = ctx.instance if scope == "session" else None
        self.recent = self.history.figures(instance=self.instance, last=50)[::-1] if self.history else []
        self.count = self.cache_read = self.cache_write = self.retrievals = self.failed = 0
        self.p50 = self.p95 = 0.0
        self.actions: dict[str, int] = {}
        self.buckets: list[float] = []
        self.series: dict[str, list[int]] = {}
        self.per_client: dict[str, int] = {}
        self.step = 1
        if self.history is not None and self.history.count():  # no file yet: nothing recorded
            self._sums(self.history)
            self._series(self.history)

    def _sums(self, h: RequestHistory) -> None:
        where, args = h.where(self.instance)
        (row,) = h.query(
            "SELECT COUNT(*), COALESCE(SUM(cache_read), 0), COALESCE(SUM(cache_write), 0), "
            f"COALESCE(SUM(retrieve_calls), 0), COUNT(error) FROM requests {where}",
            args,
        )
        self.count, self.cache_read, self.cache_write, self.retrievals, self.failed = (int(v) for v in row)
        sql = f"SELECT action, COUNT(*) FROM requests {where} GROUP BY action ORDER BY action"
        self.actions = {(r[0] or "-"): int(r[1]) for r in h.query(sql, args)}
        where, args = h.where(self.instance, "api != 'passthrough'")
        latency = sorted(float(r[0]) for r in h.query(f"SELECT proxy_ms FROM requests {where}", args))
        if latency:
            self.p50, self.p95 = (latency[math.ceil(q * len(latency)) - 1] for q in (0.5, 0.95))

    def _series(self, h: RequestHistory) -> None:
        where, args = h.where(self.instance, "model != ''")
        first_ts = h.query(f"SELECT MIN(ts) FROM requests {where}", args)[0][0]
        if first_ts is None:
            return
        now = time.time()
        self.step = bucket_seconds(max(now - first_ts, 1.0))
        first = math.floor(first_ts / self.step) * self.step
        n = int((now - first) // self.step) + 1
        self.buckets = [first + i * self.step for i in range(n)]
        table, key, saved = _GROUPS[self.by]
        sql = f"SELECT CAST((ts - ?) / ? AS INTEGER) AS b, {key} AS k, SUM({saved}) FROM {table} {where} GROUP BY b, k"
        per: dict[str, list[int]] = defaultdict(lambda: [0] * n)
        totals: dict[str, int] = defaultdict(int)
        for b, k, v in h.query(sql, (first, self.step, *args)):
            per[str(k)][min(int(b), n - 1)] += int(v or 0)
            totals[str(k)] += int(v or 0)
        keep = sorted(totals, key=lambda k: -totals[k])[:_MAX_SERIES]
        self.series = {k: per[k] for k in keep}
        rest = [k for k in per if k not in keep]
        if rest:
            self.series["other"] = [sum(per[k][i] for k in rest) for i in range(n)]
        sql = f"SELECT {_CLIENT}, SUM(tokens_before - tokens_after) FROM requests {where} GROUP BY 1"
        self.per_client = {str(k): int(v) for k, v in h.query(sql, args)}


def overview(ctx: ProxyContext, *, by: GroupBy = "model", scope: Literal["session", "all"] = "session") -> Overview:
    """The overview's figures."""
    return Overview(ctx, by=by, scope=scope)


def _choice(request: Request, name: str, allowed: tuple[str, ...]) -> str:
    value = request.query_params.get(name, allowed[0])
    return value if value in allowed else allowed[0]


async def dashboard(ctx: ProxyContext, request: Request) -> object:
    """The overview page."""
    by = _choice(request, "by", ("model", "compressor", "client"))
    scope = _choice(request, "scope", ("session", "all"))
    return RawResponse(200, _HTML, overview_page(overview(ctx, by=by, scope=scope)).encode())  # type: ignore[arg-type]


def _row(ctx: ProxyContext, request: Request) -> dict[str, Any] | None:
    history = ctx.history
    return history.get(request.path_params["request_id"]) if history is not None else None


def _not_found(request: Request) -> RawResponse:
    rid = request.path_params["request_id"]
    body = (
        f"request {rid} is not in the history "
        "(it keeps the newest requests for a limited time; none with --history off)"
    )
    return RawResponse(404, _TEXT, body.encode())


async def request_page(ctx: ProxyContext, request: Request) -> object:
    """The explain view of one request."""
    row = _row(ctx, request)
    if row is None:
        return _not_found(request)
    return RawResponse(200, _HTML, explain_page(row).encode())


async def original(ctx: ProxyContext, request: Request) -> object:
    """A block's original text: from the history, else from the store by its ref."""
    row = _row(ctx, request)
    if row is None:
        return _not_found(request)
    n = request.path_params["block"]
    if not 0 <= n < len(row["blocks"]):
        return RawResponse(404, _TEXT, f"request {row['id']} has no block {n}".encode())
    block = row["blocks"][n]
    if "original" in block:
        return RawResponse(200, _TEXT, block["original"].encode("utf-8", "surrogatepass"))
    if block["ref"]:
        try:
            entry = ctx.store.get(block["ref"])
        except RefError as e:
            return RawResponse(410, _TEXT, f"the original of block {n} is gone from the store: {e}".encode())
        return RawResponse(200, _TEXT, entry.content.encode("utf-8", "surrogatepass"))
    return RawResponse(404, _TEXT, f"block {n} kept no text (--history figures) and has no ref".encode())


def dashboard_routes(ctx: ProxyContext) -> list[BaseRoute]:
    """The dashboard's routes, bound to ``ctx`` (they sit behind the same guard as every route)."""

    def bind(fn: Any) -> Any:
        async def endpoint(request: Request) -> Any:
            try:
                return await fn(ctx, request)
            except sqlite3.Error as e:  # a damaged or locked history file: say so, never a bare 500
                message = f"the request history cannot be read: {type(e).__name__}: {e}"
                return RawResponse(503, _TEXT, message.encode())

        return endpoint

    return [
        Route("/dashboard", bind(dashboard), methods=["GET", "HEAD"]),
        Route("/dashboard/requests/{request_id}", bind(request_page), methods=["GET", "HEAD"]),
        Route("/dashboard/requests/{request_id}/blocks/{block:int}/original", bind(original), methods=["GET"]),
    ]
