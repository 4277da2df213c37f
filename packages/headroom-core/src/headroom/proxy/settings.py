"""`ProxySettings`: everything `headroom proxy` can be told, as one frozen dataclass.

Reading the environment is the command line's job (`headroom.proxy.cli`); `ProxySettings()` holds
only defaults, so building an app never depends on where it runs.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal

from headroom.config import CompressOptions
from headroom.turns import RETRIEVE_ROUNDS

__all__ = [
    "DEFAULT_ANTHROPIC_URL",
    "DEFAULT_OPENAI_URL",
    "DEFAULT_OPENROUTER_URL",
    "BudgetPeriod",
    "HistoryMode",
    "ProxySettings",
    "is_loopback",
]

BudgetPeriod = Literal["hour", "day", "month"]
HistoryMode = Literal["full", "figures", "off"]

DEFAULT_ANTHROPIC_URL = "https://api.anthropic.com"
DEFAULT_OPENAI_URL = "https://api.openai.com"
DEFAULT_OPENROUTER_URL = "https://openrouter.ai/api"

BUILTIN_BACKENDS = ("auto", "anthropic", "openai", "openrouter", "azure", "bedrock", "vertex_ai")


def is_loopback(host: str) -> bool:
    """True for ``localhost``, ``127.0.0.0/8`` and ``::1`` (and their bracketed forms)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ProxySettings:
    """How the proxy listens, where it sends requests and what it does to them.

    Attributes:
        host: the address to bind. Anything but loopback requires ``token``.
        port: the port to bind.
        backend: where requests go: ``auto`` (Anthropic routes to Anthropic, OpenAI routes to
            OpenAI), ``anthropic``, ``openai``, ``openrouter``, ``azure``, ``bedrock``, ``vertex_ai``,
            or ``<entry point>/<target>`` for a backend another package registers under the
            ``headroom.proxy_backends`` entry-point group (``litellm/<provider>``).
        upstream_url: the base URL for single-URL backends (``openrouter``, ``azure``, and
            ``anthropic``/``openai`` when set; under ``auto`` both APIs go there); for
            ``bedrock``/``vertex_ai`` an endpoint override.
        anthropic_url: where Anthropic routes go with the direct backends.
        openai_url: where OpenAI routes go with the direct backends.
        region: the AWS region (``bedrock``) or Google Cloud location (``vertex_ai``).
        project: the Google Cloud project (``vertex_ai``).
        token: the proxy token clients must send (``x-headroom-token`` or
            ``Proxy-Authorization: Bearer``); required for a non-loopback ``host``.
        allowed_hosts: host names accepted in the ``Host`` header besides loopback ones (and
            ``host``) when no token is set; other names get 403, so a web page that rebinds its
            own name to 127.0.0.1 cannot reach the proxy.
        store: a store URL (``sqlite:///path``, ``memory://``, ``redis://...``); None means the
            default SQLite store under ``$HEADROOM_HOME``.
        log_path: a JSONL file that gets one line per request; None for no log.
        budget_usd: spend allowed per ``budget_period``; past it, model requests get 429.
        budget_period: ``hour``, ``day`` or ``month`` (calendar periods in UTC).
        compress: compress requests (off: the proxy only relays and counts).
        retrieve_rounds: how many times per client request the proxy answers ``headroom_retrieve``
            itself before it gives the model's turn back to the client.
        timeout: seconds to wait for an upstream byte (connect: at most 10 s).
        max_body_bytes: larger request bodies get 413.
        options: compression options (see `headroom.config.CompressOptions`).
        memory: offer the model ``memory_save`` / ``memory_search`` and answer them (`headroom.memory`).
        memory_url: a Postgres URL for the memories (several replicas); None: SQLite under ``$HEADROOM_HOME``.
        shadow: run the whole pipeline and record what would have been sent, but forward the
            client's original bytes (``/dashboard`` then shows projected savings).
        history: what the request history (``/dashboard``, ``headroom explain``) keeps: ``full``
            (figures and the texts of changed blocks), ``figures`` (no content at all) or ``off``.
        history_path: the history's SQLite file; None: ``$HEADROOM_HOME/history.sqlite3``.
        history_max_rows: requests kept in the history (the oldest go first).
        history_max_days: days a request stays in the history.
    """

    host: str = "127.0.0.1"
    port: int = 8787
    backend: str = "auto"
    upstream_url: str | None = None
    anthropic_url: str = DEFAULT_ANTHROPIC_URL
    openai_url: str = DEFAULT_OPENAI_URL
    region: str | None = None
    project: str | None = None
    token: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    store: str | None = None
    log_path: str | None = None
    budget_usd: float | None = None
    budget_period: BudgetPeriod = "day"
    compress: bool = True
    retrieve_rounds: int = RETRIEVE_ROUNDS
    timeout: float = 600.0
    max_body_bytes: int = 64 * 1024 * 1024
    options: CompressOptions = field(default_factory=CompressOptions)
    memory: bool = False
    memory_url: str | None = None
    shadow: bool = False
    history: HistoryMode = "full"
    history_path: str | None = None
    history_max_rows: int = 10_000
    history_max_days: float = 7.0

    def validate(self) -> None:
        """Raise ValueError naming the first setting that cannot work.

        Raises:
            ValueError: a non-loopback ``host`` without ``token``, ``retrieve_rounds`` below 1,
                a non-positive budget, timeout or body limit, or an unknown built-in backend name.
        """
        if not is_loopback(self.host) and not self.token:
            raise ValueError(
                f"binding {self.host} exposes the proxy beyond this machine: set a proxy token "
                "(--token or HEADROOM_PROXY_TOKEN); clients send it as the x-headroom-token header"
            )
        if self.retrieve_rounds < 1:
            raise ValueError(
                f"retrieve_rounds must be >= 1 (the proxy answers headroom_retrieve), got {self.retrieve_rounds}"
            )
        if self.budget_usd is not None and not self.budget_usd > 0:
            raise ValueError(f"budget must be a positive amount of USD, got {self.budget_usd}")
        if self.history_max_rows < 1 or not self.history_max_days > 0:
            raise ValueError("history_max_rows and history_max_days must be positive")
        if not self.timeout > 0 or self.max_body_bytes <= 0:
            raise ValueError("timeout and max_body_bytes must be positive")
        if "/" not in self.backend and self.backend not in BUILTIN_BACKENDS:
            raise ValueError(
                f"unknown backend {self.backend!r}: use one of {', '.join(BUILTIN_BACKENDS)} or NAME/TARGET"
            )
        if self.backend in ("azure",) and not self.upstream_url:
            raise ValueError("the azure backend needs --upstream-url https://<resource>.openai.azure.com/openai")
