"""Routing benchmark: how often content-type detection agrees with each case's category.

Runs `headroom.pipeline.detect.detect` over every case of a folder of ``<category>.jsonl`` files in
the ``../shared/bench`` format and prints a confusion table, the accuracy, the language accuracy of
code cases, and the detection time. Agent cases carry many tool outputs with no single label; they
are reported on their own: the assembled ones (whose tool outputs come, in order, from the dev cases
named in their ``source``) against those cases' categories, the rest as a distribution.

Usage, from the project root::

    uv run --package headroom-core python benchmarks/routing.py [--cases DIR] [--show-misses]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from headroom.bench.compression import CATEGORY_TYPES
from headroom.pipeline.detect import detect, split_sections

DEFAULT_CASES = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "cases"
EXPECTED = CATEGORY_TYPES  # bench category -> the content type it should route to
# The corpus names languages by file extension; detection names them the way tree-sitter does.
LANGUAGE_NAMES = {
    "py": "python",
    "js": "javascript",
    "mjs": "javascript",
    "jsx": "javascript",
    "ts": "typescript",
    "tsx": "tsx",
    "go": "go",
    "rs": "rust",
    "java": "java",
    "c": "c",
    "h": "c",
    "cc": "cpp",
    "cpp": "cpp",
    "hpp": "cpp",
    "cs": "csharp",
    "rb": "ruby",
    "php": "php",
    "sh": "bash",
    "bash": "bash",
}
TYPES = ["json", "code", "log", "search", "diff", "html", "text"]


def load_cases(folder: Path) -> list[dict[str, Any]]:
    """Every case of every ``*.jsonl`` file in ``folder``."""
    cases = []
    for path in sorted(folder.glob("*.jsonl")):
        with path.open(encoding="utf-8") as f:
            cases += [json.loads(line) for line in f if line.strip()]
    return cases


def tool_outputs(case: dict[str, Any]) -> list[str]:
    """The tool results of an agent case, in order (OpenAI ``tool`` messages, Anthropic ``tool_result``)."""
    out: list[str] = []
    for m in case.get("messages", []):
        content = m.get("content")
        if m.get("role") == "tool":
            out.append(content if isinstance(content, str) else json.dumps(content))
        elif isinstance(content, list):
            for b in content:
                if isinstance(b, dict) and b.get("type") == "tool_result":
                    c = b.get("content")
                    if isinstance(c, list):
                        c = "\n".join(x.get("text") or "" for x in c if isinstance(x, dict))
                    out.append(c if isinstance(c, str) else "")
    return out


def timed_detect(text: str, times: list[float]) -> tuple[str, str | None]:
    """Detect ``text``, record the seconds it took, return (type, language)."""
    t0 = time.perf_counter()
    d = detect(text)
    times.append(time.perf_counter() - t0)
    return d.type.value, d.language


def print_confusion(pairs: list[tuple[str, str]], title: str) -> None:
    """A confusion table: rows are expected types, columns detected types."""
    counts = Counter(pairs)
    rows = [t for t in TYPES if any(e == t for e, _ in pairs)]
    cols = [t for t in TYPES if any(g == t for _, g in pairs)]
    width = 8
    print(f"\n{title}")
    print("expected \\ detected".ljust(20) + "".join(c.rjust(width) for c in cols) + "correct".rjust(10))
    for r in rows:
        n = sum(counts[(r, c)] for c in cols)
        cells = "".join((str(counts[(r, c)]) if counts[(r, c)] else ".").rjust(width) for c in cols)
        print(r.ljust(20) + cells + f"{counts[(r, r)]}/{n}".rjust(10))
    right = sum(counts[(t, t)] for t in rows)
    print(f"accuracy: {right}/{len(pairs)} = {right / max(len(pairs), 1):.1%}")


def run(folder: Path, show_misses: bool) -> int:
    """Run the benchmark over ``folder``; return the process exit status."""
    cases = load_cases(folder)
    if not cases:
        print(f"no cases under {folder}", file=sys.stderr)
        return 2
    by_id = {c["id"]: c for c in cases}
    times: list[float] = []
    pairs: list[tuple[str, str]] = []
    misses: list[str] = []
    lang_right = lang_total = 0
    for case in cases:
        expected = EXPECTED.get(case["category"])
        if expected is None:
            continue
        got, language = timed_detect(case["content"], times)
        pairs.append((expected, got))
        if got != expected:
            misses.append(f"  {case['id']}: expected {expected}, got {got}")
        if case["category"] == "code" and case.get("language"):
            lang_total += 1
            want = LANGUAGE_NAMES.get(case["language"], case["language"])
            if language == want:
                lang_right += 1
            else:
                misses.append(f"  {case['id']}: language {want}, got {language}")
    print_confusion(pairs, f"Routing on {len(pairs)} labelled cases from {folder}")
    if lang_total:
        print(f"code language: {lang_right}/{lang_total} = {lang_right / lang_total:.1%}")
    agent_report(cases, by_id, times, misses)
    if times:
        print(
            f"detect time per block: median {statistics.median(times) * 1e3:.2f} ms, "
            f"max {max(times) * 1e3:.2f} ms over {len(times)} blocks"
        )
    if show_misses and misses:
        print("\nmisses:")
        print("\n".join(misses))
    return 0


def agent_report(
    cases: list[dict[str, Any]], by_id: dict[str, dict[str, Any]], times: list[float], misses: list[str]
) -> None:
    """Assembled agent cases against their source cases' categories; the others as a distribution."""
    pairs: list[tuple[str, str]] = []
    others: Counter[str] = Counter()
    sectioned = 0
    for case in cases:
        if case["category"] != "agent":
            continue
        outputs = tool_outputs(case)
        sources = case.get("source", "").split("assembled from dev cases ", 1)
        names = [s.strip() for s in sources[1].split(",")] if len(sources) == 2 else []
        for k, text in enumerate(outputs):
            got, _ = timed_detect(text, times)
            if len(split_sections(text)) > 1:
                sectioned += 1
            src = by_id.get(names[k]) if k < len(names) else None
            if src is not None and src["category"] in EXPECTED:
                pairs.append((EXPECTED[src["category"]], got))
                if got != EXPECTED[src["category"]]:
                    misses.append(f"  {case['id']} output {k}: expected {EXPECTED[src['category']]}, got {got}")
            else:
                others[got] += 1
    if pairs:
        print_confusion(pairs, "Agent cases, assembled tool outputs (label = the source case's category)")
    if others:
        dist = ", ".join(f"{t} {n}" for t, n in others.most_common())
        print(f"Agent cases, other tool outputs (no label): {sum(others.values())} blocks: {dist}")
        print(f"  blocks split into several sections: {sectioned}")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES, help="folder of <category>.jsonl files")
    parser.add_argument("--show-misses", action="store_true", help="list every misrouted case")
    args = parser.parse_args(argv)
    return run(args.cases, args.show_misses)


if __name__ == "__main__":
    sys.exit(main())
