"""``headroom proxy`` and ``headroom wrap``: the click commands (loaded lazily by `headroom.cli`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from headroom.config import CompressOptions
from headroom.proxy._wrap import TOOLS, run_wrapped
from headroom.proxy.settings import DEFAULT_ANTHROPIC_URL, DEFAULT_OPENAI_URL, ProxySettings, is_loopback
from headroom.turns import RETRIEVE_ROUNDS

__all__ = ["proxy", "wrap"]

_REGION_ENV = {"bedrock": ("AWS_REGION", "AWS_DEFAULT_REGION"), "vertex_ai": ("CLOUD_ML_REGION", "GOOGLE_CLOUD_REGION")}


def _default_log() -> str:
    return str(Path(os.environ.get("HEADROOM_HOME") or "~/.headroom").expanduser() / "proxy.jsonl")


def _region(backend: str, region: str | None) -> str | None:
    for name in _REGION_ENV.get(backend, ()):
        region = region or os.environ.get(name)
    return region


@click.command("proxy")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="HEADROOM_HOST", help="Address to bind.")
@click.option("--port", default=8787, show_default=True, type=int, envvar="HEADROOM_PORT", help="Port to bind.")
@click.option(
    "--backend",
    default="auto",
    show_default=True,
    envvar="HEADROOM_BACKEND",
    help="auto, anthropic, openai, openrouter, azure, bedrock, vertex_ai, or NAME/TARGET (e.g. litellm/<provider>).",
)
@click.option("--upstream-url", envvar="HEADROOM_UPSTREAM_URL", help="Base URL for the backend (azure needs it).")
@click.option("--anthropic-url", default=DEFAULT_ANTHROPIC_URL, show_default=True, envvar="HEADROOM_ANTHROPIC_URL")
@click.option("--openai-url", default=DEFAULT_OPENAI_URL, show_default=True, envvar="HEADROOM_OPENAI_URL")
@click.option("--region", envvar="HEADROOM_REGION", help="AWS region (bedrock) or Vertex location (vertex_ai).")
@click.option("--project", envvar=["HEADROOM_PROJECT", "ANTHROPIC_VERTEX_PROJECT_ID"], help="Google Cloud project.")
@click.option(
    "--token", envvar="HEADROOM_PROXY_TOKEN", help="Token clients send as x-headroom-token (required off loopback)."
)
@click.option(
    "--allow-host",
    "allowed_hosts",
    multiple=True,
    envvar="HEADROOM_ALLOW_HOSTS",
    help="Host name clients may use besides loopback ones when no token is set (repeatable).",
)
@click.option("--store", envvar="HEADROOM_STORE", help="sqlite:///path, memory:// or redis://host:port/db.")
@click.option(
    "--log", "log_path", envvar="HEADROOM_PROXY_LOG", help="JSONL request log [default: $HEADROOM_HOME/proxy.jsonl]."
)
@click.option("--no-log", is_flag=True, help="Write no request log.")
@click.option("--budget", type=float, help="USD allowed per period; then model requests get 429.")
@click.option("--budget-period", type=click.Choice(["hour", "day", "month"]), default="day", show_default=True)
@click.option("--no-compress", is_flag=True, help="Relay and count only.")
@click.option(
    "--level",
    type=click.Choice(["safe", "balanced", "max"]),
    default="balanced",
    show_default=True,
    envvar="HEADROOM_LEVEL",
    help="How hard every compressor cuts: safe keeps more, max saves more.",
)
@click.option(
    "--retrieve-rounds",
    type=int,
    default=RETRIEVE_ROUNDS,
    show_default=True,
    help="headroom_retrieve rounds per request.",
)
@click.option("--timeout", type=float, default=600.0, show_default=True, help="Seconds to wait for an upstream byte.")
@click.option("--max-body-mb", type=float, default=64.0, show_default=True, help="Larger request bodies get 413.")
@click.option(
    "--memory", is_flag=True, help="Offer agents memory_save / memory_search (headroom.memory) and answer them."
)
@click.option(
    "--memory-url", default=None, help="Postgres URL for the memories (replicas); default SQLite in $HEADROOM_HOME."
)
@click.option("--shadow", is_flag=True, help="Run the pipeline and record what would be sent; forward the original.")
@click.option(
    "--history",
    type=click.Choice(["full", "figures", "off"]),
    default="full",
    show_default=True,
    envvar="HEADROOM_HISTORY",
    help="Request history for /dashboard and `headroom explain`: figures and changed blocks, figures only, or none.",
)
@click.option("--history-rows", type=int, default=10_000, show_default=True, help="Requests kept in the history.")
def proxy(
    host: str,
    port: int,
    backend: str,
    upstream_url: str | None,
    anthropic_url: str,
    openai_url: str,
    region: str | None,
    project: str | None,
    token: str | None,
    allowed_hosts: tuple[str, ...],
    store: str | None,
    log_path: str | None,
    no_log: bool,
    budget: float | None,
    budget_period: str,
    no_compress: bool,
    level: str,
    retrieve_rounds: int,
    timeout: float,
    max_body_mb: float,
    memory: bool,
    memory_url: str | None,
    shadow: bool,
    history: str,
    history_rows: int,
) -> None:
    """Run the compressing proxy (ANTHROPIC_BASE_URL=http://127.0.0.1:8787, OPENAI_BASE_URL=…/v1)."""
    settings = ProxySettings(
        host=host,
        port=port,
        backend=backend,
        upstream_url=upstream_url,
        anthropic_url=anthropic_url,
        openai_url=openai_url,
        region=_region(backend, region),
        project=project,
        token=token,
        allowed_hosts=allowed_hosts,
        store=store,
        log_path=None if no_log else (log_path or _default_log()),
        budget_usd=budget,
        budget_period=budget_period,  # type: ignore[arg-type]  # click.Choice checked it
        compress=not no_compress,
        options=CompressOptions(level=level),  # type: ignore[arg-type]  # click.Choice checked it
        retrieve_rounds=retrieve_rounds,
        timeout=timeout,
        max_body_bytes=int(max_body_mb * 1024 * 1024),
        memory=memory or bool(memory_url),
        memory_url=memory_url,
        shadow=shadow,
        history=history,  # type: ignore[arg-type]  # click.Choice checked it
        history_max_rows=history_rows,
    )
    try:
        settings.validate()
        from headroom.proxy.server import serve
    except (ValueError, ImportError) as e:
        raise click.ClickException(str(e)) from None
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown}:{port}"
    click.echo(f"headroom proxy on http://{shown}:{port} → backend {backend}", err=True)
    click.echo(f"  ANTHROPIC_BASE_URL={url} claude    OPENAI_BASE_URL={url}/v1 your-app", err=True)
    click.echo(f"  dashboard: {url}/dashboard", err=True)
    if shadow:
        click.echo("  shadow mode: the pipeline runs and is recorded; requests go upstream unchanged", err=True)
    if not is_loopback(host):
        click.echo("  clients must send the x-headroom-token header", err=True)
    if budget is not None:
        click.echo(
            f"  budget ${budget:g} per {budget_period} at registry list prices; a model the registry cannot price "
            "is not counted (a warning names it, /stats lists it under unpriced_models; add it to "
            "$HEADROOM_MODELS_FILE); newer versions of a known family count at that family's newest price",
            err=True,
        )
    try:
        serve(settings)
    except ValueError as e:
        raise click.ClickException(str(e)) from None


