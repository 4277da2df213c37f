"""``headroom explain REQUEST_ID``: what the proxy did to one request, from its history, in the terminal."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from headroom.proxy._explain import diff_rows, marker_spans
from headroom.proxy._history import RequestHistory, default_history_path

__all__ = ["explain"]

_STYLE = {" ": "dim", "-": "red", "+": "green", "…": "yellow italic"}


def _summary(row: dict[str, Any]) -> str:
    saved = row["tokens_before"] - row["tokens_after"]
    when = datetime.fromtimestamp(row["ts"], timezone.utc).isoformat(timespec="seconds")
    lines = [
        f"[bold]{row['id']}[/]  {when}  {row['api']}  {row['model'] or '-'}",
        f"action: [bold]{row['action'] or '-'}[/]{'  (shadow: sent unchanged)' if row['shadow'] else ''}"
        f"  status: {row['status']}",
        f"tokens: {row['tokens_before']:,} → {row['tokens_after']:,}  saved {saved:,}"
        f"  (${row['saved_usd']:.6f} of input at list price)",
        f"proxy time: {row['proxy_ms']:.1f} ms  retrievals: {row['retrieve_calls']}"
        f"  cache read/write: {row['cache_read']:,}/{row['cache_write']:,}",
    ]
    if row["error"]:
        lines.append(f"[red]error: {row['error']}[/]")
    return "\n".join(lines)


def _render(row: dict[str, Any], *, show_diff: bool, max_lines: int) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    console.print(_summary(row))
    table = Table(title="blocks", show_lines=False)
    for col in ("msg", "kind", "type", "compressor", "status", "before", "after", "ref"):
        table.add_column(col, justify="right" if col in ("msg", "before", "after") else "left")
    for b in row["blocks"]:
        table.add_row(
            str(b["index"]),
            b["kind"],
            b["content_type"] or "-",
            b["compressor"] or "-",
            b["status"],
            f"{b['tokens_before']:,}",
            f"{b['tokens_after']:,}",
            b["ref"] or "-",
        )
    console.print(table)
    if not show_diff:
        return
    for b in row["blocks"]:
        if "original" not in b:
            continue
        console.rule(f"message {b['index']}: {b['content_type']} via {b['compressor']}")
        for n, (tag, line) in enumerate(diff_rows(b["original"], b["sent"])):
            if n == max_lines:
                console.print(Text(f"… (diff cut at {max_lines} lines; --lines N shows more)", style="yellow"))
                break
            text = Text(f"{tag} ", style=_STYLE[tag])
            for piece, is_marker in marker_spans(line):
                text.append(piece, style="bold black on yellow" if is_marker else _STYLE[tag])
            console.print(text, soft_wrap=True)
        if b["ref"]:
            console.print(Text(f"original: headroom retrieve {b['ref']}", style="cyan"))


@click.command("explain")
@click.argument("request_id")
@click.option(
    "--history",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The proxy's history file [default: $HEADROOM_HOME/history.sqlite3].",
)
@click.option("--no-diff", is_flag=True, help="Figures and blocks only.")
@click.option("--lines", "max_lines", type=int, default=200, show_default=True, help="Diff lines shown per block.")
def explain(request_id: str, path: Path | None, no_diff: bool, max_lines: int) -> None:
    """Show what the proxy did to REQUEST_ID (the x-headroom-request-id response header)."""
    try:
        import rich  # noqa: F401  # checked here so the error names the extra
    except ImportError:
        raise click.ClickException('`headroom explain` needs rich: pip install "headroom-core[proxy]"') from None
    history = RequestHistory(path or default_history_path())
    try:
        row = history.get(request_id.strip())
        kept = history.count()
    finally:
        history.close()
    if row is None:
        raise click.ClickException(
            f"request {request_id} is not in the history at {history.path} ({kept:,} requests kept); "
            "the proxy keeps the newest --history-rows for a week, and none with --history off"
        )
    _render(row, show_diff=not no_diff, max_lines=max_lines)
    if not no_diff and row["blocks"] and not any("original" in b for b in row["blocks"]):
        click.echo("(no block texts: the proxy ran with --history figures, or changed no block)", err=True)
