"""The README's quick start runs as written, and its set-up command works."""

from __future__ import annotations

import os
import re
import subprocess
import sys
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


def test_setup_command_compresses_the_sample(headroom_home: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    command = next(line.strip() for line in readme.splitlines() if "headroom compress examples/" in line)
    args = command.split("headroom compress ", 1)[1]
    sample, query = args.split(" --query ")
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
