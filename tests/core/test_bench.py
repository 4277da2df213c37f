"""`headroom bench compression` runs on any folder of cases in the shared format and prints its table."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from headroom.cli import main

from tests.core.helpers import build_log


def test_bench_compression_prints_a_table(tmp_path: Path) -> None:
    log = build_log()
    case = {
        "id": "l1",
        "category": "logs",
        "content": log,
        "query": "why did payment 8812 fail?",
        "must_keep": ["payment 8812 failed: upstream timeout after 30s"],
    }
    (tmp_path / "logs.jsonl").write_text(json.dumps(case) + "\n")
    result = CliRunner().invoke(main, ["bench", "compression", "--cases", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("| logs")]
    (row,) = rows
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "2" and cells[5] == "100.0%" and cells[6] == "100.0%" and cells[9] == "1/1"
    assert float(cells[4].rstrip("%")) > 50
