"""Rendering a log cut: kept lines verbatim, in order, and markers for what was left out.

A marker costs about as much as a log line, so they are spent where they tell the most:

* an omitted run too short to be worth a marker is kept verbatim instead;
* a long omitted run (a "big gap") gets its own marker with its line range;
* a stretch of kept lines separated by several short omitted runs (errors a few lines apart, say),
  with the long run before it if there is one, gets one marker in front, naming the stretch's line
  range and how many of its lines are left out; its kept lines follow;
* a summary marker on top says how much of the log was left out, what was kept, and which
  templates repeat most among the omitted lines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from headroom.compressors._log_templates import Templates
from headroom.compressors._terms import Mentions
from headroom.markers import format_marker

Run = tuple[bool, int, int]  # (kept, start, end exclusive)


def _runs(n: int, keep: set[int]) -> Iterator[Run]:
    i = 0
    while i < n:
        kept = i in keep
        j = i
        while j < n and (j in keep) == kept:
            j += 1
        yield kept, i, j
        i = j


def fill_small_gaps(lines: list[str], keep: set[int], gap_chars: int) -> set[int]:
    """``keep`` plus every omitted run shorter than ``gap_chars`` characters."""
    out = set(keep)
    for kept, a, b in _runs(len(lines), keep):
        if not kept and sum(len(x) + 1 for x in lines[a:b]) <= gap_chars:
            out.update(range(a, b))
    return out


def _stretches(runs: list[Run], big_gap: int) -> list[list[Run]]:
    """Split the runs at big gaps: each big gap is a stretch of its own."""
    out: list[list[Run]] = [[]]
    for run in runs:
        kept, a, b = run
        if not kept and b - a >= big_gap:
            out += [[run], []]
        else:
            out[-1].append(run)
    stretches = [s for s in out if s]
    # A big gap right before a stretch that gets its own marker anyway joins that marker.
    merged: list[list[Run]] = []
    for stretch in stretches:
        if merged and len(merged[-1]) == 1 and not merged[-1][0][0] and _gaps(stretch) > 1:
            merged[-1] = merged[-1] + stretch
        else:
            merged.append(stretch)
    return merged


def _gaps(stretch: list[Run]) -> int:
    return sum(1 for kept, _, _ in stretch if not kept)


def render(
    lines: list[str],
    keep: set[int],
    templates: Templates,
    ref: str,
    *,
    big_gap: int,
    mentions: Mentions,
    note: str = "",
) -> str:
    """The kept lines with markers (see the module docstring)."""
    out: list[str] = []
    omitted: Counter[int] = Counter()
    runs = list(_runs(len(lines), keep))
    for stretch in _stretches(runs, big_gap):
        gaps = [(a, b) for kept, a, b in stretch if not kept]
        for a, b in gaps:
            omitted.update(t for t in templates.of_line[a:b] if t >= 0)
        if len(gaps) > 1:  # several short gaps: one marker for the whole stretch
            start, end = stretch[0][1], stretch[-1][2]
            if end - start == len(lines):  # the whole log: the summary marker says it all
                out += [lines[i] for kept, a, b in stretch if kept for i in range(a, b)]
                continue
            left = sum(b - a for a, b in gaps)
            summary = _with(
                f"lines {start + 1}-{end}: {left} omitted, {end - start - left} kept follow", mentions.note(*gaps)
            )
            out.append(format_marker(ref, summary, lines=(start + 1, end)))
            out += [lines[i] for kept, a, b in stretch if kept for i in range(a, b)]
            continue
        for kept, a, b in stretch:
            if kept:
                out += lines[a:b]
            else:
                out.append(format_marker(ref, _with(f"{b - a} lines omitted", mentions.note((a, b))), lines=(a + 1, b)))
    gaps = [(a, b) for kept, a, b in runs if not kept]
    head = f"log: {sum(b - a for a, b in gaps)} of {len(lines)} lines omitted" + (f" ({note})" if note else "")
    return "\n".join([_summary(_with(head, mentions.note(*gaps)), omitted, templates, ref, len(lines)), *out])


def _with(summary: str, note: str) -> str:
    return f"{summary} — {note}" if note else summary


def _summary(head: str, omitted: Counter[int], templates: Templates, ref: str, n: int) -> str:
    top = sorted(omitted.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    common = ", ".join(f"{c}× '{_short(templates.keys[t])}'" for t, c in top if c > 1)
    summary = head + "; kept: failures, warnings, rare lines, lines matching the task, first and last"
    if common:
        summary += f"; most omitted: {common}"
    return format_marker(ref, summary, lines=(1, n))


def _short(template: str, limit: int = 70) -> str:
    t = template.replace("'", '"')
    return t if len(t) <= limit else t[: limit - 1] + "…"
