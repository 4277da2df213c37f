"""Drive the real Claude Code and Codex CLIs through Headroom against a scripted model server.

The CLIs come from npm, pinned in ``tests/clients/package.json`` (``scripts/test.sh`` runs ``npm ci``
there). Each run: `FakeUpstream` answers the client's first model request with a call of the client's
own shell tool running ``pytest -v`` on a small project with three failing tests (a real ~27k-character
log), then a text answer. What the upstream received tells whether Headroom compressed it, kept the
failures inline and left the tools list alone; what the client printed tells whether the loop completed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headroom import SQLiteStore, find_refs, retrieve
from headroom.formats import get_format
from headroom.testing import FakeUpstream, RecordedRequest, Reply

CLIENTS = Path(__file__).resolve().parents[1] / "clients" / "node_modules" / ".bin"
QUESTION = "Why do the tests fail?"
ANSWER = "Three tests fail: a discount above the policy limit, a rounding error and a missing module."
# Lines of the log that must reach the model inline: the failing test's error line and the summary.
TRACEBACK_LINE = "E           ValueError: discount 0.6 above policy limit 0.5"
SUMMARY = "3 failed, 304 passed"

SHOP_TESTS = """import pytest

PRICES = {f"sku-{i}": round(3.5 + i * 1.25, 2) for i in range(300)}


def total(items, discount=0.0):
    if discount > 0.5:
        raise ValueError(f"discount {discount} above policy limit 0.5")
    return round(sum(PRICES[s] * q for s, q in items) * (1 - discount), 2)


@pytest.mark.parametrize("sku", sorted(PRICES))
def test_single_item(sku):
    assert total([(sku, 1)]) == PRICES[sku]


@pytest.mark.parametrize("discount", [0.0, 0.1, 0.25, 0.5, 0.6])
def test_discount(discount):
    assert total([("sku-1", 2)], discount) <= PRICES["sku-1"] * 2


def test_rounding():
    assert total([("sku-3", 3)], 0.1) == 21.26


def test_import_payments():
    import shop_payments  # noqa: F401
"""


def executable(name: str) -> str:
    """The pinned CLI; a missing one fails the test with what to run (it is never skipped)."""
    exe = CLIENTS / name
    if not exe.exists():
        raise AssertionError(f"{exe} is missing: run `npm ci --prefix tests/clients` (scripts/test.sh does)")
    return str(exe)


def make_project(root: Path) -> str:
    """A project with 307 tests, 3 failing; returns the shell command that runs them verbosely."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "test_shop.py").write_text(SHOP_TESTS)
    # Without plugin autoload the run takes ~1 s instead of ~3 s, so a busy machine does not push it past
    # the clients' own time limits (both cut or background a command that runs long).
    pytest = f"PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {sys.executable} -m pytest -v -p no:cacheprovider"
    return f"cd {root} && {pytest} test_shop.py"


def first_turn(client: str, command: str) -> Reply:
    """The model's first answer: run ``command`` with the client's own shell tool."""
    if client.startswith("claude"):
        return Reply.call("Bash", {"command": command, "description": "Run the test suite"})
    if client == "codex":  # the default model's freeform `exec` tool runs JavaScript that calls the shell
        args = f"{{cmd: {json.dumps(command)}, max_output_tokens: 20000, yield_time_ms: 30000}}"
        return Reply.custom("exec", f"const r = await tools.exec_command({args});\ntext(r);")
    # codex -m gpt-5.1-codex calls exec_command itself; 30 s before it yields a partial output on a busy machine
    return Reply.call("exec_command", {"cmd": command, "max_output_tokens": 20000, "yield_time_ms": 30000})


