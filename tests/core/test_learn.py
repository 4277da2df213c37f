"""`headroom learn` on real Claude Code and Codex transcripts: each scripted failure→fix pair is one learning.

The transcripts under tests/core/data/transcripts were written by the pinned CLIs driven through
the proxy against `FakeUpstream` (`tests.core.learn_clients`); the slow test re-records them live.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from headroom.cli import main
from headroom.learn import Call, Session, find_learnings, read_claude, read_codex, read_proxy_log, updated
from headroom.learn._section import BEGIN, END

DATA = Path(__file__).parent / "data" / "transcripts"
CLAUDE = next((DATA / "claude-2.1.197").glob("*.jsonl"))
CODEX = next((DATA / "codex-0.171.0").glob("*.jsonl"))
PROXY_LOG = DATA / "claude-2.1.197-proxy.jsonl"
EXPECTED = [
    'Run `PYTHONPATH=src python3 -c "import shop"`, not `python3 -c "import shop"`: that fails with'
    " `ModuleNotFoundError: No module named 'shop'`; it was retried unchanged 2 times in a row.",
    "Run `sh scripts/check.sh`, not `shopcheck`: that fails with `shopcheck: command not found`.",
]


def learn(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["learn", *args])
    return result.exit_code, result.stdout, result.stderr


def bullets(text: str) -> list[str]:
    return [line[2:] for line in text.split(BEGIN)[1].split(END)[0].splitlines() if line.startswith("- ")]


@pytest.mark.parametrize("transcript", [CLAUDE, CODEX], ids=["claude-code", "codex"])
def test_each_scripted_failure_and_fix_becomes_exactly_one_learning(transcript: Path, tmp_path: Path) -> None:
    reader = read_claude if transcript == CLAUDE else read_codex
    assert [learning.text for learning in find_learnings([reader(transcript)])] == EXPECTED
    name = "CLAUDE.md" if transcript == CLAUDE else "AGENTS.md"
    code, out, err = learn("--project", str(tmp_path), "--transcript", str(transcript))
    assert code == 0, err
    assert not (tmp_path / name).exists()  # a dry run by default: only the diff
    assert [line[3:] for line in out.splitlines() if line.startswith("+- ")] == EXPECTED
    assert "2 learning(s)" in err
    code, _, err = learn("--project", str(tmp_path), "--transcript", str(transcript), "--write")
    assert code == 0 and bullets((tmp_path / name).read_text()) == EXPECTED
    before = (tmp_path / name).read_bytes()
    code, out, err = learn("--project", str(tmp_path), "--transcript", str(transcript), "--write")
    assert code == 0 and out == "" and "up to date" in err
    assert (tmp_path / name).read_bytes() == before


def _install(transcript: Path, into: Path, project: Path) -> None:
    """Put a recorded transcript where its client keeps it, as if it had run in ``project``."""
    text = transcript.read_text()
    recorded = (read_claude(transcript) if transcript == CLAUDE else read_codex(transcript)).cwd
    assert recorded
    into.parent.mkdir(parents=True, exist_ok=True)
    into.write_text(text.replace(json.dumps(recorded)[1:-1], str(project)))


def test_sessions_are_found_per_project_and_other_projects_are_left_out(tmp_path: Path) -> None:
    project, other = tmp_path / "shop", tmp_path / "blog"
    project.mkdir()
    other.mkdir()
    claude_home, codex_home = tmp_path / "claude", tmp_path / "codex"
    _install(CLAUDE, claude_home / "projects" / re.sub(r"[^A-Za-z0-9]", "-", str(project)) / "s1.jsonl", project)
    _install(CLAUDE, claude_home / "projects" / "-elsewhere" / "s2.jsonl", other)
    _install(CODEX, codex_home / "sessions" / "2026" / "12" / "08" / "rollout-1.jsonl", project)
    homes = ["--claude-home", str(claude_home), "--codex-home", str(codex_home), "--proxy-log", str(PROXY_LOG)]
    code, _, err = learn("--project", str(project), *homes, "--write")
    assert code == 0, err
    assert "1 claude, 1 codex, 1 proxy session(s); 2 learning(s)" in err
    assert bullets((project / "CLAUDE.md").read_text()) == EXPECTED
    assert bullets((project / "AGENTS.md").read_text()) == EXPECTED
    code, out, err = learn("--project", str(other), *homes[:4])  # its own session only
    assert code == 0 and "read 1 claude, 0 codex, 0 proxy" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = learn("--project", str(empty), *homes[:4], "--write")
    assert code == 0 and out == "" and "0 learning(s)" in err
    assert not list(empty.iterdir())


def test_text_outside_the_section_is_never_touched(tmp_path: Path) -> None:
    head = "# Shop\r\n\r\nHand-written rules.\n"
    tail = "\n## Later\nMore text, no newline at the end"
    doc = f"{head}{BEGIN}\n## Learned from past sessions\n\n- an older learning someone kept\n{END}{tail}"
    (tmp_path / "CLAUDE.md").write_bytes(doc.encode())
    code, _, err = learn("--project", str(tmp_path), "--transcript", str(CLAUDE), "--write")
    assert code == 0, err
    after = (tmp_path / "CLAUDE.md").read_bytes().decode()
    assert after.startswith(head + BEGIN) and after.endswith(END + tail)
    assert bullets(after) == ["an older learning someone kept", *EXPECTED]
    plain = "# Notes\nno trailing newline"
    assert updated(plain, ["x"]).startswith(plain + "\n\n" + BEGIN)
    assert updated(plain, []) == plain


def test_broken_markers_are_a_clear_error_and_nothing_is_written(tmp_path: Path) -> None:
    doc = f"# Shop\n{BEGIN}\n- half a section\n"
    (tmp_path / "CLAUDE.md").write_text(doc)
    code, _, err = learn("--project", str(tmp_path), "--transcript", str(CLAUDE), "--write")
    assert code != 0 and "markers are broken" in err
    assert (tmp_path / "CLAUDE.md").read_text() == doc


def test_the_proxy_log_gives_a_learning_only_for_a_rejected_model_that_was_then_replaced(tmp_path: Path) -> None:
    assert find_learnings([read_proxy_log(PROXY_LOG)]) == []  # the real run: every request succeeded
    lines = [json.loads(line) for line in PROXY_LOG.read_text().splitlines()]
    failing = {**lines[0], "model": "claude-opus-9", "status": 404, "upstream_status": 404, "error": "model not found"}
    log = tmp_path / "proxy.jsonl"
    log.write_text("\n".join(json.dumps(x) for x in [failing, *lines]) + "\n")
    assert [learning.text for learning in find_learnings([read_proxy_log(log)])] == [
        "Model `claude-opus-9` fails through the proxy (model not found); `claude-opus-4-8` works."
    ]


def test_an_unrelated_success_is_not_taken_for_a_fix_and_flaky_calls_teach_nothing() -> None:
    def bash(cmd: str, failed: bool, out: str = "") -> Call:
        return Call(
            "Bash", cmd, out or ("bash: pytest: command not found" if failed else "ok"), failed, 127 if failed else 0
        )

    unrelated = Session("claude", Path("x"), None, [bash("pytest", True), bash("ls", False), bash("git status", False)])
    flaky = Session("claude", Path("y"), None, [bash("make test", True, "error"), bash("make test", False)])
    assert find_learnings([unrelated, flaky]) == []
    loop = Session("claude", Path("z"), None, [bash("pytest", True)] * 3)
    assert [x.text for x in find_learnings([loop])] == [
        "Do not retry `pytest` unchanged: it fails with `bash: pytest: command not found`;"
        " it was retried unchanged 3 times in a row."
    ]


@pytest.mark.slow
@pytest.mark.parametrize("client", ["claude", "codex"])
def test_live_transcripts_of_the_pinned_clients_give_the_same_learnings(client: str, tmp_path: Path) -> None:
    from tests.core.learn_clients import record

    files = record(client, tmp_path)
    assert len(files) == 1
    reader = read_claude if client == "claude" else read_codex
    assert [learning.text for learning in find_learnings([reader(files[0])])] == EXPECTED
    shutil.rmtree(tmp_path, ignore_errors=True)
