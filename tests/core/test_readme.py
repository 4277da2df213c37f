"""The README's quick start runs as written, and its set-up command works."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_quick_start_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "README.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    assert len(code.strip().splitlines()) <= 15
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})
    assert re.fullmatch(r"Saved \d+ tokens \(\d+%\)\n", capsys.readouterr().out)


def test_core_package_quick_start_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "packages" / "headroom-core" / "README.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    assert len(code.strip().splitlines()) <= 15
    exec(compile(code, "packages/headroom-core/README.md", "exec"), {})
    match = re.fullmatch(r"Saved (\d+) of (\d+) tokens\nTrue\n", capsys.readouterr().out)
    assert match and int(match[1]) > int(match[2]) * 0.7, "the quick start's JSON was not compressed"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_setup_command_starts_the_proxy(headroom_home: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    command = next(line.strip() for line in readme.splitlines() if line.strip().endswith("headroom proxy"))
    assert command.startswith("pip install uv && uv run --package headroom-core --extra proxy")
    port = _free_port()
    env = {**os.environ, "HEADROOM_HOME": str(headroom_home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "headroom", "proxy", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as resp:
                    assert resp.status == 200
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else b""
                assert time.monotonic() < deadline, "the proxy did not start within 30 s"
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_sample_command_compresses_the_sample(headroom_home: Path) -> None:
    readme = " ".join((ROOT / "README.md").read_text().split())
    command = readme.split("`uv run --package headroom-core headroom compress ", 1)[1].split("`", 1)[0]
    sample, query = command.split(" --query ")
    env = {**os.environ, "HEADROOM_HOME": str(headroom_home)}
    out = subprocess.run(
        [sys.executable, "-m", "headroom", "compress", sample, "--query", query.strip('"')],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "ValueError: discount 0.6 above policy limit 0.5" in out.stdout
    assert "2 failed, 124 passed" in out.stdout
    assert "saved" in out.stderr and "refs:" in out.stderr