@click.command(
    "wrap",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("tool", type=click.Choice(sorted(TOOLS)))
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option("--command", "command", help="The executable to run instead of the tool's usual one.")
@click.option("--port", type=int, help="Port for a proxy this wrap starts [default: a free one].")
@click.option("--backend", help="Backend for a proxy this wrap starts (see `headroom proxy --help`).")
@click.option("--upstream-url", help="Upstream base URL for a proxy this wrap starts.")
def wrap(
    tool: str,
    args: tuple[str, ...],
    command: str | None,
    port: int | None,
    backend: str | None,
    upstream_url: str | None,
) -> None:
    """Run TOOL (claude, codex, aider, cursor, openclaw) with its base URL set to a shared local proxy.

    \b
    claude    ANTHROPIC_BASE_URL=http://127.0.0.1:PORT
    codex     -c openai_base_url="http://127.0.0.1:PORT/v1" (and OPENAI_BASE_URL)
    aider     OPENAI_API_BASE, OPENAI_BASE_URL (…/v1), ANTHROPIC_BASE_URL, ANTHROPIC_API_BASE
    cursor    OPENAI_BASE_URL (…/v1), ANTHROPIC_BASE_URL (and how to set Cursor's override)
    openclaw  ANTHROPIC_BASE_URL, OPENAI_BASE_URL (…/v1), HEADROOM_URL (its Headroom plugin)

    The proxy starts with the first wrapped tool and stops when the last one exits. Arguments
    after TOOL go to the tool: headroom wrap claude -- --model opus
    """
    proxy_args: list[str] = []
    if backend:
        proxy_args += ["--backend", backend]
    if upstream_url:
        proxy_args += ["--upstream-url", upstream_url]
    try:
        code = run_wrapped(
            tool, list(args), command=command, port=port, proxy_args=proxy_args, echo=lambda s: click.echo(s, err=True)
        )
    except FileNotFoundError as e:
        raise click.ClickException(
            f"cannot run {command or TOOLS[tool].command}: {e.strerror}; is it installed?"
        ) from None
    except RuntimeError as e:
        raise click.ClickException(str(e)) from None
    sys.exit(code)
