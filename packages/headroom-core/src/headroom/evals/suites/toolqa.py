"""Long QA over tool output: questions whose answers are in real program output.

Two sources:
- ``benchmarks/evals/toolqa.jsonl``: real output of this machine's programs with questions read off
  the raw output (see ``benchmarks/evals/make_toolqa.py``).
- The case files (the shared dev cases, ``benchmarks/cases``): each case's own query is the user's
  task, and each of its hand-written must-keep lines becomes a lookup question: the first words of
  the line are quoted and the model must give the words that follow. Long cases are cut by whole
  lines to a window around their first must-keep line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from typing import Any

from headroom.evals.cases import Case, Probe, tool_output_case
from headroom.evals.data import DataSource, read_jsonl
from headroom.evals.suites import Size
from headroom.evals.suites._text import count, window

__all__ = ["build", "cloze", "file_cases", "own_cases"]

LINE_CATEGORIES = ("logs", "search", "code", "diff", "text")
WHOLE_CATEGORIES = ("json", "html")
WINDOWS = (2000, 4000, 2000, 8000)
PROBES_PER_CASE = 4


def own_cases(data: DataSource) -> Iterator[Case]:
    """Cases from the own QA file."""
    if data.own_cases is None or not data.own_cases.is_file():
        return
    for row in read_jsonl(data.own_cases):
        probes = tuple(Probe(f"q{i}", q["q"], (q["a"],)) for i, q in enumerate(row["questions"]))
        yield tool_output_case(
            id=row["id"], suite="toolqa", task=row["task"], command=row["command"], content=row["content"],
            probes=probes, tags={"group": f"own {row['category']}", "tokens": str(count(row["content"]))},
        )  # fmt: skip


def cloze(line: str) -> tuple[str, str] | None:
    """``(quoted start, following words)`` for a must-keep line, or None when it is too short.

    The quote is up to eight words ending at the line's middle word; the answer is the next one or two.
    """
    words = list(re.finditer(r"\S+", line))
    if len(words) < 4:
        return None
    k = len(words) // 2
    quote = line[words[max(0, k - 8)].start() : words[k - 1].end()]
    answer = line[words[k].start() : words[min(k + 1, len(words) - 1)].end()]
    if len(quote) < 12 or not re.search(r"[0-9A-Za-z]", answer):
        return None
    return quote, answer


def _must_keep(case: Mapping[str, Any]) -> list[str]:
    value = case.get("must_keep") or []
    if isinstance(value, str):  # some case files store the list's repr
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            value = [value]
    return [s for s in value if isinstance(s, str) and "\n" not in s.strip()]


def _file_case(case: Mapping[str, Any], budget: int, origin: str) -> Case | None:
    content: str = case["content"]
    lines = content.split("\n")
    keep = [(s, next((i for i, ln in enumerate(lines) if s.strip() in ln), -1)) for s in _must_keep(case)]
    keep = [(s, i) for s, i in keep if i >= 0]
    if not keep:
        return None
    if case["category"] in WHOLE_CATEGORIES or count(content) <= budget:
        if count(content) > max(budget, 16000):
            return None
        start, end = 0, len(lines)
    else:
        start, end = window(lines, keep[0][1], budget)
    text = "\n".join(lines[start:end])
    probes: list[Probe] = []
    for s, i in keep:
        made = cloze(s.strip())
        if made is None or not start <= i < end or text.count(made[0]) != 1:
            continue
        quote, answer = made
        question = (
            f'In that output, find the text "{quote}". Which words come right after it? Reply with only those words.'
        )
        probes.append(Probe(f"k{len(probes)}", question, (answer,)))
        if len(probes) == PROBES_PER_CASE:
            break
    if not probes:
        return None
    return tool_output_case(
        id=f"{origin}:{case['id']}", suite="toolqa", task=str(case.get("query") or "Show me the output."),
        command=f"cat {case['id']}", content=text, probes=tuple(probes),
        tags={"group": f"{origin} {case['category']}", "tokens": str(count(text))},
    )  # fmt: skip


def file_cases(data: DataSource, *, per_category: int) -> Iterator[Case]:
    """Cloze cases from the case folders: up to ``per_category`` per category and folder."""
    n = 0
    for folder in data.case_dirs:
        origin = "dev" if folder.parent.name == "bench" else folder.parent.name  # the shared dev split, or ours
        for category in (*LINE_CATEGORIES, *WHOLE_CATEGORIES):
            path = folder / f"{category}.jsonl"
            if not path.is_file():
                continue
            made = 0
            for case in sorted(read_jsonl(path), key=lambda c: str(c["id"])):
                if made == per_category:
                    break
                built = _file_case(case, WINDOWS[n % len(WINDOWS)], origin)
                if built is not None:
                    made, n = made + 1, n + 1
                    yield built


def build(size: Size, data: DataSource, *, per_category: int = 1, own: bool = True) -> list[Case]:
    """CI: two small own cases (2 questions each) and one log case from the files, ≤ 2k tokens.
    Full: every own case (unless ``own`` is false) and up to ``per_category`` cases per category of
    each case folder."""
    if size == "ci":
        small = [c for c in own_cases(data) if int(c.tags["tokens"]) <= 2500][:2]
        small = [Case(c.id, c.suite, c.messages, c.probes[:2], c.tools, c.tags) for c in small]
        logs = [
            c for c in file_cases(data, per_category=3) if "logs" in c.tags["group"] and int(c.tags["tokens"]) <= 2500
        ]
        return small + logs[:1]
    return [*(own_cases(data) if own else ()), *file_cases(data, per_category=per_category)]
