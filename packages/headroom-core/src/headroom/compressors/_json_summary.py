"""The marker summary of a crushed JSON value: which rows were left out, which kept, and why."""

from __future__ import annotations

from collections import Counter

from headroom.compressors._json_prune import Notes
from headroom.compressors._json_rows import Selection

MAX_FIELD_GROUPS = 8


def _quote(term: str) -> str:
    return "'" + (term if len(term) <= 40 else term[:39] + "…") + "'"


def _kept(sel: Selection) -> list[str]:
    out = []
    task = sel.count("task")
    if task:
        terms = f" ({', '.join(_quote(t) for t in sel.matched)})" if sel.matched else ""
        out.append(f"{task} matching the task{terms}")
    fails = len(sel.failing & {p.index for p in sel.picks})
    if fails:
        total = sum(c for _, c in sel.failures)
        kinds = ", ".join(f"{k} ×{c}" for k, c in sel.failures[:3])
        out.append(f"{fails} of {total} failing ({kinds})" if total > fails else f"{fails} failing ({kinds})")
    odd = [p.detail for p in sel.picks if p.why == "anomaly"]
    if odd:
        noun = "anomaly" if len(odd) == 1 else "anomalies"
        out.append(f"{len(odd)} {noun} ({', '.join(odd[:2])}{', …' if len(odd) > 2 else ''})")
    samples = sel.count("sample")
    if samples:
        out.append(f"{samples} evenly spaced rows")
    out.append("the first and last rows")
    return out


def rows_part(sel: Selection, kept: int, ranked: bool, index_key: str, mentions: str = "") -> str:
    """``"17 of 20 rows omitted (3 mention "discount") — kept …"``."""
    note = f" ({mentions})" if mentions else ""
    head = f"{sel.n - kept} of {sel.n} rows omitted{note} — kept {', '.join(_kept(sel))}"
    if ranked:
        return f"{head}; kept rows ordered by relevance, {index_key} = position in the original"
    return f"{head}; kept items in original order, gaps marked"


def fields_part(fields: Counter[str]) -> str:
    """Left-out field paths, with keys sharing a suffix grouped: ``response.*_url (45)``."""
    by_parent: dict[str, dict[str, list[str]]] = {}
    for path in sorted(fields):
        parent, _, key = path.rpartition(".")
        suffix = key.rsplit("_", 1)[1] if "_" in key.strip("_") else ""
        by_parent.setdefault(parent, {}).setdefault(suffix, []).append(key)
    groups: list[tuple[int, int, str]] = []
    for parent, suffixes in by_parent.items():
        prefix = f"{parent}." if parent else ""
        depth = parent.count(".") + (1 if parent else 0)
        for suffix, keys in suffixes.items():
            if suffix and len(keys) >= 3:
                groups.append((len(keys), depth, f"{prefix}*_{suffix} ({len(keys)})"))
            else:
                groups.extend((1, depth, prefix + k) for k in keys)
    groups.sort(key=lambda g: (-g[0], g[1], g[2]))
    names = [g[2] if len(g[2]) <= 60 else "…" + g[2][-59:] for g in groups[:MAX_FIELD_GROUPS]]
    more = len(groups) - len(names)
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def summary(notes: Notes, index_key: str, mentions: str = "") -> str:
    """What the lossy form left out and what it kept, in one line (``mentions``: the note on how
    many omitted rows mention the question's terms)."""
    parts = []
    if notes.main is not None:
        parts.append(rows_part(notes.main, notes.main_kept, notes.main_ranked, index_key, mentions))
    if notes.fields:
        parts.append("fields left out of kept values: " + fields_part(notes.fields))
    if notes.cut_lists:
        parts.append(f"{notes.cut_lists} nested lists shortened")
    if notes.cut_strings:
        parts.append(f"{notes.cut_strings} long strings cut (head kept)")
    return "; ".join(parts)
