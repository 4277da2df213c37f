"""Reading past sessions: Claude Code transcripts, Codex session logs and the proxy's request log.

Each reader turns one file into a `Session`: the tool calls in order, each with its input, its
output and whether it failed. Lines a reader does not understand are skipped, never fatal: the
formats belong to the clients and grow new record types often.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Call", "Session", "claude_sessions", "codex_sessions", "read_claude", "read_codex", "read_proxy_log"]

SHELL_TOOLS = frozenset({"Bash", "exec_command", "shell", "local_shell", "container.exec"})
_EXIT = re.compile(r"(?:Process exited with code|Exit code:?)\s*(-?\d+)")
_CODEX_HEADER = re.compile(r"^(Chunk ID|Wall time|Process exited with code|Original token count|Output):?.*$")


@dataclass(frozen=True)
class Call:
    """One tool call and what came back.

    Attributes:
        tool: the tool's name (``Bash``, ``exec_command``, ``Edit``, or ``model`` for a proxy request).
        intent: what was asked: the shell command, or the input as compact JSON.
        output: the result as the model saw it (for the proxy log, the error).
        failed: the client marked it an error, or the command exited non-zero.
        exit_code: the shell command's exit status, when known.
    """

    tool: str
    intent: str
    output: str
    failed: bool
    exit_code: int | None = None

    @property
    def shell(self) -> bool:
        """Whether the call ran a shell command."""
        return self.tool in SHELL_TOOLS


@dataclass
class Session:
    """The tool calls of one transcript, in order, and the folder it ran in."""

    source: str
    path: Path
    cwd: str | None
    calls: list[Call] = field(default_factory=list)


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict):
                yield item


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(_text(c.get("text", "")) if isinstance(c, dict) else _text(c) for c in content)
    return ""


def _intent(tool: str, args: object) -> str:
    if isinstance(args, dict):
        for key in ("command", "cmd"):
            value = args.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return " ".join(value[2:] if value[:2] in (["bash", "-lc"], ["/bin/bash", "-lc"]) else value)
    return json.dumps(args, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def read_claude(path: Path) -> Session:
    """A Claude Code transcript (``~/.claude/projects/<project>/<session>.jsonl``)."""
    session = Session("claude", path, None)
    pending: dict[str, tuple[str, str]] = {}
    for item in _lines(path):
        session.cwd = session.cwd or (item.get("cwd") if isinstance(item.get("cwd"), str) else None)
        message = item.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for block in content:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_use" and isinstance(block.get("name"), str):
                pending[str(block.get("id"))] = (block["name"], _intent(block["name"], block.get("input")))
            elif block.get("type") == "tool_result" and str(block.get("tool_use_id")) in pending:
                tool, intent = pending.pop(str(block.get("tool_use_id")))
                output = _text(block.get("content"))
                code = _EXIT.search(output[:200])
                exit_code = (
                    int(code.group(1)) if code else (0 if tool in SHELL_TOOLS and not block.get("is_error") else None)
                )
                session.calls.append(Call(tool, intent, output, bool(block.get("is_error")), exit_code))
    return session


def _codex_output(raw: object) -> tuple[str, int | None]:
    """A Codex tool output's text and exit code (plain text with a header, or older JSON)."""
    text = _text(raw)
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and "output" in data:
        meta = data.get("metadata")
        code = meta.get("exit_code") if isinstance(meta, dict) else data.get("exit_code")
        return _text(data["output"]), code if isinstance(code, int) else None
    found = _EXIT.search(text)
    body = "\n".join(line for line in text.splitlines() if not _CODEX_HEADER.match(line))
    return body.strip("\n"), int(found.group(1)) if found else None


def read_codex(path: Path) -> Session:
    """A Codex session log (``~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl``)."""
    session = Session("codex", path, None)
    pending: dict[str, tuple[str, str]] = {}
    for item in _lines(path):
        payload = item.get("payload")
        if not isinstance(payload, dict):
            continue
        if item.get("type") == "session_meta" and isinstance(payload.get("cwd"), str):
            session.cwd = payload["cwd"]
        kind = payload.get("type")
        if kind in ("function_call", "custom_tool_call", "local_shell_call") and item.get("type") == "response_item":
            name = str(payload.get("name") or "local_shell")
            raw = payload.get("arguments", payload.get("input", payload.get("action")))
            try:
                args = json.loads(raw) if isinstance(raw, str) and kind == "function_call" else raw
            except ValueError:
                args = raw
            pending[str(payload.get("call_id"))] = (name, _intent(name, args))
        elif kind in ("function_call_output", "custom_tool_call_output") and str(payload.get("call_id")) in pending:
            tool, intent = pending.pop(str(payload.get("call_id")))
            output, code = _codex_output(payload.get("output"))
            failed = code not in (None, 0) or (code is None and "command not found" in output)
            session.calls.append(Call(tool, intent, output, failed, code))
    return session


def read_proxy_log(path: Path) -> Session:
    """The proxy's request log (``$HEADROOM_HOME/proxy.jsonl``): each request as a call of ``model``."""
    session = Session("proxy", path, None)
    for item in _lines(path):
        model, status = item.get("model"), item.get("upstream_status") or item.get("status")
        if not isinstance(model, str) or not isinstance(status, int):
            continue
        failed = status >= 400 or bool(item.get("error"))
        session.calls.append(Call("model", model, str(item.get("error") or f"status {status}"), failed, None))
    return session


def _same_folder(a: str | None, b: Path) -> bool:
    return a is not None and Path(a).expanduser().resolve() == b.resolve()


def claude_sessions(home: Path, project: Path) -> list[Session]:
    """Claude Code transcripts of ``project`` under ``home`` (``~/.claude``).

    Claude Code names a project's folder after its path (every character but letters and digits
    turned into ``-``); when no folder has that name, every project folder is checked, since the
    ``cwd`` recorded in each transcript is what decides.
    """
    folder = home / "projects" / re.sub(r"[^A-Za-z0-9]", "-", str(project.resolve()))
    paths = sorted(folder.glob("*.jsonl")) if folder.is_dir() else sorted((home / "projects").glob("*/*.jsonl"))
    return [read_claude(p) for p in paths if _first_cwd(p, project)]


def _first_cwd(path: Path, project: Path) -> bool:
    """Whether the first record of ``path`` that names a ``cwd`` names ``project``."""
    for item in _lines(path):
        cwd = item.get("cwd")
        if isinstance(cwd, str):
            return _same_folder(cwd, project)
    return False


def codex_sessions(home: Path, project: Path) -> list[Session]:
    """Codex sessions of ``project`` under ``home`` (``~/.codex``)."""
    return [read_codex(p) for p in sorted((home / "sessions").glob("**/*.jsonl")) if _codex_cwd(p, project)]


def _codex_cwd(path: Path, project: Path) -> bool:
    """Whether the session's first record (``session_meta``) names ``project``; reads only that far."""
    for item in _lines(path):
        payload = item.get("payload")
        return isinstance(payload, dict) and _same_folder(payload.get("cwd"), project)
    return False
