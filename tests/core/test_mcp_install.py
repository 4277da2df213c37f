"""`headroom mcp install`: writes Headroom's entry into Claude Code / Cursor config files, idempotently."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from headroom.cli import main
from headroom.mcp._install import config_path


def install(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["mcp", "install", *args])
    return result.exit_code, result.output


def claude_json(tmp_path: Path) -> Path:
    path = tmp_path / ".claude.json"
    path.write_text(
        json.dumps(
            {
                "numStartups": 41,
                "projects": {"/src/app": {"mcpServers": {"local-one": {"command": "x"}}}},
                "mcpServers": {"github": {"type": "stdio", "command": "npx", "args": ["-y", "gh-mcp"]}},
            },
            indent=2,
        )
    )
    return path


def test_install_adds_entry_and_keeps_everything_else(tmp_path: Path, headroom_home: Path) -> None:
    path = claude_json(tmp_path)
    code, out = install("--config", str(path))
    assert code == 0, out
    config = json.loads(path.read_text())
    assert config["numStartups"] == 41
    assert config["projects"] == {"/src/app": {"mcpServers": {"local-one": {"command": "x"}}}}
    assert config["mcpServers"]["github"] == {"type": "stdio", "command": "npx", "args": ["-y", "gh-mcp"]}
    entry = config["mcpServers"]["headroom"]
    assert entry == {
        "type": "stdio",
        "command": os.path.abspath(sys.executable),
        "args": ["-m", "headroom", "mcp"],
        "env": {"HEADROOM_HOME": str(headroom_home)},
    }
    assert "Added 'headroom'" in out and str(path) in out


def test_install_twice_changes_nothing(tmp_path: Path) -> None:
    path = claude_json(tmp_path)
    assert install("--config", str(path))[0] == 0
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    code, out = install("--config", str(path))
    assert code == 0 and "already installed" in out
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime


def test_changed_options_update_the_entry(tmp_path: Path) -> None:
    path = claude_json(tmp_path)
    install("--config", str(path))
    code, out = install("--config", str(path), "--model", "claude-sonnet-4-5")
    assert code == 0 and "Updated 'headroom'" in out
    entry = json.loads(path.read_text())["mcpServers"]["headroom"]
    assert entry["args"] == ["-m", "headroom", "mcp", "--model", "claude-sonnet-4-5"]
    assert list(json.loads(path.read_text())["mcpServers"]) == ["github", "headroom"]


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    path = claude_json(tmp_path)
    before = path.read_bytes()
    code, out = install("--config", str(path), "--dry-run")
    assert code == 0 and "Would add 'headroom'" in out and "dry run" in out
    assert '"-m",\n        "headroom",\n        "mcp"' in out  # shows the entry it would write
    assert path.read_bytes() == before
    fresh = tmp_path / "new" / "mcp.json"
    assert install("--config", str(fresh), "--dry-run")[0] == 0
    assert not fresh.exists() and not fresh.parent.exists()


def test_cursor_entry_and_new_file(tmp_path: Path) -> None:
    path = tmp_path / "cursor" / "mcp.json"
    code, out = install("--client", "cursor", "--config", str(path), "--name", "hr")
    assert code == 0, out
    config = json.loads(path.read_text())
    assert list(config) == ["mcpServers"]
    entry = config["mcpServers"]["hr"]
    assert "type" not in entry and entry["args"] == ["-m", "headroom", "mcp"]


def test_without_headroom_home_no_env_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEADROOM_HOME")
    path = tmp_path / ".mcp.json"
    assert install("--config", str(path), "--store", "redis://127.0.0.1:6379/0")[0] == 0
    entry = json.loads(path.read_text())["mcpServers"]["headroom"]
    assert "env" not in entry
    assert entry["args"] == ["-m", "headroom", "mcp", "--store", "redis://127.0.0.1:6379/0"]


def test_default_paths_per_client_and_scope(tmp_path: Path) -> None:
    home, cwd = tmp_path / "home", tmp_path / "proj"
    assert config_path("claude", "user", home=home, cwd=cwd) == home / ".claude.json"
    assert config_path("claude", "project", home=home, cwd=cwd) == cwd / ".mcp.json"
    assert config_path("cursor", "user", home=home, cwd=cwd) == home / ".cursor" / "mcp.json"
    assert config_path("cursor", "project", home=home, cwd=cwd) == cwd / ".cursor" / "mcp.json"


def test_project_scope_writes_in_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert install("--scope", "project")[0] == 0
    assert install("--client", "cursor", "--scope", "project")[0] == 0
    assert install("--client", "cursor")[0] == 0
    assert "headroom" in json.loads((tmp_path / ".mcp.json").read_text())["mcpServers"]
    assert "headroom" in json.loads((tmp_path / ".cursor" / "mcp.json").read_text())["mcpServers"]
    assert "headroom" in json.loads((tmp_path / "home" / ".cursor" / "mcp.json").read_text())["mcpServers"]


def test_bad_config_is_reported_and_left_alone(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"mcpServers": {')
    code, out = install("--config", str(broken))
    assert code != 0 and "not valid JSON" in out and str(broken) in out
    assert broken.read_text() == '{"mcpServers": {'
    odd = tmp_path / "odd.json"
    odd.write_text('{"mcpServers": ["not", "an", "object"]}')
    code, out = install("--config", str(odd))
    assert code != 0 and "'mcpServers'" in out
    listing = tmp_path / "list.json"
    listing.write_text("[]")
    assert install("--config", str(listing))[0] != 0


def test_permissions_and_symlinks_are_kept(tmp_path: Path) -> None:
    real = claude_json(tmp_path)
    real.chmod(0o600)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert install("--config", str(link))[0] == 0
    assert link.is_symlink()  # written through, not replaced by a plain file
    assert "headroom" in json.loads(real.read_text())["mcpServers"]
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_help_lists_install() -> None:
    out = subprocess.run([sys.executable, "-m", "headroom", "mcp", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "install" in out.stdout and "standard input/output" in out.stdout
    out = subprocess.run([sys.executable, "-m", "headroom", "mcp", "install", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--dry-run" in out.stdout and "--client [claude|cursor]" in out.stdout
