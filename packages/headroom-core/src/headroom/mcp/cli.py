"""``headroom mcp`` (serve over stdio) and ``headroom mcp install`` (register with Claude Code / Cursor)."""

from __future__ import annotations

import getpass
import importlib.util
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import click

from headroom.mcp import DEFAULT_MODEL, MCP_INSTALL_HINT, create_server
from headroom.mcp._install import ConfigError, apply, config_path, plan_install, server_entry
from headroom.store import HOME_ENV, Store, open_store

__all__ = ["install", "mcp"]

_STORE_HELP = "Store URL (sqlite:///path, redis://host:port/db); default: SQLite under $HEADROOM_HOME."


def _memory(enabled: bool) -> dict[str, Any]:
    """The memory store and this session's scope: the OS user, the folder the client started us in."""
    if not enabled:
        return {}
    from headroom.memory import Scope, default_memory_store

    scope = Scope(getpass.getuser(), str(Path.cwd()), uuid.uuid4().hex)
    return {"memory": default_memory_store(), "memory_scope": scope}


def _serve(model: str, store_url: str | None, memory: bool = False) -> None:
    store: Store | None = None
    try:
        if store_url:
            store = open_store(store_url)
        server = create_server(store, model=model, **_memory(memory))
    except (ImportError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    if sys.stdin.isatty():
        # stdout is the protocol channel, so the hint goes to stderr.
        click.echo(
            "headroom mcp: serving MCP over standard input/output. An MCP client starts this itself; "
            "see `headroom mcp install`. Ctrl-C stops it.",
            err=True,
        )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if store is not None:
            store.close()


@click.group("mcp", invoke_without_command=True)
@click.option("--model", default=DEFAULT_MODEL, show_default=True, help="Model whose tokenizer counts tokens.")
@click.option("--store", "store_url", default=None, help=_STORE_HELP)
@click.option(
    "--memory", is_flag=True, help="Add memory_save / memory_search (memories under $HEADROOM_HOME, per project)."
)
@click.pass_context
def mcp(ctx: click.Context, model: str, store_url: str | None, memory: bool) -> None:
    """Serve Headroom's tools over MCP on standard input/output.

    Tools: headroom_compress (content + optional query → compressed text and refs),
    headroom_retrieve (ref + optional query or line range → the original) and headroom_stats
    (session and lifetime savings). Originals go to the same store as the proxy's and
    `headroom compress`'s, so their markers redeem here. Needs headroom-core[mcp].
    """
    if ctx.invoked_subcommand is None:
        _serve(model, store_url, memory)


@mcp.command("install")
@click.option("--client", type=click.Choice(["claude", "cursor"]), default="claude", show_default=True)
@click.option(
    "--scope",
    type=click.Choice(["user", "project"]),
    default="user",
    show_default=True,
    help=(
        "user: every project (~/.claude.json, ~/.cursor/mcp.json); project: this folder (.mcp.json, .cursor/mcp.json)."
    ),
)
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write this file instead of the client's own (its top-level mcpServers gets the entry).",
)
@click.option("--name", default="headroom", show_default=True, help="The server's name in the config.")
@click.option("--model", default=None, help="Passed to `headroom mcp --model`.")
@click.option("--store", "store_url", default=None, help="Passed to `headroom mcp --store`.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
def install(
    client: str,
    scope: str,
    config: Path | None,
    name: str,
    model: str | None,
    store_url: str | None,
    dry_run: bool,
) -> None:
    """Add Headroom's MCP server to Claude Code's or Cursor's config file.

    The entry runs this Python interpreter as `python -m headroom mcp`, with HEADROOM_HOME when it
    is set, so the server shares the store of the proxy and the CLI. Only that entry is touched;
    running it again with the same options changes nothing. Restart the client afterwards.
    Claude Code rewrites ~/.claude.json while it runs: install while it is closed, or use
    `claude mcp add --scope user headroom -- python -m headroom mcp`.
    """
    path = config or config_path(client, scope)  # type: ignore[arg-type]  # click.Choice checked it
    args = [*(["--model", model] if model else []), *(["--store", store_url] if store_url else [])]
    home = os.environ.get(HOME_ENV)
    entry = server_entry(client, args=args, env={HOME_ENV: home} if home else None)  # type: ignore[arg-type]
    try:
        plan = plan_install(path, name, entry)
        if plan.action == "unchanged":
            click.echo(f"{name!r} is already installed in {path}; nothing to do.")
            return
        verb = plan.action
        shown = json.dumps({"mcpServers": {name: plan.entry}}, indent=2)
        if dry_run:
            click.echo(f"Would {verb} {name!r} in {path} (dry run, nothing written):\n{shown}")
            return
        apply(plan)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"{'Added' if verb == 'add' else 'Updated'} {name!r} in {path}:\n{shown}")
    if importlib.util.find_spec("mcp") is None:
        click.echo(
            f"warning: the MCP SDK is not installed here; the server will not start until you {MCP_INSTALL_HINT}",
            err=True,
        )
    click.echo("Restart the client to load it.")
