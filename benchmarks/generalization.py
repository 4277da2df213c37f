"""Generalization benchmark: the same measurement on the dev split, on our own cases, and per source.

Runs the shared harness (``../shared/bench/run_bench.py``: its adapter loading, per-case evaluation
and aggregation; nothing here re-implements a metric) over

* the shared dev split;
* our own cases in ``benchmarks/cases`` (real program output from this machine; see its README);
* leave-one-source-out folds of the dev split: the dev cases grouped by the source their metadata
  names (``owner/repo`` before the first ``:``; the assembled agent conversations form one group).
  Nothing is fitted per fold, so a fold's held-out figures are the compressor's figures on that
  source alone, shown beside the figures on all the other sources. The worst fold is the one with
  the lowest inline recall; a change that raises the dev split but lowers the worst fold is a
  regression.

For each it prints reduction (tokens over every text the model reads, cl100k), inline recall of
``must_keep``, recall once every marker is redeemed, and structural breaks (roles, tool-call ids,
JSON that no longer parses), overall and per category, against the targets of issue 14.

Usage, from the project root::

    uv run --package headroom-core python benchmarks/generalization.py [--runs 1] [--out bench-results/gen]
    uv run --package headroom-core python benchmarks/generalization.py --levels safe,balanced,max
    HEADROOM_BENCH_KWARGS='{"level": "max"}' uv run ... python benchmarks/generalization.py

Each case is compressed ``--runs`` times (default 1: the cold, first compression) in each format it
applies to (agent cases in their own). ``--levels`` runs once per ``compress(level=...)`` value and
prints one comparison table instead. ``--json PATH`` writes every per-case record; ``--baseline PATH``
compares with such a file from an earlier run (overall, the worst fold, and every case that lost recall).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import click

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "bench"
OWN_CASES = ROOT / "benchmarks" / "cases"
FORMATS = ("openai", "anthropic")
# Issue 14's targets: inline recall per category (overall 97 %) and reduction floors.
INLINE_TARGET = {"json": 0.98, "*": 0.95, "ALL": 0.97}
REDUCTION_FLOOR = {
    "logs": 0.55,
    "json": 0.75,
    "code": 0.45,
    "diff": 0.35,
    "html": 0.75,
    "search": 0.55,
    "text": 0.50,
    "agent": 0.50,
    "ALL": 0.65,
}

Record = dict[str, Any]


def load_harness(path: Path) -> ModuleType:
    """The shared harness as a module (it is a script, not a package)."""
    if not path.exists():
        sys.exit(f"generalization.py needs the shared harness at {path} (pass --harness)")
    spec = importlib.util.spec_from_file_location("run_bench", path)
    if spec is None or spec.loader is None:
        sys.exit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def source_of(case: dict[str, Any]) -> str:
    """The group a dev case belongs to: the repository its source names, or "assembled"."""
    source = str(case.get("source", ""))
    if source.startswith("assembled"):
        return "assembled"
    return source.split(":", 1)[0].strip() or "unknown"


def evaluate(rb: ModuleType, adapter: ModuleType, cases: list[dict[str, Any]], runs: int, label: str) -> list[Record]:
    """One harness record per case and format, each tagged with the case's source group."""
    jobs = [(c, f) for c in cases for f in FORMATS if c["category"] != "agent" or c.get("format") == f]
    small = min((c for c in cases if c["category"] != "agent"), key=lambda c: c.get("tokens", 0), default=None)
    for fmt in FORMATS if small else ():  # warm-up (imports, tokenizer tables), as the harness does
        rb.call_compress(adapter, rb.wrap_case(small, fmt), fmt, 300)
    records: list[Record] = []
    with click.progressbar(jobs, label=f"{label:>5}", file=sys.stderr, show_pos=True) as bar:
        for case, fmt in bar:
            rec = rb.eval_case(adapter, case, fmt, runs, 300)
            if rec is not None:
                rec["source_group"] = source_of(case)
                records.append(rec)
    return records


def breaks(agg: dict[str, Any]) -> int:
    """Cases whose output broke the conversation's structure (errors counted on their own)."""
    return int(agg["cases"] - agg["errors"] - agg["structurally_valid"])


def _mark(ok: bool) -> str:
    return "" if ok else " ✗"


