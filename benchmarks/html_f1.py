"""HTML extraction benchmark: token-level F1 of `HTMLExtractor`'s text against reference article text.

For every case of an ``html.jsonl`` file in the ``../shared/bench`` format (fields ``content``, the
page, and ``reference``, the text of the expected article), runs `HTMLExtractor` and compares the
bag of lower-cased word tokens of its output with the reference: precision, recall and F1. The
marker line is not page text and is left out; link targets are left out of the ``F1`` column (a
link's text is page text, its URL is not) and kept in ``F1 raw``. Also shows the share of each case's
``must_keep`` strings found verbatim (whitespace-normalised) and the token reduction.

Usage, from the project root::

    uv run --package headroom-core python benchmarks/html_f1.py [--cases FILE] [--show-missing]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from headroom.compressors import ContentType, Detection, HTMLExtractor, TaskContext
from headroom.markers import MARKER_RE
from headroom.tokens import get_tokenizer

DEFAULT_CASES = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "cases" / "html.jsonl"
REF = "0" * 16
_WORD = re.compile(r"\w+")
_LINK_TARGET = re.compile(r"\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*\)")


def f1(predicted: str, reference: str) -> tuple[float, float, float]:
    """Precision, recall and F1 of the bags of lower-cased word tokens."""
    p = Counter(w.lower() for w in _WORD.findall(predicted))
    r = Counter(w.lower() for w in _WORD.findall(reference))
    overlap = sum((p & r).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(r.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def _norm(s: str) -> str:
    return " ".join(s.split())


def run_case(case: dict[str, Any], extractor: HTMLExtractor, tokenizer: Any) -> dict[str, Any]:
    """Extract one case and measure it."""
    t0 = time.perf_counter()
    out = extractor.compress(
        case["content"],
        ref=REF,
        task=TaskContext(query=case.get("query", "")),
        detection=Detection(ContentType.HTML),
    )
    seconds = time.perf_counter() - t0
    raw = MARKER_RE.sub("", out or "")
    text = _LINK_TARGET.sub("]", raw)
    reference = case["reference"] if isinstance(case["reference"], str) else json.dumps(case["reference"])
    _, _, f_raw = f1(raw, reference)
    precision, recall, f = f1(text, reference)
    flat = _norm(raw)
    must = case.get("must_keep") or []
    found = [m for m in must if _norm(m) in flat]
    before = tokenizer.count(case["content"])
    return {
        "id": case["id"],
        "P": precision,
        "R": recall,
        "F1": f,
        "F1 raw": f_raw,
        "must_keep": len(found) / len(must) if must else 1.0,
        "missing": [m for m in must if m not in found],
        "reduction": 1 - tokenizer.count(out) / before if out else 0.0,
        "ms": seconds * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the per-case table and the means."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=Path, default=DEFAULT_CASES, help="an html.jsonl file")
    ap.add_argument("--show-missing", action="store_true", help="list must_keep strings not found")
    args = ap.parse_args(argv)
    cases = [json.loads(line) for line in args.cases.read_text(encoding="utf-8").splitlines() if line.strip()]
    cases = [c for c in cases if c.get("reference")]
    if not cases:
        print(f"no cases with a reference in {args.cases}", file=sys.stderr)
        return 1
    extractor, tokenizer = HTMLExtractor(), get_tokenizer("gpt-4o")
    cols = ["P", "R", "F1", "F1 raw", "must_keep", "reduction", "ms"]
    width = max(len(c["id"]) for c in cases)
    print(f"| {'case':<{width}} | " + " | ".join(f"{c:>9}" for c in cols) + " |")
    print(f"|{'-' * (width + 2)}|" + "|".join("-" * 11 for _ in cols) + "|")
    rows = []
    for case in cases:
        row = run_case(case, extractor, tokenizer)
        rows.append(row)
        cells = [f"{row[c]:>9.0f}" if c == "ms" else f"{row[c]:>9.3f}" for c in cols]
        print(f"| {row['id']:<{width}} | " + " | ".join(cells) + " |")
        if args.show_missing:
            for m in row["missing"]:
                print(f"    missing: {m[:100]!r}")
    means = [statistics.mean(r[c] for r in rows) for c in cols]
    cells = [f"{m:>9.0f}" if c == "ms" else f"{m:>9.3f}" for c, m in zip(cols, means, strict=True)]
    print(f"| {'mean (' + str(len(rows)) + ' cases)':<{width}} | " + " | ".join(cells) + " |")
    p95 = sorted(r["ms"] for r in rows)[max(0, round(0.95 * len(rows)) - 1)]
    print(f"\nmean F1 {means[2]:.3f} (target >= 0.90); p95 extraction time {p95:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
