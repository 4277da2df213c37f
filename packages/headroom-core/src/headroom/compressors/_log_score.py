"""What each log line is worth: severity, template rarity, task relevance, and repetition.

A line's base value grows with its severity, the rarity of its template and the task terms it holds
(each term weighted by its own rarity in the log: a term on most lines carries no signal). Every
further instance of a template is worth less than the one before — slowly for errors and warnings,
so several verbatim instances survive, fast for routine lines, so one example survives. Instances
are taken in an order spread over the whole log, task-relevant ones first.

Multi-line records (a log line and its stack frames or indented details) are valued as a unit: the
details of a record take the value of its head line the first time that record appears, and are
worth little when the same record (same templates, line for line) repeats.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter

from headroom.compressors._log_templates import Templates, spread_order
from headroom.compressors._terms import term_pattern

_SPREAD_PREFIX = 512  # instances of one template ordered by spread; the rest follow in log order
_NEGLIGIBLE = 1e-30  # past this weight an instance is worth nothing (a few hundred instances in)
_RECORD_DETAIL_LINES = 40  # details beyond this many lines of one record are valued on their own
_REPEAT_DETAIL = 0.2  # worth of a repeated record's details, relative to their own value


def record_heads(cont: list[bool]) -> list[int]:
    """For each line, the index of the head line of the record it belongs to."""
    heads: list[int] = []
    for i, c in enumerate(cont):
        heads.append(heads[-1] if c and heads else i)
    return heads


def relevance(text: str, terms: frozenset[str]) -> list[float]:
    """Per line of ``text``, the summed weight of the task terms it holds (at most 2).

    One pass of one regular expression over the whole text, so the cost does not grow with the
    number of terms times the number of lines.
    """
    n = text.count("\n") + 1
    low = text.lower()
    terms = frozenset(t for t in terms if t in low)  # only terms the log holds make the pattern
    if not terms:
        return [0.0] * n
    pattern = term_pattern(terms)
    if pattern is None:
        return [0.0] * n
    starts = [0]
    starts += [m.end() for m in re.finditer("\n", text)]
    hits: dict[int, set[str]] = {}
    for m in pattern.finditer(low):
        hits.setdefault(bisect.bisect_right(starts, m.start()) - 1, set()).add(m[0])
    df: Counter[str] = Counter(t for found in hits.values() for t in found)
    nonblank = max(sum(1 for line in text.split("\n") if line.strip()), 2)
    weight = {t: (math.log(nonblank / c) / math.log(nonblank) if c <= nonblank / 2 else 0.0) for t, c in df.items()}
    out = [0.0] * n
    for i, found in hits.items():
        out[i] = min(2.0, sum(weight[t] for t in sorted(found)))  # sorted: same float sum in any process
    return out


def _spread(positions: list[int]) -> list[int]:
    """``positions`` reordered: a spread-out prefix first, then the rest in log order."""
    head = [positions[j] for j in spread_order(len(positions), _SPREAD_PREFIX)]
    if len(head) == len(positions):
        return head
    chosen = set(head)
    return head + [p for p in positions if p not in chosen]


def _instance_order(members: tuple[int, ...], rel: list[float]) -> list[int]:
    """Positions in ``members``: task-relevant instances first (most relevant first), each tier
    spread over the log, then the other instances spread over the log."""
    tiers: dict[float, list[int]] = {}
    for k, i in enumerate(members):
        tiers.setdefault(rel[i], []).append(k)
    order: list[int] = []
    for r in sorted(tiers, reverse=True):
        order += _spread(tiers[r])
    return order


def line_values(templates: Templates, sev: list[float], rel: list[float], heads: list[int]) -> list[float]:
    """The value of every line (0 for blank lines)."""
    values = [0.0] * len(sev)
    total = max(sum(len(m) for m in templates.members), 2)
    for members in templates.members:
        rarity = math.log(total / len(members)) / math.log(total)
        decay = 0.45 + 0.12 * max(sev[i] for i in members)
        weight = 1.0
        for k in _instance_order(members, rel):
            i = members[k]
            values[i] = (1.0 + 2.0 * sev[i] + 2.0 * rarity + 2.0 * rel[i]) * weight
            weight = weight * decay if weight > _NEGLIGIBLE else 0.0
    _value_records(values, templates, heads)
    return values


def _value_records(values: list[float], templates: Templates, heads: list[int]) -> None:
    seen: Counter[tuple[int, ...]] = Counter()
    i, n = 0, len(heads)
    while i < n:
        j = i + 1
        while j < n and heads[j] == i:
            j += 1
        if j - i > 1:
            key = tuple(templates.of_line[i:j])
            seen[key] += 1
            for k in range(i + 1, j):
                if seen[key] > 1:
                    values[k] *= _REPEAT_DETAIL
                elif k - i <= _RECORD_DETAIL_LINES:
                    values[k] = max(values[k], values[i])
        i = j
