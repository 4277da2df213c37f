"""``headroom wrap TOOL``: run a coding tool with its base URL pointing at a shared local proxy.

The first wrapped tool starts a proxy (``python -m headroom proxy``) on a free loopback port, or
reuses one a running ``headroom proxy`` already serves on the default port; later ones reuse it.
When the last wrapped tool exits, a proxy that a wrapper started is stopped. The bookkeeping lives
in ``$HEADROOM_HOME/wrap/`` (``proxy.json``, one file per running wrapper in ``clients/``, a lock
file); the proxy's own output goes to ``proxy.log`` there.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

__all__ = ["TOOLS", "WrapTarget", "run_wrapped"]


@dataclass(frozen=True)
class WrapTarget:
    """A tool ``headroom wrap`` knows: its executable and the variables that point it at the proxy."""

    command: str
    variables: Callable[[str], dict[str, str]]
    note: str | None = None
    arguments: Callable[[str], list[str]] = lambda url: []
    """Arguments put before the user's own, for a tool that takes its base URL on the command line."""


def _anthropic(url: str) -> dict[str, str]:
    return {"ANTHROPIC_BASE_URL": url}


def _openai(url: str) -> dict[str, str]:
    return {"OPENAI_BASE_URL": f"{url}/v1"}


def _both(url: str) -> dict[str, str]:
    return {**_anthropic(url), **_openai(url)}


def _codex_arguments(url: str) -> list[str]:
    # Codex reads OPENAI_BASE_URL only in old versions; since 0.1xx the base URL is its config key
    # `openai_base_url` (checked with 0.171.0, which ignores the variable), set per run with -c.
    return ["-c", f"openai_base_url={json.dumps(url + '/v1')}"]


def _openclaw(url: str) -> dict[str, str]:
    # HEADROOM_URL: the Headroom OpenClaw plugin (headroom-js/openclaw) compresses through this proxy.
    return {**_both(url), "HEADROOM_URL": url}


def _aider(url: str) -> dict[str, str]:
    return {**_both(url), "OPENAI_API_BASE": f"{url}/v1", "ANTHROPIC_API_BASE": url}


TOOLS: dict[str, WrapTarget] = {
    "claude": WrapTarget("claude", _anthropic),
    "codex": WrapTarget("codex", _openai, arguments=_codex_arguments),
    "aider": WrapTarget("aider", _aider),
    "cursor": WrapTarget(
        "cursor",
        _both,
        note=(
            "Cursor sends most model traffic from its own servers, which cannot reach a proxy on "
            "127.0.0.1; for your own API keys set Settings → Models → 'Override OpenAI Base URL' to {url}/v1 "
            "and expose the proxy (with --token) where Cursor's servers can reach it."
        ),
    ),
    "openclaw": WrapTarget("openclaw", _openclaw),
}
"""What each wrap sets:

- ``claude``: ``ANTHROPIC_BASE_URL=http://127.0.0.1:PORT``
- ``codex``: ``-c openai_base_url="http://127.0.0.1:PORT/v1"`` (and ``OPENAI_BASE_URL`` for old versions)
- ``aider``: ``OPENAI_API_BASE`` and ``OPENAI_BASE_URL`` (``…/v1``), ``ANTHROPIC_BASE_URL`` and
  ``ANTHROPIC_API_BASE`` (no ``/v1``)
- ``cursor``: ``OPENAI_BASE_URL`` (``…/v1``) and ``ANTHROPIC_BASE_URL``, plus the note above
- ``openclaw``: ``ANTHROPIC_BASE_URL``, ``OPENAI_BASE_URL`` (``…/v1``) and ``HEADROOM_URL`` (for the
  Headroom OpenClaw plugin in ``packages/headroom-js``)
"""

DEFAULT_PORT = 8787


