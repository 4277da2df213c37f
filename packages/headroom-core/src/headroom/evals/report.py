"""The results table: markdown for people, JSON for tools; rebuilt from the per-probe records file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from headroom.evals.harness import Record
from headroom.evals.scoring import Summary, summarize

__all__ = ["load_records", "markdown_table", "summaries", "write_report"]


def load_records(path: Path) -> list[Record]:
    """The records of a results file (a partial run's too)."""
    if not path.is_file():
        return []
    return [
        Record.from_json(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def summaries(records: Sequence[Record], *, margin: float, by: str | None = None) -> list[Summary]:
    """One row per suite (and per value of tag ``by`` under it), in first-seen order."""
    groups: dict[str, list[Record]] = {}
    for r in records:
        groups.setdefault(r.suite, []).append(r)
        if by and by in r.tags:
            groups.setdefault(f"{r.suite} · {r.tags[by]}", []).append(r)
    return [summarize(name, rs, margin=margin) for name, rs in groups.items()]


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def markdown_table(rows: Sequence[Summary], *, model: str, price_per_mtok: float) -> str:
    """The seed-style accuracy table."""
    margin = rows[0].margin if rows else 0.03
    lines = [
        f"model: `{model}` · accuracy in % · 95 % paired-bootstrap intervals · non-inferiority margin "
        f"{100 * margin:.0f} points · cost at ${price_per_mtok:g} per million input tokens",
        "",
        "| suite | n | original | compressed (95 % CI) | Δ (95 % CI) | non-inferior | context tokens saved |"
        " prompt tokens saved (with retrieval) | cost saved | retrievals / q | right inline | answer kept |",
        "|---|---:|---:|---:|---:|:-:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in rows:
        cost = (s.input_original - s.input_compressed) * price_per_mtok / 1e6
        lines.append(
            f"| {s.name} | {s.n} | {_pct(s.original)} | {_pct(s.compressed)} ({_pct(s.compressed_ci[0])}–"
            f"{_pct(s.compressed_ci[1])}) | {100 * (s.compressed - s.original):+.1f} ({100 * s.diff_ci[0]:+.1f} to "
            f"{100 * s.diff_ci[1]:+.1f}) | {'yes' if s.non_inferior else 'no'} | {_pct(s.saved)} % "
            f"({s.tokens_before:,} → {s.tokens_after:,}) | {_pct(s.input_saved)} % | ${cost:.4f} | "
            f"{s.retrievals:.2f} | {_pct(s.inline)} | {'–' if s.kept is None else _pct(s.kept)} |"
        )
    return "\n".join(lines) + "\n"


def write_report(
    out_dir: Path, records: Sequence[Record], *, model: str, margin: float, price_per_mtok: float, extra: dict[str, Any]
) -> str:
    """Write ``summary.json`` and ``table.md`` under ``out_dir``; return the markdown."""
    rows = summaries(records, margin=margin, by="group")
    table = markdown_table(rows, model=model, price_per_mtok=price_per_mtok)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "table.md").write_text(table, encoding="utf-8")
    payload = {"model": model, "margin": margin, "price_per_mtok": price_per_mtok, **extra}
    payload["rows"] = [{**asdict(s), "saved": s.saved, "input_saved": s.input_saved} for s in rows]
    (out_dir / "summary.json").write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return table