def row(rb: ModuleType, name: str, agg: dict[str, Any], category: str | None) -> str:
    """One markdown table row; ✗ marks a figure below issue 14's target for that category."""
    inline = agg["recall_inline_mean"]
    target = INLINE_TARGET.get(category or "ALL", INLINE_TARGET["*"])
    floor = REDUCTION_FLOOR.get(category or "ALL", 0.0)
    cells = [
        name,
        str(agg["cases"]),
        f"{agg['tokens_before']:,}",
        f"{agg['tokens_after']:,}",
        rb.fmt_pct(agg["reduction_total"]) + _mark(agg["reduction_total"] >= floor),
        rb.fmt_pct(inline) + _mark(inline is not None and inline >= target),
        rb.fmt_pct(agg["recall_retrieval_mean"]) + _mark(agg["recall_retrieval_mean"] == 1.0),
        f"{agg['cases_full_inline_recall']}/{agg['cases'] - agg['errors']}",
        str(breaks(agg)) + _mark(breaks(agg) == 0),
        str(agg["errors"]),
        _latency(agg["ms_per_10k_tokens_median"], 10.0),
        _latency(None if agg["latency_p95_s"] is None else 1000 * agg["latency_p95_s"], 100.0),
    ]
    return "| " + " | ".join(cells) + " |"


def _latency(ms: float | None, limit: float) -> str:
    return "–" if ms is None else f"{ms:.1f}" + _mark(ms <= limit)


