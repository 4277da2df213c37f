"""The README's memory example runs as written and prints what it promises."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_memory_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    section = (ROOT / "README.md").read_text().split("## Memory\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"\n\n((?:    .*\n)+)", section)[:1]
    exec(compile("\n".join(line[4:] for line in block.splitlines()), "README.md", "exec"), {})
    assert capsys.readouterr().out == "Run the tests with `uv run pytest`, not bare pytest.\n[]\n"