@dataclass
class Run:
    """What one client run left behind."""

    returncode: int
    stdout: str
    stderr: str
    requests: list[RecordedRequest]
    home: Path
    """The proxy's ``HEADROOM_HOME``: its store (originals) and its request log."""

    @property
    def model_requests(self) -> list[RecordedRequest]:
        """Requests that asked for an answer (Codex's warm-up, ``generate: false``, left out)."""
        return [
            r
            for r in self.requests
            if r.method in ("POST", "WEBSOCKET")
            and isinstance(r.json, dict)
            and r.json.get("generate") is not False
            and not r.path.endswith("/count_tokens")
        ]

    @property
    def log(self) -> list[dict[str, Any]]:
        """The proxy's request log, one dict per request."""
        path = self.home / "proxy.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def tool_output(self) -> tuple[str, str]:
        """(the shell output as the upstream got it, the original behind its marker, from the proxy's store)."""
        last = self.model_requests[-1].json
        fmt = "anthropic" if "messages" in last else "responses"
        slots = get_format(fmt).slots(last["messages" if fmt == "anthropic" else "input"])
        texts = [s.text for s in slots if s.kind == "tool_result" and find_refs(s.text)]
        assert texts, "no compressed tool output reached the upstream"
        sent = max(texts, key=len)
        store = SQLiteStore(self.home / "store.sqlite3")
        try:
            return sent, retrieve(find_refs(sent)[0], store=store)
        finally:
            store.close()


def wait_warm(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the proxy exited at start-up"
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                if json.loads(r.read()).get("warm"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("the proxy did not warm up in time")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def proxy_process(upstream: str, home: Path) -> Iterator[str]:
    """``headroom proxy`` as users start it, in front of ``upstream``; yields its URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "headroom", "proxy", "--port", str(port), "--upstream-url", upstream]
    env = {**os.environ, "HEADROOM_HOME": str(home)}
    with open(home / "proxy.out", "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_warm(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


def client_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "OPENAI_", "PYTEST_"))}
    return {
        **env,
        "HOME": str(home),
        "CODEX_HOME": str(home),
        "HEADROOM_HOME": str(home / "headroom"),
        "ANTHROPIC_API_KEY": "sk-ant-fake-key",
        "OPENAI_API_KEY": "sk-fake-key",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        # pytest sizes its lines to COLUMNS: wider lines push the failures past what Claude Code keeps
        # of a long output (it cuts the middle), so the log is pinned to a terminal's usual 80.
        "COLUMNS": "80",
        "DISABLE_AUTOUPDATER": "1",
    }


def client_args(client: str) -> list[str]:
    """The client's own arguments for one non-interactive question."""
    if client.startswith("claude"):  # as root Claude Code refuses --dangerously-skip-permissions
        only_bash = ["--tools", "Bash"] if client == "claude-bash" else []
        return ["-p", QUESTION, "--allowedTools", "Bash", *only_bash]
    model = ["-m", "gpt-5.1-codex"] if client == "codex-5.1" else []
    return ["exec", "--skip-git-repo-check", "-s", "danger-full-access", *model, QUESTION]


def run_client(client: str, tmp: Path, *, wrap: bool) -> Run:
    """Run ``client`` (``claude``, ``claude-bash``, ``codex``, ``codex-5.1``) through the proxy or ``wrap``."""
    home = tmp / "home"
    headroom_home = home / "headroom"
    headroom_home.mkdir(parents=True, exist_ok=True)
    command = make_project(tmp / "shop")
    tool = "claude" if client.startswith("claude") else "codex"
    exe = executable(tool)
    env = client_env(home)
    with FakeUpstream() as up:
        up.script(first_turn(client, command), Reply.say(ANSWER))
        if wrap:
            cmd = [sys.executable, "-m", "headroom", "wrap", "--command", exe, "--upstream-url", up.base_url, tool]
            p = _run([*cmd, *client_args(client)], env, tmp / "shop")
        else:
            with proxy_process(up.base_url, headroom_home) as url:
                if tool == "claude":
                    p = _run([exe, *client_args(client)], {**env, "ANTHROPIC_BASE_URL": url}, tmp / "shop")
                else:
                    url_arg = ["-c", f'openai_base_url="{url}/v1"']
                    p = _run([exe, *url_arg, *client_args(client)], env, tmp / "shop")
        return Run(p.returncode, p.stdout, p.stderr, list(up.requests), headroom_home)


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=240)
