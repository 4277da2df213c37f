"""`headroom learn`: turn failed tool calls of past sessions into lines of CLAUDE.md / AGENTS.md.

Dry run by default: prints the diff it would apply. ``--write`` applies it. Only the marked
section is ever touched; a second run over the same sessions changes nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from headroom.learn._analyze import find_learnings
from headroom.learn._section import diff, updated
from headroom.learn._sources import Session, claude_sessions, codex_sessions, read_claude, read_codex, read_proxy_log

__all__ = ["learn"]


def _read_any(path: Path) -> Session:
    """A transcript named on the command line: Codex logs start with a record holding ``payload``."""
    with open(path, encoding="utf-8", errors="replace") as f:
        first = f.readline()
    try:
        codex = "payload" in json.loads(first)
    except (ValueError, TypeError):
        codex = False
    return read_codex(path) if codex else read_claude(path)


def _read(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def _default_home(env: str, name: str) -> Path:
    return Path(os.environ.get(env) or Path.home() / name).expanduser()


@click.command("learn")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The project whose sessions are read and whose CLAUDE.md / AGENTS.md is updated.",
)
@click.option(
    "--claude-home",
    type=click.Path(path_type=Path),
    default=None,
    help="Claude Code's folder [default: $CLAUDE_CONFIG_DIR or ~/.claude].",
)
@click.option(
    "--codex-home",
    type=click.Path(path_type=Path),
    default=None,
    help="Codex's folder [default: $CODEX_HOME or ~/.codex].",
)
@click.option(
    "--proxy-log",
    type=click.Path(path_type=Path),
    default=None,
    help="The proxy's request log [default: $HEADROOM_HOME/proxy.jsonl when it exists].",
)
@click.option(
    "--transcript",
    "transcripts",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read this transcript (Claude Code or Codex) instead of finding the project's sessions. Repeatable.",
)
@click.option(
    "--file",
    "files",
    multiple=True,
    help="File to update, relative to the project [default: CLAUDE.md for Claude Code sessions, "
    "AGENTS.md for Codex sessions]. Repeatable.",
)
@click.option("--write", is_flag=True, help="Apply the change (without it, only print the diff).")
def learn(
    project: Path,
    claude_home: Path | None,
    codex_home: Path | None,
    proxy_log: Path | None,
    transcripts: tuple[Path, ...],
    files: tuple[str, ...],
    write: bool,
) -> None:
    """Find failed tool calls in past sessions and what worked instead; write them down as learnings."""
    if transcripts:
        sessions = [_read_any(p) for p in transcripts]
    else:
        sessions = [
            *claude_sessions(claude_home or _default_home("CLAUDE_CONFIG_DIR", ".claude"), project),
            *codex_sessions(codex_home or _default_home("CODEX_HOME", ".codex"), project),
        ]
    log = proxy_log or _default_home("HEADROOM_HOME", ".headroom") / "proxy.jsonl"
    if proxy_log is not None or (not transcripts and log.is_file()):
        sessions.append(read_proxy_log(log))
    learnings = [learning.text for learning in find_learnings(sessions)]
    kinds = {s.source for s in sessions}
    targets = list(files) or [n for k, n in (("claude", "CLAUDE.md"), ("codex", "AGENTS.md")) if k in kinds]
    counts = ", ".join(f"{sum(s.source == k for s in sessions)} {k}" for k in ("claude", "codex", "proxy"))
    click.echo(f"headroom learn: read {counts} session(s); {len(learnings)} learning(s)", err=True)
    for name in targets or (["CLAUDE.md"] if learnings else []):
        path = project / name
        before = _read(path) if path.exists() else ""
        try:
            after = updated(before, learnings)
        except ValueError as e:
            raise click.ClickException(f"{path}: {e}") from None
        if after == before:
            click.echo(f"{name}: up to date", err=True)
        elif write:
            with open(path, "w", encoding="utf-8", newline="") as f:  # line endings kept as they were
                f.write(after)
            click.echo(f"{name}: updated", err=True)
        else:
            click.echo(diff(name, before, after), nl=False)
