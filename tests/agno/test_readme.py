"""The package README's quick start runs as written, needs no API key, and is at most 15 lines."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from headroom import find_refs, retrieve

README = Path(__file__).resolve().parents[2] / "packages" / "headroom-agno" / "README.md"


def test_quick_start_runs(capsys: pytest.CaptureFixture[str]) -> None:
    (code,) = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert len(code.strip().splitlines()) <= 15
    namespace: dict[str, Any] = {}

    exec(compile(code, str(README), "exec"), namespace)

    match = re.fullmatch(r"(\d+) tokens saved\n", capsys.readouterr().out)
    assert match and int(match[1]) > 10_000
    [_, request] = namespace["up"].model_requests
    [sent] = [m["content"] for m in request.json["messages"] if m["role"] == "tool"]
    assert "ERROR db timeout" in sent
    [ref] = find_refs(sent)
    assert retrieve(ref).endswith("ERROR db timeout")  # the default store, under this test's $HEADROOM_HOME