HEADER = (
    "| {first} | cases | tokens before | tokens after | reduction | inline recall | with retrieval"
    " | full-recall cases | structural breaks | errors | ms per 10k tokens (median) | p95 ms |"
    "\n|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def grouped(records: Iterable[Record], key: Callable[[Record], str]) -> dict[str, list[Record]]:
    groups: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        groups[key(r)].append(r)
    return dict(groups)


def category_table(rb: ModuleType, title: str, records: list[Record]) -> str:
    """Overall and per-category figures of one set of records."""
    by_cat = grouped(records, lambda r: str(r["category"]))
    lines = [f"### {title}", "", HEADER.format(first="category")]
    lines += [row(rb, c, rb.aggregate(by_cat[c]), c) for c in rb.CATEGORIES if c in by_cat]
    lines.append(row(rb, "**all**", rb.aggregate(records), None))
    return "\n".join(lines)


def fold_table(rb: ModuleType, records: list[Record]) -> tuple[str, str]:
    """Leave-one-source-out: each source held out against the rest, worst first; and the worst's name."""
    folds = grouped(records, lambda r: str(r["source_group"]))
    scored = []
    for source, held in folds.items():
        rest = [r for r in records if r["source_group"] != source]
        scored.append((rb.aggregate(held), rb.aggregate(rest), source))
    scored.sort(key=lambda t: (t[0]["recall_inline_mean"] or 0.0, t[0]["reduction_total"]))
    lines = [
        "### Leave-one-source-out folds of the dev split (held-out source vs. the other sources)",
        "",
        "| held-out source | cases | categories | reduction | inline recall | with retrieval | breaks"
        " | rest: reduction | rest: inline | inline gap |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for held, rest, source in scored:
        cats = ",".join(sorted({str(r["category"]) for r in folds[source]}))
        gap = (held["recall_inline_mean"] or 0.0) - (rest["recall_inline_mean"] or 0.0)
        lines.append(
            f"| {source} | {held['cases']} | {cats} | {rb.fmt_pct(held['reduction_total'])} | "
            f"{rb.fmt_pct(held['recall_inline_mean'])} | {rb.fmt_pct(held['recall_retrieval_mean'])} | "
            f"{breaks(held)} | {rb.fmt_pct(rest['reduction_total'])} | {rb.fmt_pct(rest['recall_inline_mean'])} | "
            f"{100 * gap:+.1f} pts |"
        )
    return "\n".join(lines), scored[0][2]


def misses(records: list[Record], limit: int = 12) -> str:
    """The cases with the lowest inline recall, and the first must_keep each lost."""
    worst = sorted(
        (r for r in records if not r.get("error") and (r["recall_inline"] or 0.0) < 1.0),
        key=lambda r: (r["recall_inline"], -r["reduction"]),
    )[:limit]
    if not worst:
        return ""
    lines = ["| case | format | reduction | inline | first missing |", "|---|---|---|---|---|"]
    for r in worst:
        miss = (r["missing_inline"] or [""])[0].replace("|", "\\|").replace("\n", " ")[:80]
        red, inline = 100 * r["reduction"], 100 * r["recall_inline"]
        lines.append(f"| {r['id']} | {r['format']} | {red:.0f}% | {inline:.0f}% | `{miss}` |")
    return "\n".join(lines)


def report(rb: ModuleType, dev: list[Record], own: list[Record]) -> str:
    """Every table, as markdown."""
    parts = []
    if dev:
        parts.append(category_table(rb, "Dev split (shared)", dev))
    if own:
        parts.append(category_table(rb, "Own cases (benchmarks/cases, real output from this machine)", own))
    if dev:
        folds, worst = fold_table(rb, dev)
        parts.append(folds)
        held = [r for r in dev if r["source_group"] == worst]
        parts.append(category_table(rb, f"Worst fold: {worst} held out", held))
    for title, records in (("Lowest inline recall, own cases", own), ("Lowest inline recall, dev", dev)):
        table = misses(records)
        if table:
            parts.append(f"### {title}\n\n{table}")
    parts.append(
        "✗: below issue 14's target (inline ≥ 95 %, JSON ≥ 98 %, overall ≥ 97 %; the reduction floors;"
        " 100 % with retrieval; 0 breaks; cold median ≤ 10 ms per 10k tokens, p95 ≤ 100 ms per case)."
        " Cases are counted per format (agent cases in their own); latency is each case's first compression."
    )
    return "\n\n".join(parts) + "\n"


def level_table(rb: ModuleType, runs: dict[str, tuple[list[Record], list[Record]]]) -> str:
    """One row per level and split: reduction / inline recall overall and per category, and the worst fold."""
    cats = [c for c in rb.CATEGORIES if any(r["category"] == c for d, o in runs.values() for r in d + o)]
    lines = [
        "### Per level (reduction / inline recall)",
        "",
        "| level | split | all | " + " | ".join(cats) + " | breaks | errors | worst fold (inline) |",
        "|---|---|---|" + "---|" * len(cats) + "---|---|---|",
    ]
    for level, (dev, own) in runs.items():
        for split, records in (("dev", dev), ("own", own)):
            if not records:
                continue
            by_cat = grouped(records, lambda r: str(r["category"]))
            cells = [_pair(rb, rb.aggregate(records))] + [
                _pair(rb, rb.aggregate(by_cat[c])) if c in by_cat else "–" for c in cats
            ]
            worst = "–"
            if split == "dev":
                held = min(
                    grouped(records, lambda r: str(r["source_group"])).items(),
                    key=lambda kv: rb.aggregate(kv[1])["recall_inline_mean"] or 0.0,
                )
                worst = f"{held[0]} ({rb.fmt_pct(rb.aggregate(held[1])['recall_inline_mean'])})"
            agg = rb.aggregate(records)
            lines.append(
                f"| {level} | {split} | " + " | ".join(cells) + f" | {breaks(agg)} | {agg['errors']} | {worst} |"
            )
    return "\n".join(lines)


def _pair(rb: ModuleType, agg: dict[str, Any]) -> str:
    return f"{rb.fmt_pct(agg['reduction_total'])} / {rb.fmt_pct(agg['recall_inline_mean'])}"


def run_splits(
    rb: ModuleType, adapter_path: str, args: argparse.Namespace, kwargs: dict[str, Any]
) -> tuple[ModuleType, list[Record], list[Record]]:
    """Load the adapter with ``kwargs`` for compress() and evaluate the chosen splits."""
    os.environ["HEADROOM_BENCH_KWARGS"] = json.dumps(kwargs)  # the adapter reads it when loaded
    adapter = rb.load_adapter(adapter_path)
    cats = [c for c in args.categories.split(",") if c] or list(rb.CATEGORIES)
    splits = {s.strip() for s in args.splits.split(",")}
    label = str(kwargs.get("level", ""))[:5]
    dev = evaluate(rb, adapter, rb.load_cases(args.dev, cats), args.runs, label or "dev") if "dev" in splits else []
    own = (
        evaluate(rb, adapter, rb.load_cases(str(args.own), cats), args.runs, label or "own") if "own" in splits else []
    )
    return adapter, dev, own


def compare(rb: ModuleType, now: dict[str, list[Record]], before: dict[str, list[Record]]) -> str:
    """Change against an earlier ``--json`` run: overall figures, the worst dev fold, cases that lost recall."""
    lines = [
        "### Against the baseline",
        "",
        "| split | reduction | inline recall | worst fold (own: category) inline |",
        "|---|---|---|---|",
    ]
    lost = []
    for split in ("dev", "own"):
        a, b = before.get(split) or [], now.get(split) or []
        if not a or not b:
            continue
        old, new = rb.aggregate(a), rb.aggregate(b)
        worst = [
            min(rb.aggregate(g)["recall_inline_mean"] or 0.0 for g in grouped(rs, _fold_key(split)).values())
            for rs in (a, b)
        ]
        lines.append(
            f"| {split} | {_delta(old['reduction_total'], new['reduction_total'])} | "
            f"{_delta(old['recall_inline_mean'], new['recall_inline_mean'])} | {_delta(worst[0], worst[1])} |"
        )
        earlier = {(r["id"], r["format"]): r for r in a}
        for r in b:
            e = earlier.get((r["id"], r["format"]))
            if e and (r["recall_inline"] or 0.0) < (e["recall_inline"] or 0.0):
                lost.append(
                    f"- {r['id']} ({r['format']}): {100 * e['recall_inline']:.0f}% → {100 * r['recall_inline']:.0f}%"
                )
    return "\n".join(
        lines + (["", "Cases that lost inline recall:", *lost] if lost else ["", "No case lost inline recall."])
    )


def _fold_key(split: str) -> Callable[[Record], str]:
    """Dev is grouped by source (the folds); own cases, all from this machine, by category."""
    return (lambda r: str(r["source_group"])) if split == "dev" else (lambda r: str(r["category"]))


def _delta(old: float | None, new: float | None) -> str:
    if old is None or new is None:
        return "–"
    return f"{100 * old:.1f}% → {100 * new:.1f}% ({100 * (new - old):+.1f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--harness", type=Path, default=SHARED / "run_bench.py", help="the shared run_bench.py")
    ap.add_argument("--adapter", default=str(SHARED / "adapters" / "headroom_project.py"))
    ap.add_argument("--dev", default="dev", help="dev split name or folder of <category>.jsonl")
    ap.add_argument("--own", type=Path, default=OWN_CASES, help="folder of own cases")
    ap.add_argument("--splits", default="dev,own", help="which of dev,own to run")
    ap.add_argument("--categories", default="", help="comma-separated categories (default: all)")
    ap.add_argument("--runs", type=int, default=1, help="compressions per case and format (1 = cold)")
    ap.add_argument("--levels", default="", help="comma-separated compress(level=...) values to compare")
    ap.add_argument("--out", type=Path, default=None, help="also write the tables to this .md file")
    ap.add_argument("--json", type=Path, default=None, help="write every per-case record here")
    ap.add_argument("--baseline", type=Path, default=None, help="an earlier --json file to compare with")
    args = ap.parse_args()

    rb = load_harness(args.harness)
    base = json.loads(os.environ.get("HEADROOM_BENCH_KWARGS", "{}") or "{}")
    t0 = time.time()
    levels = [lv.strip() for lv in args.levels.split(",") if lv.strip()]
    if levels:
        runs = {lv: run_splits(rb, args.adapter, args, {**base, "level": lv})[1:] for lv in levels}
        text = level_table(rb, runs) + "\n"
        records: dict[str, Any] = {lv: {"dev": d, "own": o} for lv, (d, o) in runs.items()}
    else:
        adapter, dev, own = run_splits(rb, args.adapter, args, base)
        info: dict[str, Any] = getattr(adapter, "info", dict)()
        text = f"## Generalization: {getattr(adapter, 'NAME', args.adapter)} {json.dumps(info)}\n\n" + report(
            rb, dev, own
        )
        text += f"\n{len(dev)} dev and {len(own)} own records, {args.runs} run(s) each, {time.time() - t0:.0f} s.\n"
        records = {"dev": dev, "own": own}
        if args.baseline:
            text += "\n" + compare(rb, records, json.loads(args.baseline.read_text())) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(records, indent=1))


if __name__ == "__main__":
    main()
