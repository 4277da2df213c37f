"""The ``headroom`` command line: ``compress``, ``retrieve``, ``version``."""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

import click

from headroom import __version__
from headroom.api import compress, retrieve
from headroom.result import CompressResult
from headroom.store import RefError

DEFAULT_MODEL = "gpt-4o"


def _read_text(source: str) -> str:
    data = sys.stdin.buffer.read() if source == "-" else _read_file(source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        where = "standard input" if source == "-" else source
        raise click.ClickException(
            f"{where} is not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); "
            "convert it first, e.g. with iconv"
        ) from None


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise click.ClickException(f"cannot read {path}: {e.strerror}") from None


def _savings_line(result: CompressResult) -> str:
    refs = f" · refs: {', '.join(result.refs)}" if result.refs else ""
    kinds = sorted({b.content_type for b in result.blocks if b.content_type})
    return (
        f"headroom: {result.tokens_before:,} → {result.tokens_after:,} tokens "
        f"(saved {result.tokens_saved:,}, {result.compression_ratio:.0%}) · {'/'.join(kinds) or 'no blocks'}"
        f" · {result.tokenizer}{refs}"
    )


def _load_messages(text: str) -> tuple[Any, str | None]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise click.ClickException(f"--messages expects a JSON message list: {e}") from None
    if isinstance(value, dict):
        for key in ("messages", "input"):
            if isinstance(value.get(key), list):
                return value[key], value.get("system")
        raise click.ClickException("--messages expects a JSON list, or an object with 'messages' or 'input'")
    if not isinstance(value, list):
        raise click.ClickException("--messages expects a JSON list of messages")
    return value, None


# Commands whose modules pull in optional extras are imported only when they run.
LAZY_COMMANDS = {
    "proxy": ("headroom.proxy.cli", "proxy", "Run the compressing proxy (needs headroom-core[proxy])."),
    "wrap": ("headroom.proxy.cli", "wrap", "Run a coding tool (claude, codex, aider, ...) through the proxy."),
    "explain": ("headroom.proxy.explain", "explain", "Show what the proxy did to one request (x-headroom-request-id)."),
    "mcp": ("headroom.mcp.cli", "mcp", "Serve Headroom's tools over MCP (needs headroom-core[mcp])."),
    "bench": ("headroom.bench.cli", "bench", "Benchmark compression on a folder of cases."),
    "doctor": ("headroom.ml.doctor", "doctor", "Check the optional ML backend: configured, loading or ready."),
    "learn": ("headroom.learn.cli", "learn", "Write learnings from failed tool calls of past sessions into CLAUDE.md."),
    "evals": ("headroom.evals.cli", "evals", "Accuracy on original vs compressed context, real model (needs [evals])."),
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Eager and lazy command names, sorted."""
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, importing its module on first use."""
        if cmd_name not in LAZY_COMMANDS:
            return super().get_command(ctx, cmd_name)
        module_name, attr, help_text = LAZY_COMMANDS[cmd_name]
        if ctx.resilient_parsing or "--help" in sys.argv[1:2]:  # `headroom --help` lists without importing
            return click.Command(cmd_name, help=help_text, short_help=help_text)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            raise click.ClickException(f"`headroom {cmd_name}` is not available: {e}") from None
        command = getattr(module, attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Headroom: compress what an LLM reads; every original stays retrievable."""


@main.command("compress")
@click.argument("source", metavar="FILE|-")
@click.option("--messages", "as_messages", is_flag=True, help="SOURCE is a JSON message list (or request body).")
@click.option("--model", default=DEFAULT_MODEL, show_default=True, help="Model the content is for.")
@click.option("--query", default=None, help="What the task is about; relevant content is kept.")
@click.option("--format", "fmt", type=click.Choice(["openai", "anthropic", "responses"]), default=None)
def compress_cmd(source: str, as_messages: bool, model: str, query: str | None, fmt: str | None) -> None:
    """Compress a tool output (or, with --messages, a message list) and print it.

    The savings line goes to standard error; originals go to the default store
    ($HEADROOM_HOME, default ~/.headroom), so `headroom retrieve REF` brings them back.
    """
    text = _read_text(source)
    try:
        if as_messages:
            messages, system = _load_messages(text)
            result = compress(messages, model, format=fmt, system=system, query=query)  # type: ignore[arg-type]
            click.echo(json.dumps(result.messages, ensure_ascii=False, indent=2))
        else:
            tool_output = [{"role": "tool", "tool_call_id": "headroom-cli", "content": text}]
            result = compress(tool_output, model, format="openai", query=query or "")
            click.echo(result.messages[0]["content"], nl=not text.endswith("\n"))
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    click.echo(_savings_line(result), err=True)


@main.command("retrieve")
@click.argument("ref")
@click.option("--query", default=None, help="Only lines/rows containing these words.")
@click.option("--lines", default=None, help="A line range such as 120-180.")
def retrieve_cmd(ref: str, query: str | None, lines: str | None) -> None:
    """Print the original behind REF (from the default store)."""
    try:
        click.echo(retrieve(ref, query=query, lines=lines), nl=False)
    except (RefError, ValueError) as e:
        raise click.ClickException(str(e)) from None


@main.command("version")
def version_cmd() -> None:
    """Print Headroom's version."""
    click.echo(f"headroom {__version__}")
