"""The package README's quick start runs as written, needs no API key, and is at most 15 lines."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import litellm
import pytest

README = Path(__file__).resolve().parents[2] / "packages" / "headroom-litellm" / "README.md"


@pytest.fixture
def restore_callbacks() -> Iterator[None]:
    saved = list(litellm.callbacks)
    yield
    litellm.callbacks = saved


def test_quick_start_runs(capsys: pytest.CaptureFixture[str], restore_callbacks: None) -> None:
    code = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)[0]
    assert len(code.strip().splitlines()) <= 15
    exec(compile(code, str(README), "exec"), {})
    out = capsys.readouterr().out
    match = re.fullmatch(r"(\d+) -> (\d+) characters sent; reply: Requests 0, 97, 194, 291 and 388 failed\.\n", out)
    assert match, out
    assert int(match[2]) < int(match[1]) / 5


def test_readme_names_the_proxy_callback() -> None:
    assert "callbacks: headroom_litellm.callback" in README.read_text()
