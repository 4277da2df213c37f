"""Write benchmarks/evals/toolqa.jsonl: questions over real program output of this machine.

Each case is a command's real output, cut by whole lines to a token size, and questions whose answers
are read off the raw output by the rules below — written before any compressor saw it. The user's
task (the text before the tool call) names what the questions will ask about, as a user would.

Run from the project root: uv run --package headroom-core python benchmarks/evals/make_toolqa.py
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from headroom.evals.suites._text import head

OUT = Path(__file__).with_name("toolqa.jsonl")
QUESTIONS = 16  # many questions per context: on a CPU the prefill is the cost, and the prompt cache shares it
RUFF = ".venv/bin/ruff check --no-cache --select ALL --output-format concise"
STDLIB = "/root/.pyenv/versions/3.11.7/lib/python3.11"  # the machine's Python, as the questions were made


def sh(cmd: str) -> str:
    return subprocess.run(cmd, shell=True, capture_output=True, text=True, check=False).stdout


def spread(items: list, k: int) -> list:
    """k items spread evenly over the list (deterministic)."""
    if len(items) <= k:
        return items
    step = len(items) / k
    return [items[int(i * step + step / 2)] for i in range(k)]


Row = tuple[str, str, str]  # (subject, question, answer)


def dpkg(lines: list[str]) -> list[Row]:
    rows = []
    for line in lines:
        parts = line.split("\t")
        if len(parts) == 3 and parts[1]:
            rows.append((parts[0], f"Which version of the package {parts[0]} is installed?", parts[1]))
    return rows


def services(lines: list[str]) -> list[Row]:
    rows = []
    for line in lines:
        m = re.match(r"^([a-z][\w-]+)\s+(\d+)/(tcp|udp)", line)
        if m:
            rows.append((m[1], f"Which port number is the {m[1]} service assigned?", m[2]))
    return rows


def ls_sizes(lines: list[str]) -> list[Row]:
    rows = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 8 and line.startswith("-"):
            rows.append((parts[-1], f"What is the size in bytes of the file {parts[-1]}?", parts[4]))
    return rows


def git_dates(lines: list[str]) -> list[Row]:
    rows = []
    for line in lines:
        m = re.match(r"^([0-9a-f]{7,}) (\d{4}-\d\d-\d\d \d\d:\d\d) (.+)$", line)
        if m:
            rows.append((m[1], f"At what time (HH:MM) was commit {m[1]} made?", m[2].split()[1]))
    return rows


def ruff_codes(lines: list[str]) -> list[Row]:
    rows = []
    for line in lines:
        m = re.match(r"^(\S+?\.py):(\d+):(\d+): ([A-Z]+\d+) ", line)
        if m:
            where = f"{m[1]}:{m[2]}:{m[3]}"
            rows.append((where, f"Which rule code does ruff report at {where}?", m[4]))
    return rows


def pip_json(content: str) -> list[Row]:
    return [(p["name"], f"Which version of {p['name']} is installed?", p["version"]) for p in json.loads(content)]


SOURCES: list[tuple[str, str, str, int, Callable[[list[str]], list[Row]], str]] = [
    # (id, command, category, token size, rule, task wording)
    (
        "dpkg-2k",
        "dpkg-query -W -f '${Package}\\t${Version}\\t${Installed-Size}\\n'",
        "table",
        2000,
        dpkg,
        "versions of",
    ),
    (
        "dpkg-8k",
        "dpkg-query -W -f '${Package}\\t${Version}\\t${Installed-Size}\\n' | tac",
        "table",
        8000,
        dpkg,
        "versions of",
    ),
    ("services-4k", "cat /etc/services", "text", 4000, services, "ports of"),
    ("ls-usr-bin-4k", "ls -l --time-style=long-iso /usr/bin", "table", 4000, ls_sizes, "file sizes of"),
    ("ls-usr-lib-16k", "ls -l --time-style=long-iso /usr/lib/x86_64-linux-gnu", "table", 16000, ls_sizes, "sizes of"),
    (
        "git-log-4k",
        "git log --format='%h %ad %s' --date=format:'%Y-%m-%d %H:%M' -n 400",
        "logs",
        4000,
        git_dates,
        "times of commits",
    ),
    (
        "git-log-8k",
        "git log --format='%h %ad %s' --date=format:'%Y-%m-%d %H:%M' -n 2000",
        "logs",
        8000,
        git_dates,
        "times of commits",
    ),
    (
        "ruff-email-8k",
        f"{RUFF} {STDLIB}/email",
        "logs",
        8000,
        ruff_codes,
        "ruff rules at",
    ),
    (
        "ruff-json-2k",
        f"{RUFF} {STDLIB}/json",
        "logs",
        2000,
        ruff_codes,
        "ruff rules at",
    ),
]


def case(cid: str, command: str, category: str, content: str, rows: list[Row], wording: str) -> dict:
    picked = spread(rows, QUESTIONS)
    subjects = ", ".join(r[0] for r in picked)
    return {
        "id": cid,
        "category": category,
        "command": command,
        "task": f"I need the {wording} {subjects}. Run the command and look them up.",
        "content": content,
        "questions": [{"q": q, "a": a} for _, q, a in picked],
    }


def main() -> None:
    cases: list[tuple[int, dict]] = []
    for cid, command, category, size, rule, wording in SOURCES:
        lines = head(sh(command).splitlines(), size)
        content = "\n".join(lines)
        found = rule(lines)
        subjects = [r[0] for r in found]
        rows = [r for r in found if subjects.count(r[0]) == 1]  # one answer per subject
        if len(rows) < QUESTIONS:
            print(f"skip {cid}: {len(rows)} rows", file=sys.stderr)
            continue
        cases.append((size, case(cid, command, category, content, rows, wording)))
    raw = sh("uv pip list --format json --python .venv/bin/python")
    if raw.strip():
        pretty = json.dumps(json.loads(raw), indent=2)
        lines = head(pretty.splitlines(), 4000)
        kept = json.loads(raw)[: sum(1 for ln in lines if '"name"' in ln) - 1]
        content = json.dumps(kept, indent=2)
        cases.append(
            (
                4000,
                case("uv-pip-list-4k", "uv pip list --format json", "json", content, pip_json(content), "versions of"),
            )
        )
    cases.sort(key=lambda sc: sc[0])  # small contexts first: a partial benchmark run covers the most questions
    with OUT.open("w", encoding="utf-8") as f:
        for _, c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    print(f"{len(cases)} cases, {sum(len(c['questions']) for _, c in cases)} questions → {OUT}")


if __name__ == "__main__":
    main()
