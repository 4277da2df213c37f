"""The real Claude Code and Codex CLIs, unchanged, get full compression through `headroom proxy` and `headroom wrap`.

Each test runs the pinned CLI (tests/clients/package.json) on a question whose answer needs a real
``pytest -v`` log of 307 tests with 3 failures; see `tests.core.real_clients`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.core.real_clients import ANSWER, SUMMARY, TRACEBACK_LINE, Run, run_client

pytestmark = pytest.mark.slow


def check_compressed_loop(run: Run) -> None:
    """What a user of the client notices, and what the model received."""
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Three tests fail" in run.stdout, run.stdout[-2000:]
    requests = run.model_requests
    assert len(requests) == 2, [r.path for r in run.requests]
    sent, original = run.tool_output()
    assert TRACEBACK_LINE in original and SUMMARY in original  # the marker's original is the client's log
    assert len(sent) <= 0.5 * len(original), (len(sent), len(original))
    assert TRACEBACK_LINE in sent and SUMMARY in sent  # the failure and the summary stay inline
    tools = {json.dumps(r.json.get("tools")) for r in requests}
    assert len(tools) == 1, "the tools list changed between turns"
    assert "headroom_retrieve" in tools.pop()
    assert all(line["error"] is None for line in run.log), [line["error"] for line in run.log]


@pytest.mark.parametrize("wrap", [False, True], ids=["proxy", "wrap"])
def test_claude_code_with_its_default_tools(tmp_path: Path, wrap: bool) -> None:
    run = run_client("claude", tmp_path, wrap=wrap)
    check_compressed_loop(run)
    first = run.model_requests[0].json
    # Default tools include Agent and Skill, so Claude Code sends system items inside `messages`.
    assert any(m.get("role") == "system" for m in first["messages"])
    assert {"Agent", "Bash"} <= {t.get("name") for t in first["tools"]}
    assert not [r for r in run.requests if r.method == "HEAD"]  # its reachability check is answered locally


def test_claude_code_with_only_bash_gets_its_pytest_log_compressed_as_a_log(tmp_path: Path) -> None:
    run = run_client("claude-bash", tmp_path, wrap=False)
    check_compressed_loop(run)
    assert [t["name"] for t in run.model_requests[0].json["tools"]] == ["Bash", "headroom_retrieve"]
    assert all(set(line["compressors"]) <= {"logs"} for line in run.log)


@pytest.mark.parametrize("wrap", [False, True], ids=["proxy", "wrap"])
def test_codex_with_its_default_transport_and_model(tmp_path: Path, wrap: bool) -> None:
    run = run_client("codex", tmp_path, wrap=wrap)
    check_compressed_loop(run)
    assert {r.method for r in run.model_requests} == {"WEBSOCKET"}
    assert "Falling back" not in run.stderr and "Reconnecting" not in run.stderr
    # The log went through the freeform `exec` tool, JSON-wrapped ({"chunk_id": ..., "output": "<log>"}).
    sent, _ = run.tool_output()
    assert json.loads(sent)["exit_code"] == 1


def test_codex_with_gpt_5_1_codex(tmp_path: Path) -> None:
    run = run_client("codex-5.1", tmp_path, wrap=False)
    check_compressed_loop(run)
    assert "Falling back" not in run.stderr
    assert "exec_command" in json.dumps(run.model_requests[0].json["tools"])
    assert ANSWER.split(":")[0] in run.stdout
