"""Real clients through Headroom: the table issue 12 asks for, client by client.

Runs the pinned Claude Code and Codex CLIs (``npm ci --prefix tests/clients`` first) through
``headroom proxy`` and ``headroom wrap`` against `FakeUpstream`, each answering one question over a
real ``pytest -v`` log with three failures (see ``tests/core/real_clients.py``), and prints: did the
loop complete, how much smaller the tool output reached the model, whether the failing test's
traceback line and the summary stayed inline, whether the tools list stayed byte-identical across
turns, WebSocket fallbacks, and the proxy time its first request paid (``proxy_ms`` in the request
log: parse + compress on a freshly started proxy).

Usage, from the project root::

    uv run --package headroom-core --extra proxy python benchmarks/real_clients.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console
from rich.table import Table

from tests.core.real_clients import SUMMARY, TRACEBACK_LINE, run_client

CASES = [
    ("claude", False),
    ("claude", True),
    ("claude-bash", False),
    ("codex", False),
    ("codex", True),
    ("codex-5.1", False),
    ("codex-5.1", True),
]
NAMES = {
    "claude": "Claude Code 2.1.197 (default tools)",
    "claude-bash": "Claude Code 2.1.197 --tools Bash",
    "codex": "Codex 0.171.0 (default)",
    "codex-5.1": "Codex 0.171.0 -m gpt-5.1-codex",
}


def main() -> None:
    table = Table(title="Real clients through Headroom (FakeUpstream, pytest -v log, 3 failures)")
    for col in (
        "client",
        "via",
        "loop",
        "tool output",
        "smaller",
        "inline",
        "tools same",
        "WS fallbacks",
        "1st req ms",
    ):
        table.add_column(col)
    for client, wrap in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            run = run_client(client, Path(tmp), wrap=wrap)
            try:
                sent, original = run.tool_output()
            except AssertionError as e:
                table.add_row(NAMES[client], "wrap" if wrap else "proxy", f"NO: {e}; exit {run.returncode}")
                continue
            tools = {json.dumps(r.json.get("tools")) for r in run.model_requests}
            fallbacks = run.stderr.count("Falling back") + sum(
                r.method == "POST" for r in run.model_requests if "codex" in client
            )
            first = next(line for line in run.log if line["api"] != "passthrough")
            table.add_row(
                NAMES[client],
                "wrap" if wrap else "proxy",
                "yes" if run.returncode == 0 and "Three tests fail" in run.stdout else "NO",
                f"{len(original):,} → {len(sent):,} chars",
                f"{1 - len(sent) / len(original):.0%}",
                "yes" if TRACEBACK_LINE in sent and SUMMARY in sent else "NO",
                "yes" if len(tools) == 1 else "NO",
                str(fallbacks),
                f"{first['proxy_ms']:.0f}",
            )
    Console().print(table)


if __name__ == "__main__":
    main()
