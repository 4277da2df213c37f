"""Which rows of a JSON array survive, and in which order.

Rows relevant to the task (IDF-weighted terms and phrases of the query and tool arguments) come
first, best first; then failing rows (a few of each kind of failure), statistical anomalies, and
the first and last rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Literal

from headroom.compressors._json_signals import anomalies, change_point, failures, numeric_outliers
from headroom.compressors._json_text import PHRASE, Hits, Matcher, Weights, weigh

Why = Literal["task", "failure", "anomaly", "first", "last", "sample"]


@dataclass(frozen=True)
class RowLimits:
    """How many rows of each kind an array keeps.

    Attributes:
        max_relevant: rows matching the task.
        max_failures: failing rows in all.
        per_failure_kind: failing rows per kind of failure (the rest are counted in the marker).
        max_anomalies: statistical outliers, rare values, level shifts.
        head: first rows.
        tail: last rows.
        keep_all_share: when the picks reach this share of the rows, every row is kept.
        relevant_share: a row matches the task when its score reaches this share of the best score.
        max_full: rows (the best matches, then failures) that get the large per-row budget.
    """

    max_relevant: int = 12
    max_failures: int = 8
    per_failure_kind: int = 3
    max_anomalies: int = 6
    head: int = 2
    tail: int = 1
    keep_all_share: float = 0.6
    relevant_share: float = 0.35
    max_full: int = 3


@dataclass(frozen=True)
class Pick:
    """One kept row: its index in the original array, why it was kept, and how large it may stay."""

    index: int
    why: Why
    detail: str = ""
    score: float = 0.0
    full: bool = False


@dataclass(frozen=True)
class Selection:
    """The rows an array keeps, in output order."""

    n: int
    picks: tuple[Pick, ...]
    keep_all: bool
    matched: tuple[str, ...] = ()
    failures: tuple[tuple[str, int], ...] = ()
    failing: frozenset[int] = frozenset()

    def count(self, why: Why) -> int:
        """How many picks were kept for ``why``."""
        return sum(1 for p in self.picks if p.why == why)


def _failure_picks(rows: list[Any], limits: RowLimits) -> tuple[list[Pick], Counter[str], frozenset[int]]:
    kinds: Counter[str] = Counter()
    picks: list[Pick] = []
    found = failures(rows)
    for i, why in found:
        kinds[why] += 1
        if kinds[why] <= limits.per_failure_kind and len(picks) < limits.max_failures:
            picks.append(Pick(i, "failure", why))
    return picks, kinds, frozenset(i for i, _ in found)


def _scalar_anomalies(rows: list[Any]) -> dict[int, str]:
    nums = [(i, float(r)) for i, r in enumerate(rows) if isinstance(r, (int, float)) and not isinstance(r, bool)]
    if len(nums) < 0.8 * len(rows):
        return {}
    xs = [x for _, x in nums]
    out = {nums[j][0]: "outlier" for j in numeric_outliers(xs)}
    k = change_point(xs)
    if k is not None:
        out.setdefault(nums[k - 1][0], "before level shift")
        out.setdefault(nums[k][0], "level shift")
    return dict(sorted(out.items()))


def _anomaly_picks(rows: list[Any], limits: RowLimits) -> list[Pick]:
    found = anomalies(rows) if any(isinstance(r, dict) for r in rows) else _scalar_anomalies(rows)
    seen: set[str] = set()
    first: list[Pick] = []
    rest: list[Pick] = []
    for i, why in found.items():
        kind = why.split("=")[0]
        (rest if kind in seen else first).append(Pick(i, "anomaly", why))
        seen.add(kind)
    return (first + rest)[: limits.max_anomalies]


def _relevant_picks(scores: list[float], hits: list[Hits], w: Weights, limits: RowLimits) -> list[Pick]:
    best = max(scores, default=0.0)
    if best <= 0:
        return []
    ranked = sorted(
        (i for i, s in enumerate(scores) if s > 0 and s >= limits.relevant_share * best), key=lambda i: -scores[i]
    )
    # Each thing the task names keeps its best row, however it scores beside rows naming several.
    chosen = set(ranked[: limits.max_relevant])
    for term in sorted(w.of):
        # "pydantic" beside "pydantic-core": a row holding only the longer one does not count for it
        longer = [u for u in w.of if u != term and term.lstrip(PHRASE) in u]
        holding = [i for i, h in enumerate(hits) if term in h and not any(u in h for u in longer)]
        top = max(holding, key=lambda i: (scores[i], -i), default=None)
        if top is not None and top not in chosen and len(chosen) < limits.max_relevant:
            chosen.add(top)
            ranked.append(top)
    full_from = 0.5 * best
    return [
        Pick(i, "task", score=scores[i], full=k < limits.max_full and scores[i] >= full_from)
        for k, i in enumerate(i for i in ranked if i in chosen)
    ]


def select_rows(rows: list[Any], weights: Weights, matcher: Matcher, limits: RowLimits) -> Selection:
    """Pick the rows of ``rows`` worth keeping.

    Args:
        rows: the array's elements.
        weights: the task's term weights over the whole document (capped again across these rows:
            a term found in most of them carries no signal here).
        matcher: finds the task's terms in each row.
        limits: how many rows of each kind to keep.
    """
    n = len(rows)
    hits = [matcher.hits(r) for r in rows] if weights else []
    w = weigh(hits, only=weights) if n > 1 and weights else weights
    scores = [w.score(h) for h in hits] if weights else [0.0] * n
    picks = _relevant_picks(scores, hits, w, limits) if weights else []
    fails, kinds, failing = _failure_picks(rows, limits)
    for k, p in enumerate(fails):
        picks.append(Pick(p.index, p.why, p.detail, scores[p.index], full=k < limits.max_full))
    picks += _anomaly_picks(rows, limits)
    picks += [Pick(i, "first") for i in range(min(limits.head, n))]
    picks += [Pick(i, "last") for i in range(max(n - limits.tail, 0), n)]
    unique: dict[int, Pick] = {}
    for p in picks:
        unique.setdefault(p.index, p)
    # Best matches first, then failures, weaker matches, anomalies, the first and the last rows.
    rank = {"failure": 1, "task": 2, "anomaly": 3, "first": 4, "last": 5}
    kept = tuple(sorted(unique.values(), key=lambda p: (0 if p.why == "task" and p.full else rank[p.why], -p.score)))
    keep_all = n <= 3 or len(kept) >= limits.keep_all_share * n
    matched: list[str] = []
    for p in kept[:3]:
        if p.why == "task":
            matched += [m for m in w.matched(hits[p.index]) if m not in matched]
    return Selection(
        n=n,
        picks=kept,
        keep_all=keep_all,
        matched=tuple(matched[:3]),
        failures=tuple(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
        failing=failing,
    )


def with_samples(sel: Selection, count: int, keep_all_share: float = 1.0) -> Selection:
    """``sel`` plus up to ``count`` evenly spaced rows: when nothing matched the task, a
    representative sample shows the model what the array holds (and when the rows kept reach
    ``keep_all_share`` of the array, all of them are)."""
    taken = {p.index for p in sel.picks}
    if count <= 0 or sel.keep_all or sel.count("task"):
        return sel
    step = sel.n / (count + 1)
    extra = sorted({int((k + 1) * step) for k in range(count)} - taken)
    if not extra:
        return sel
    picks = (*sel.picks, *(Pick(i, "sample") for i in extra))
    return replace(sel, picks=picks, keep_all=len(picks) >= keep_all_share * sel.n)
