"""``headroom mcp install``: add (or update) Headroom's entry in a Claude Code or Cursor MCP config file.

Both clients read a JSON object with a top-level ``mcpServers`` map of name → server entry:

================  =========================  ==========================
client / scope    user (every project)       project (current folder)
================  =========================  ==========================
``claude``        ``~/.claude.json``          ``./.mcp.json``
``cursor``        ``~/.cursor/mcp.json``      ``./.cursor/mcp.json``
================  =========================  ==========================

Only ``mcpServers[name]`` changes; every other key of the file is kept. Installing the same entry
again writes nothing. An existing file is replaced atomically (through a temporary file in the same
folder, keeping its permissions), so a crash never leaves half a config behind.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = ["ConfigError", "InstallPlan", "apply", "config_path", "plan_install", "server_entry"]

ClientName = Literal["claude", "cursor"]
Scope = Literal["user", "project"]
Action = Literal["add", "update", "unchanged"]

_PATHS: dict[tuple[str, str], tuple[str, str]] = {
    # (client, scope) -> (base, relative path); base "home" or "cwd".
    ("claude", "user"): ("home", ".claude.json"),
    ("claude", "project"): ("cwd", ".mcp.json"),
    ("cursor", "user"): ("home", ".cursor/mcp.json"),
    ("cursor", "project"): ("cwd", ".cursor/mcp.json"),
}


class ConfigError(Exception):
    """The config file cannot be read, parsed or written; nothing was changed."""


def config_path(client: ClientName, scope: Scope, *, home: Path | None = None, cwd: Path | None = None) -> Path:
    """The config file a client reads for ``scope`` (see the module docstring)."""
    base, rel = _PATHS[(client, scope)]
    root = (home or Path.home()) if base == "home" else (cwd or Path.cwd())
    return root / rel


def server_entry(
    client: ClientName,
    *,
    command: str | None = None,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``mcpServers`` entry that starts ``headroom mcp`` over stdio.

    Args:
        client: ``"claude"`` entries carry ``"type": "stdio"`` as ``claude mcp add`` writes them.
        command: the program; default this Python interpreter (absolute), run as ``-m headroom mcp``,
            so the entry works without activating the environment Headroom is installed in.
        args: extra arguments after ``mcp`` (e.g. ``["--model", "claude-sonnet-4-5"]``).
        env: environment for the server (e.g. ``HEADROOM_HOME``); omitted when empty.
    """
    entry: dict[str, Any] = {"type": "stdio"} if client == "claude" else {}
    entry["command"] = command or os.path.abspath(sys.executable)
    entry["args"] = ["-m", "headroom", "mcp", *args]
    if env:
        entry["env"] = dict(env)
    return entry


@dataclass(frozen=True)
class InstallPlan:
    """What `apply` will do to one config file.

    Attributes:
        path: the config file.
        name: the server's name under ``mcpServers``.
        entry: the entry to write.
        action: ``"add"`` (no entry of that name yet), ``"update"`` (a different one is there) or
            ``"unchanged"`` (the same entry is already there; nothing will be written).
        previous: the entry being replaced, if any.
        text: the whole new file content.
    """

    path: Path
    name: str
    entry: dict[str, Any]
    action: Action
    previous: Any
    text: str


def _read_config(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read {path}: {e}") from None
    if not raw.strip():
        return {}
    try:
        config = json.loads(raw)
    except ValueError as e:
        raise ConfigError(f"{path} is not valid JSON ({e}); fix or move it, then run this again") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path} must hold a JSON object, not {type(config).__name__}")
    return config


def plan_install(path: Path, name: str, entry: Mapping[str, Any]) -> InstallPlan:
    """Read ``path`` and work out the change that puts ``entry`` under ``mcpServers[name]``.

    Raises:
        ConfigError: the file is unreadable, not JSON, or its ``mcpServers`` is not an object.
    """
    config = _read_config(path)
    servers = config.get("mcpServers", {})
    if not isinstance(servers, dict):
        raise ConfigError(f"'mcpServers' in {path} is a {type(servers).__name__}, expected an object")
    previous = servers.get(name)
    new_entry = dict(entry)
    action: Action = "add" if previous is None else ("unchanged" if previous == new_entry else "update")
    config["mcpServers"] = {**servers, name: new_entry}
    text = json.dumps(config, indent=2, ensure_ascii=False) + "\n"
    return InstallPlan(path=path, name=name, entry=new_entry, action=action, previous=previous, text=text)


def apply(plan: InstallPlan) -> None:
    """Write the plan's file (nothing when its action is ``"unchanged"``).

    A symlinked config is written through to its target. An existing file is replaced atomically and
    keeps its permission bits; a new one (and its folder) is created.

    Raises:
        ConfigError: the file or its folder cannot be written.
    """
    if plan.action == "unchanged":
        return
    target = plan.path.resolve() if plan.path.is_symlink() else plan.path
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            with open(target, "x", encoding="utf-8") as f:
                f.write(plan.text)
            return
        mode = target.stat().st_mode & 0o7777
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(plan.text)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as e:
        raise ConfigError(f"cannot write {target}: {e}") from None
