"""Record real Claude Code and Codex transcripts in which tool calls fail and then succeed.

The pinned CLIs (tests/clients) run through ``headroom proxy`` against `FakeUpstream`, scripted to
make the client's own shell tool run, in a small project:

1. ``shopcheck`` — not installed (``command not found``); then ``sh scripts/check.sh`` passes.
2. ``python3 -c "import shop"`` — twice (a loop), ``ModuleNotFoundError``; then the same with
   ``PYTHONPATH=src`` passes.

So each transcript holds exactly two failure→fix pairs, one of them with a repeated failure.
``python -m tests.core.learn_clients OUT`` re-records the files committed under
``tests/core/data/transcripts`` (named by client version); tests use those files.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from headroom.testing import FakeUpstream, Reply

from tests.core.real_clients import _run, client_env, executable, proxy_process

CHECK_SH = "#!/bin/sh\necho 'ok: 12 checks passed'\n"
SHOP = "PRICE = 3\n"
COMMANDS = ["shopcheck", "sh scripts/check.sh", 'python3 -c "import shop"', 'python3 -c "import shop"']
COMMANDS.append('PYTHONPATH=src python3 -c "import shop"')
QUESTION = "Check the shop project."
ANSWER = "Checks pass and the shop module imports with PYTHONPATH=src."


def make_project(root: Path) -> None:
    (root / "scripts").mkdir(parents=True, exist_ok=True)
    (root / "src").mkdir(exist_ok=True)
    (root / "scripts" / "check.sh").write_text(CHECK_SH)
    (root / "src" / "shop.py").write_text(SHOP)


def _call(client: str, command: str) -> Reply:
    if client == "claude":
        return Reply.call("Bash", {"command": command, "description": "check the project"})
    return Reply.call("exec_command", {"cmd": command, "max_output_tokens": 4000, "yield_time_ms": 30000})


def record(client: str, tmp: Path) -> list[Path]:
    """Run ``client`` (``claude`` or ``codex``) once; returns the transcript files it wrote."""
    home = tmp / "home"
    (home / "headroom").mkdir(parents=True, exist_ok=True)
    project = tmp / "shop"
    make_project(project)
    exe = executable(client)
    env = client_env(home)
    with FakeUpstream() as up:
        up.script(*[_call(client, c) for c in COMMANDS], Reply.say(ANSWER))
        with proxy_process(up.base_url, home / "headroom") as url:
            if client == "claude":
                args = ["-p", QUESTION, "--allowedTools", "Bash", "--tools", "Bash"]
                p = _run([exe, *args], {**env, "ANTHROPIC_BASE_URL": url}, project)
            else:
                args = [
                    "-c",
                    f'openai_base_url="{url}/v1"',
                    "exec",
                    "--skip-git-repo-check",
                    "-s",
                    "danger-full-access",
                ]
                p = _run([exe, *args, "-m", "gpt-5.1-codex", QUESTION], env, project)
    if p.returncode != 0:
        raise AssertionError(f"{client} failed: {p.stderr[-2000:]}")
    pattern = ".claude/projects/*/*.jsonl" if client == "claude" else "sessions/**/*.jsonl"
    return sorted(home.glob(pattern))


def client_version(client: str) -> str:
    package = "@anthropic-ai/claude-code" if client == "claude" else "@openai/codex"
    lock = json.loads((Path(__file__).resolve().parents[1] / "clients" / "package-lock.json").read_text())
    return str(lock["packages"][f"node_modules/{package}"]["version"])


def main(out: Path, tmp: Path) -> None:
    for client in ("claude", "codex"):
        files = record(client, tmp / client)
        dest = out / f"{client}-{client_version(client)}"
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        for f in files:
            shutil.copy(f, dest / f.name)
        print(dest, [f.name for f in files])


if __name__ == "__main__":
    import tempfile

    main(Path(sys.argv[1]), Path(tempfile.mkdtemp(prefix="headroom-learn-")))
