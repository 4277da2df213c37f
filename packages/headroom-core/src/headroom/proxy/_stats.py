"""What the proxy counts: Prometheus metrics (one registry per app), ``/stats`` totals, budget, JSONL log."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from headroom.models import ModelInfo, get_model
from headroom.proxy._usage import Usage
from headroom.proxy.settings import ProxySettings

if TYPE_CHECKING:
    from collections.abc import Callable

    from headroom.result import CompressResult

__all__ = ["ProxyStats", "RequestRecord"]

log = logging.getLogger("headroom.proxy")

_PERIOD_FORMATS = {"hour": "%Y-%m-%dT%H", "day": "%Y-%m-%d", "month": "%Y-%m"}


@dataclass
class RequestRecord:
    """One client request, filled in as it goes and recorded once it is over.

    Attributes mirror the JSONL log line; ``usage`` sums every upstream round.
    """

    request_id: str
    api: str
    model: str = ""
    stream: bool = False
    status: int = 0
    upstream_status: int | None = None
    tokens_before: int = 0
    tokens_after: int = 0
    usage: Usage = field(default_factory=Usage)
    usage_known: bool = False
    compressors: dict[str, list[int]] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)
    retrieve_calls: int = 0
    rounds: int = 0
    started: float = field(default_factory=time.perf_counter)
    proxy_seconds: float = 0.0
    error: str | None = None
    client: str = ""
    action: str = ""
    shadow: bool = False
    result: CompressResult | None = None

    @property
    def tokens_saved(self) -> int:
        """Tokens compression took out of the request."""
        return self.tokens_before - self.tokens_after


@dataclass
class _Totals:
    requests: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    cost_usd: float = 0.0
    saved_usd: float = 0.0

    def add(self, rec: RequestRecord, cost: float, saved: float) -> None:
        self.requests += 1
        self.tokens_before += rec.tokens_before
        self.tokens_after += rec.tokens_after
        self.cost_usd += cost
        self.saved_usd += saved

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "tokens_saved": self.tokens_before - self.tokens_after,
            "cost_usd": round(self.cost_usd, 6),
            "saved_usd": round(self.saved_usd, 6),
        }


class _Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("headroom_proxy_requests", "Client requests", ["api", "status"], registry=r)
        self.tokens = Counter("headroom_proxy_tokens", "Request tokens", ["model", "stage"], registry=r)
        self.usd = Counter("headroom_proxy_usd", "List-price USD", ["model", "kind"], registry=r)
        self.blocks = Counter("headroom_proxy_compressor_blocks", "Blocks compressed", ["compressor"], registry=r)
        self.block_saved = Counter("headroom_proxy_compressor_tokens_saved", "Tokens saved", ["compressor"], registry=r)
        self.retrieves = Counter("headroom_proxy_retrieve_calls", "headroom_retrieve calls answered", registry=r)
        self.errors = Counter("headroom_proxy_errors", "Failures", ["kind"], registry=r)
        self.overhead = Histogram(
            "headroom_proxy_overhead_seconds",
            "Proxy time before the upstream request (parse, compress)",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=r,
        )
        self.spent = Gauge("headroom_proxy_budget_spent_usd", "Spend in the current budget period", registry=r)


class ProxyStats:
    """Totals, metrics, budget and the request log of one proxy app."""

    def __init__(self, settings: ProxySettings) -> None:
        self.settings = settings
        self.metrics = _Metrics()
        self.started_at = time.time()
        self.totals = _Totals()
        self.by_model: dict[str, _Totals] = {}
        self.by_compressor: dict[str, dict[str, int]] = {}
        self.retrieve_calls = 0
        self.errors: dict[str, int] = {}
        self._models: dict[str, ModelInfo | None] = {}
        self.unpriced: set[str] = set()
        self._period = ""
        self.spent = 0.0
        self._log: IO[str] | None = None
        self._log_failed = False
        self.observers: list[Callable[[RequestRecord, float, float], None]] = []  # e.g. the request history

    # ---- money -------------------------------------------------------------------------------------

    def model_info(self, model: str) -> ModelInfo | None:
        """The registry's entry for ``model`` (looked up once per name)."""
        if model not in self._models:
            try:
                self._models[model] = get_model(model) if model else None
            except Exception as e:  # a broken override file must not take the proxy down
                log.warning("model registry lookup failed for %s: %s", model, e)
                self._models[model] = None
        return self._models[model]

    def money(self, rec: RequestRecord) -> tuple[float, float]:
        """(cost, saved) in USD at list price; cost is estimated from the request when usage is unknown.

        A model the registry cannot price counts 0 here and is listed in `unpriced` (``/stats``
        says so, the log line has ``null``), never shown as free.
        """
        info = self.model_info(rec.model)
        if info is None:
            if rec.model and rec.model not in self.unpriced:
                self.unpriced.add(rec.model)
                budget = " and is not counted against --budget" if self.settings.budget_usd is not None else ""
                log.warning(
                    "model %r is not in the model registry: its cost is unknown%s; add it to $HEADROOM_MODELS_FILE",
                    rec.model,
                    budget,
                )
            return 0.0, 0.0
        saved = max(rec.tokens_saved, 0) * info.input_per_mtok / 1e6
        # Without reported usage the cost is estimated from what went: in shadow mode, the original.
        u = rec.usage if rec.usage_known else Usage(input=rec.tokens_before if rec.shadow else rec.tokens_after)
        cost = info.cost(
            input_tokens=u.input,
            output_tokens=u.output,
            cache_read_tokens=u.cache_read,
            cache_write_tokens=u.cache_write,
        )
        return cost or 0.0, saved

    def _roll_period(self) -> None:
        key = datetime.now(timezone.utc).strftime(_PERIOD_FORMATS[self.settings.budget_period])
        if key != self._period:
            self._period, self.spent = key, 0.0

    def budget_left(self) -> float | None:
        """USD left in this period, or None without a budget."""
        if self.settings.budget_usd is None:
            return None
        self._roll_period()
        return self.settings.budget_usd - self.spent

    # ---- recording ---------------------------------------------------------------------------------

    def error(self, kind: str) -> None:
        """Count a failure of ``kind`` (``upstream``, ``compress``, ``client``...)."""
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.metrics.errors.labels(kind).inc()

    def record(self, rec: RequestRecord) -> None:
        """Count a finished request everywhere and append its log line."""
        cost, saved = self.money(rec)
        self._roll_period()
        self.spent += cost
        m = self.metrics
        m.requests.labels(rec.api, str(rec.status)).inc()
        m.overhead.observe(rec.proxy_seconds)
        m.spent.set(self.spent)
        if rec.model:
            self.totals.add(rec, cost, saved)
            self.by_model.setdefault(rec.model, _Totals()).add(rec, cost, saved)
            m.tokens.labels(rec.model, "before").inc(rec.tokens_before)
            m.tokens.labels(rec.model, "after").inc(rec.tokens_after)
            m.usd.labels(rec.model, "cost").inc(cost)
            m.usd.labels(rec.model, "saved").inc(saved)
        for name, (blocks, before, after) in rec.compressors.items():
            agg = self.by_compressor.setdefault(name, {"blocks": 0, "tokens_before": 0, "tokens_after": 0})
            agg["blocks"] += blocks
            agg["tokens_before"] += before
            agg["tokens_after"] += after
            m.blocks.labels(name).inc(blocks)
            m.block_saved.labels(name).inc(before - after)
        if rec.retrieve_calls:
            self.retrieve_calls += rec.retrieve_calls
            m.retrieves.inc(rec.retrieve_calls)
        self._write_log(rec, cost, saved)
        for observe in self.observers:
            observe(rec, cost, saved)

    def _write_log(self, rec: RequestRecord, cost: float, saved: float) -> None:
        path = self.settings.log_path
        if not path or self._log_failed:
            return
        priced = rec.model not in self.unpriced
        line = {
            "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "request_id": rec.request_id,
            "api": rec.api,
            "model": rec.model,
            "stream": rec.stream,
            "status": rec.status,
            "upstream_status": rec.upstream_status,
            "tokens_before": rec.tokens_before,
            "tokens_after": rec.tokens_after,
            "tokens_saved": rec.tokens_saved,
            "usage": {
                "input": rec.usage.input,
                "output": rec.usage.output,
                "cache_read": rec.usage.cache_read,
                "cache_write": rec.usage.cache_write,
            }
            if rec.usage_known
            else None,
            "cost_usd": round(cost, 8) if priced else None,
            "saved_usd": round(saved, 8) if priced else None,
            "priced_as": self._priced_as(rec.model),
            "compressors": {k: {"blocks": v[0], "tokens_saved": v[1] - v[2]} for k, v in rec.compressors.items()},
            "stages_ms": {k: round(v * 1000, 3) for k, v in rec.stages.items()},
            "retrieve_calls": rec.retrieve_calls,
            "rounds": rec.rounds,
            "proxy_ms": round(rec.proxy_seconds * 1000, 3),
            "total_ms": round((time.perf_counter() - rec.started) * 1000, 3),
            "error": rec.error,
        }
        try:
            if self._log is None:
                Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
                self._log = open(Path(path).expanduser(), "a", encoding="utf-8")  # noqa: SIM115  # kept open for the app's life
            self._log.write(json.dumps(line, ensure_ascii=False) + "\n")
            self._log.flush()
        except OSError as e:
            self._log_failed = True
            log.warning("cannot write the request log %s: %s (logging stops)", path, e)

    # ---- reports -----------------------------------------------------------------------------------

    def _priced_as(self, model: str) -> str | None:
        """The registry entry a model's money is counted at, when it is not the model itself."""
        info = self._models.get(model)
        return info.name if info is not None and info.by_family else None

    def snapshot(self) -> dict[str, Any]:
        """The ``/stats`` document."""
        left = self.budget_left()
        return {
            "uptime_seconds": round(time.time() - self.started_at, 3),
            **self.totals.as_dict(),
            "compression_ratio": round(
                (self.totals.tokens_before - self.totals.tokens_after) / self.totals.tokens_before, 4
            )
            if self.totals.tokens_before
            else 0.0,
            "retrieve_calls": self.retrieve_calls,
            "errors": dict(self.errors),
            "per_model": {
                k: {**v.as_dict(), "priced": k not in self.unpriced, "priced_as": self._priced_as(k)}
                for k, v in sorted(self.by_model.items())
            },
            "unpriced_models": sorted(self.unpriced),
            "per_compressor": {
                k: {**v, "tokens_saved": v["tokens_before"] - v["tokens_after"]}
                for k, v in sorted(self.by_compressor.items())
            },
            "budget": None
            if left is None
            else {
                "usd": self.settings.budget_usd,
                "period": self.settings.budget_period,
                "spent_usd": round(self.spent, 6),
                "left_usd": round(left, 6),
            },
        }

    def prometheus(self) -> bytes:
        """The ``/metrics`` text."""
        return generate_latest(self.metrics.registry)

    def close(self) -> None:
        """Close the log file."""
        if self._log is not None:
            self._log.close()
            self._log = None
