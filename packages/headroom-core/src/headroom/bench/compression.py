"""`headroom bench compression`: reduction, recall, latency and routing accuracy on a folder of cases.

Reads cases in the shared benchmark format (``<category>.jsonl``, one JSON object per line with
``id, category, content, query, must_keep``; agent cases carry ``format``, ``messages`` and
``system`` instead of ``content``), wraps each non-agent case in a one-tool-call conversation,
compresses it, and reports per category:

* reduction: tokens saved over the messages (the model's tokenizer, markers and tool included);
* recall: the share of ``must_keep`` strings still present inline, and after redeeming every marker;
* latency: median and 95th percentile of ``compress`` wall time;
* routing: the share of non-agent cases whose detected type matches the category.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from headroom.api import compress, retrieve
from headroom.markers import find_refs
from headroom.pipeline.detect import detect
from headroom.store import MemoryStore

CATEGORY_TYPES = {
    "logs": "log",
    "json": "json",
    "code": "code",
    "diff": "diff",
    "html": "html",
    "search": "search",
    "text": "text",
}
MODELS = {"openai": "gpt-4o", "anthropic": "claude-sonnet-4-5"}


@dataclass
class CategoryStats:
    """Accumulated measurements for one category."""

    cases: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    recall_inline: list[float] = field(default_factory=list)
    recall_retrieved: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    routed: int = 0
    routable: int = 0
    errors: int = 0

    def row(self, name: str) -> list[str]:
        """The table row for this category."""
        red = 1 - self.tokens_after / self.tokens_before if self.tokens_before else 0.0
        lat = sorted(self.seconds)
        p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else 0.0
        routing = f"{self.routed}/{self.routable}" if self.routable else "–"
        return [
            name,
            str(self.cases),
            f"{self.tokens_before:,}",
            f"{self.tokens_after:,}",
            f"{red:.1%}",
            f"{_mean(self.recall_inline):.1%}",
            f"{_mean(self.recall_retrieved):.1%}",
            f"{1000 * statistics.median(lat) if lat else 0:.0f}",
            f"{1000 * p95:.0f}",
            routing,
            str(self.errors),
        ]


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def _norm(s: str) -> str:
    return " ".join(s.split())


def load_cases(folder: Path, categories: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Every case of every ``<category>.jsonl`` in ``folder`` (optionally only some categories)."""
    wanted = set(categories or [])
    cases = []
    for path in sorted(folder.glob("*.jsonl")):
        if wanted and path.stem not in wanted:
            continue
        cases += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return cases


def conversation(case: dict[str, Any], fmt: str) -> tuple[list[dict[str, Any]], Any]:
    """The messages (and Anthropic system prompt) a case is measured on."""
    if case["category"] == "agent":
        return case["messages"], case.get("system")
    args = json.dumps({"source": case.get("source", "")})
    if fmt == "openai":
        return [
            {"role": "user", "content": case["query"]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "tool", "arguments": args}}],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": case["content"]},
        ], None
    return [
        {"role": "user", "content": [{"type": "text", "text": case["query"]}]},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "tool", "input": json.loads(args)}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": case["content"]}]},
    ], None


def measure(case: dict[str, Any], fmt: str, stats: CategoryStats) -> None:
    """Compress one case in one format and add its measurements to ``stats``."""
    messages, system = conversation(case, fmt)
    store = MemoryStore()
    t0 = time.perf_counter()
    try:
        result = compress(messages, MODELS[fmt], format=fmt, system=system, store=store)  # type: ignore[arg-type]
    except Exception:  # a benchmark reports failures, it does not stop on them
        stats.errors += 1
        return
    stats.seconds.append(time.perf_counter() - t0)
    stats.cases += 1
    stats.tokens_before += result.tokens_before
    stats.tokens_after += result.tokens_after
    raw = json.dumps(result.messages, ensure_ascii=False)
    inline_text = _norm(" ".join(_strings(result.messages)))
    retrieved = _norm(" ".join(retrieve(ref, store=store) for ref in find_refs(raw)))
    keep = case.get("must_keep") or []
    if keep:
        stats.recall_inline.append(sum(_norm(k) in inline_text for k in keep) / len(keep))
        stats.recall_retrieved.append(sum(_norm(k) in inline_text or _norm(k) in retrieved for k in keep) / len(keep))
    expected = CATEGORY_TYPES.get(case["category"])
    if expected and fmt == "openai":
        stats.routable += 1
        stats.routed += detect(case["content"]).type.value == expected


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


HEADER = [
    "category",
    "cases",
    "tokens before",
    "tokens after",
    "reduction",
    "recall inline",
    "recall w/ retrieval",
    "p50 ms",
    "p95 ms",
    "routing",
    "errors",
]


def render(stats: dict[str, CategoryStats]) -> str:
    """A markdown table, one row per category and a total row."""
    total = CategoryStats()
    for s in stats.values():
        total.cases += s.cases
        total.tokens_before += s.tokens_before
        total.tokens_after += s.tokens_after
        total.recall_inline += s.recall_inline
        total.recall_retrieved += s.recall_retrieved
        total.seconds += s.seconds
        total.routed += s.routed
        total.routable += s.routable
        total.errors += s.errors
    rows = [HEADER, ["---"] * len(HEADER)]
    rows += [s.row(name) for name, s in stats.items()] + [total.row("**all**")]
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)


@click.command("compression")
@click.option(
    "--cases",
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("../shared/bench/cases"),
    show_default=True,
    help="Folder of <category>.jsonl files.",
)
@click.option("--categories", default="", help="Comma-separated categories (default: all).")
@click.option("--format", "fmt", type=click.Choice(["openai", "anthropic", "both"]), default="both", show_default=True)
def compression(folder: Path, categories: str, fmt: str) -> None:
    """Reduction, recall, latency and routing accuracy per category on a folder of cases."""
    cases = load_cases(folder, [c for c in categories.split(",") if c])
    formats = ["openai", "anthropic"] if fmt == "both" else [fmt]
    stats: dict[str, CategoryStats] = defaultdict(CategoryStats)
    jobs = [(c, f) for c in cases for f in formats if c["category"] != "agent" or c.get("format") == f]
    progress = click.progressbar(length=len(jobs), label="compressing", file=sys.stderr)
    with progress as bar:
        for case, f in jobs:
            measure(case, f, stats[case["category"]])
            bar.update(1)
    click.echo(render(dict(stats)))