def _home() -> Path:
    return Path(os.environ.get("HEADROOM_HOME") or "~/.headroom").expanduser() / "wrap"


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "lock", "a+") as f:
        try:
            import fcntl
        except ImportError:  # Windows: no sharing between wrappers, each starts its own proxy
            yield
            return
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def healthy(url: str, timeout: float = 1.0, *, warm: bool = False) -> bool:
    """Whether a Headroom proxy answers ``/health`` at ``url`` (and, with ``warm``, has warmed up)."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as r:
            state = json.loads(r.read())
    except (OSError, ValueError):
        return False
    return bool(state.get("status") == "ok" and (state.get("warm", True) or not warm))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_proxy(home: Path, port: int, proxy_args: Sequence[str]) -> dict[str, object]:
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "headroom", "proxy", "--host", "127.0.0.1", "--port", str(port), *proxy_args]
    with open(home / "proxy.log", "ab") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 30
    while not healthy(url, timeout=0.5):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the proxy did not start; see {home / 'proxy.log'}")
        time.sleep(0.05)
    # The tool's first request should not pay for loading tokenizers and grammars: wait (a few
    # seconds at most) until the proxy says it has loaded them.
    warm_deadline = time.monotonic() + 15
    while not healthy(url, timeout=0.5, warm=True) and time.monotonic() < warm_deadline:
        time.sleep(0.05)
    state: dict[str, object] = {"pid": proc.pid, "port": port, "url": url}
    (home / "proxy.json").write_text(json.dumps(state))
    return state


def _acquire(home: Path, port: int | None, proxy_args: Sequence[str]) -> str:
    """The proxy URL to use, starting a proxy when none is running; registers this wrapper."""
    with _locked(home):
        state_file = home / "proxy.json"
        state = json.loads(state_file.read_text()) if state_file.exists() else None
        if state and not (_alive(int(state["pid"])) and healthy(str(state["url"]))):
            state = None
        if state is None and port is None and healthy(f"http://127.0.0.1:{DEFAULT_PORT}"):
            url = f"http://127.0.0.1:{DEFAULT_PORT}"  # someone's own `headroom proxy`: used, never stopped
        else:
            state = state or _start_proxy(home, port or free_port(), proxy_args)
            url = str(state["url"])
        clients = home / "clients"
        clients.mkdir(exist_ok=True)
        (clients / str(os.getpid())).write_text(url)
        return url


def _release(home: Path) -> None:
    """Unregister this wrapper; stop the proxy a wrapper started when no wrapper is left."""
    with _locked(home):
        clients = home / "clients"
        (clients / str(os.getpid())).unlink(missing_ok=True)
        left = [p for p in clients.iterdir() if p.name.isdigit() and _alive(int(p.name))] if clients.exists() else []
        state_file = home / "proxy.json"
        if left or not state_file.exists():
            return
        pid = int(json.loads(state_file.read_text())["pid"])
        state_file.unlink()
        _stop(pid)


def _stop(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    return
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def run_wrapped(
    tool: str,
    args: Sequence[str],
    *,
    command: str | None = None,
    port: int | None = None,
    proxy_args: Sequence[str] = (),
    echo: Callable[[str], None] = print,
) -> int:
    """Run ``tool`` through the shared proxy and return its exit status.

    Raises:
        FileNotFoundError: the tool's executable is not on ``PATH``.
        RuntimeError: the proxy could not be started.
    """
    target = TOOLS[tool]
    exe = command or target.command
    home = _home()
    url = _acquire(home, port, proxy_args)
    try:
        variables = target.variables(url)
        echo(f"headroom: {tool} → proxy at {url} ({', '.join(f'{k}={v}' for k, v in variables.items())})")
        if target.note:
            echo("headroom: " + target.note.format(url=url))
        proc = subprocess.Popen([exe, *target.arguments(url), *args], env={**os.environ, **variables})
        with _signals_to(proc):
            return proc.wait()
    finally:
        _release(home)


@contextlib.contextmanager
def _signals_to(proc: subprocess.Popen[bytes]) -> Iterator[None]:
    """While the tool runs: Ctrl+C is the tool's to handle (the terminal sends it to both); SIGTERM
    and SIGHUP sent to the wrapper go on to the tool, so the wrapper outlives it and stops the proxy."""

    def forward(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signum)

    handlers: dict[int, Callable[[int, FrameType | None], None] | signal.Handlers] = {
        signal.SIGINT: signal.SIG_IGN,
        signal.SIGTERM: forward,
    }
    if hasattr(signal, "SIGHUP"):
        handlers[signal.SIGHUP] = forward
    previous = {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
