"""The package README's quick start runs as written, needs no API key, and is at most 15 lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "packages" / "headroom-langchain" / "README.md"


def test_quick_start_runs(capsys: pytest.CaptureFixture[str]) -> None:
    (code,) = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert len(code.strip().splitlines()) <= 15
    exec(compile(code, str(README), "exec"), {})
    out = capsys.readouterr().out
    match = re.fullmatch(r"(\d+) -> (\d+) characters; the error line kept: True\n", out)
    assert match, out
    assert int(match[2]) < int(match[1]) / 10
