"""`headroom wrap`: a fake tool executable runs against a proxy the wrap starts, shares and stops."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TOOL = """#!{python}
import json, os, sys, time, urllib.request
names = ["ANTHROPIC_BASE_URL", "OPENAI_BASE_URL", "OPENAI_API_BASE", "ANTHROPIC_API_BASE"]
seen = {{k: os.environ[k] for k in names if k in os.environ}}
base = seen.get("ANTHROPIC_BASE_URL") or seen["OPENAI_BASE_URL"][:-3]
seen["health"] = json.load(urllib.request.urlopen(base + "/health"))["status"]
seen["args"] = sys.argv[1:]
out = os.environ["TOOL_OUT"]
open(out, "w").write(json.dumps(seen))
while os.environ.get("TOOL_WAIT") and not os.path.exists(os.environ["TOOL_WAIT"]):
    time.sleep(0.05)
sys.exit(int(os.environ.get("TOOL_EXIT", "0")))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=1) as r:
            return bool(r.status == 200)
    except OSError:
        return False


@pytest.fixture
def tools(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("claude", "codex", "aider"):
        exe = bin_dir / name
        exe.write_text(TOOL.format(python=sys.executable))
        exe.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HEADROOM_HOME": str(tmp_path / "home")}


def wrap(env: dict[str, str], *args: str, **extra: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "headroom", "wrap", *args]
    return subprocess.Popen(cmd, env={**env, **extra}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_wrap_claude_sets_the_base_url_and_stops_the_proxy(tools: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "claude.json"
    proc = wrap(tools, "--port", str(port), "claude", "--model", "opus", TOOL_OUT=str(out), TOOL_EXIT="3")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err.decode()
    seen = json.loads(out.read_text())
    assert seen == {"ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}", "health": "ok", "args": ["--model", "opus"]}
    assert f"ANTHROPIC_BASE_URL=http://127.0.0.1:{port}" in err.decode()
    assert not up(f"http://127.0.0.1:{port}")
    assert not (Path(tools["HEADROOM_HOME"]) / "wrap" / "proxy.json").exists()


def test_two_wraps_share_one_proxy_until_the_last_exits(tools: dict[str, str], tmp_path: Path) -> None:
    flag = tmp_path / "release"
    first_out, second_out = tmp_path / "codex.json", tmp_path / "aider.json"
    first = wrap(tools, "--port", str(free_port()), "codex", TOOL_OUT=str(first_out), TOOL_WAIT=str(flag))
    deadline = time.monotonic() + 60
    while not first_out.exists():
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()[1].decode()
        time.sleep(0.05)
    second = wrap(tools, "aider", TOOL_OUT=str(second_out))
    second.communicate(timeout=60)
    a, b = json.loads(first_out.read_text()), json.loads(second_out.read_text())
    url = a["OPENAI_BASE_URL"][: -len("/v1")]
    # Codex 0.171 reads its base URL from config only: the wrap passes it with -c before any argument.
    assert a == {"OPENAI_BASE_URL": f"{url}/v1", "health": "ok", "args": ["-c", f'openai_base_url="{url}/v1"']}
    assert b["OPENAI_API_BASE"] == b["OPENAI_BASE_URL"] == f"{url}/v1"
    assert b["ANTHROPIC_BASE_URL"] == b["ANTHROPIC_API_BASE"] == url
    assert up(url)  # the first wrap still runs, so the proxy does too
    flag.write_text("go")
    first.communicate(timeout=60)
    assert first.returncode == 0
    assert not up(url)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_to_the_wrapper_stops_the_tool_and_the_proxy(
    tools: dict[str, str], tmp_path: Path, signum: signal.Signals
) -> None:
    out, never = tmp_path / "claude.json", tmp_path / "never"
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "headroom", "wrap", "--port", str(port), "claude"],
        env={**tools, "TOOL_OUT": str(out), "TOOL_WAIT": str(never)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    deadline = time.monotonic() + 60
    while not out.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[1].decode()
        time.sleep(0.05)
    assert up(f"http://127.0.0.1:{port}")
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)  # Ctrl+C: the terminal signals the whole group; the tool exits on it
    else:
        proc.send_signal(signum)  # to the wrapper alone (a service manager, a closed terminal)
    proc.communicate(timeout=60)
    assert not up(f"http://127.0.0.1:{port}")
    assert not (Path(tools["HEADROOM_HOME"]) / "wrap" / "proxy.json").exists()


def test_missing_tool_is_a_clear_error(tools: dict[str, str]) -> None:
    proc = wrap(tools, "--port", str(free_port()), "--command", "no-such-tool-xyz", "claude")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "no-such-tool-xyz" in err.decode()
