"""SmartCrusher: JSON objects and arrays, cut to what the task needs and still valid JSON.

Two forms, the smaller that is good enough wins:

* lossless — compact JSON, arrays of same-keyed objects as ``{"columns": [...], "rows": [[...], ...]}``;
  used when that alone fits the budget or is much shorter than the original.
* lossy — the rows that matter (task matches ranked first, failures, anomalies, first and last rows),
  their fields by priority, long strings cut in place; one marker, inside the JSON (first element
  of the main array, or a ``"_headroom"`` key), says what was left out and names the ref that brings
  the original back. Kept rows of a re-ordered array carry their original position (``_index``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from headroom.compressors._base import Detection, TaskContext
from headroom.compressors._enumeration import SetQuestion
from headroom.compressors._json_links import holders, links
from headroom.compressors._json_numbers import FloatLiterals
from headroom.compressors._json_prune import PruneLimits, Pruner
from headroom.compressors._json_render import (
    MARKER_KEY,
    SENTINEL,
    Sizer,
    dumps,
    render,
    tabularize,
)
from headroom.compressors._json_repair import repair_truncated
from headroom.compressors._json_summary import summary
from headroom.compressors._json_text import (
    Matcher,
    Weights,
    key_vocabulary,
    standalone_terms,
    task_phrases,
    weigh,
)
from headroom.compressors._terms import mention_note, terms_of
from headroom.markers import format_marker

_MAX_LEAVES = 50_000


_FAILED = object()  # what `_parse` returns for text that is not JSON


def _parse(text: str, literals: FloatLiterals) -> Any:
    try:
        return literals.loads(text)
    except (ValueError, RecursionError):
        return _FAILED


def parse_lines(text: str, literals: FloatLiterals | None = None) -> list[Any] | None:
    """The values of JSON Lines text (two or more lines, each one JSON value), else None."""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if len(lines) < 2 or lines[0].lstrip()[:1] not in ("{", "["):
        return None
    literals = literals or FloatLiterals()
    rows = [_parse(ln, literals) for ln in lines]
    return None if any(r is _FAILED for r in rows) else rows


def _leaves(value: Any) -> list[Any]:
    out: list[Any] = []
    stack = [value]
    while stack and len(out) < _MAX_LEAVES:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(reversed(list(v.values())))
        elif isinstance(v, list):
            stack.extend(reversed(v))
        else:
            out.append(v)
    return out


def _children(v: Any) -> list[Any]:
    return list(v.values()) if isinstance(v, dict) else list(v) if isinstance(v, list) else []


def global_docs(value: Any, sizer: Sizer, main: list[Any] | None) -> list[Any]:
    """The documents a term's rarity is judged across: the main array's rows, else the first level
    with 4+ children, else the scalars."""
    if main is not None:
        return main
    node = value
    for _ in range(8):
        kids = _children(node)
        if len(kids) >= 4:
            return kids
        containers = [k for k in kids if isinstance(k, (dict, list)) and k]
        if not containers:
            break
        node = max(containers, key=sizer.size)
    return _leaves(value)


def main_array(value: Any, sizer: Sizer, max_depth: int = 4) -> tuple[list[Any] | None, frozenset[int]]:
    """The array holding most of the document (the root, or under its largest fields, at most
    ``max_depth`` levels down), if any, and the ids of the containers on the way down to it."""
    node, chain = value, [id(value)]
    for _ in range(max_depth):
        if isinstance(node, list):
            if len(node) >= 2:
                return node, frozenset(chain)
            if not node or not isinstance(node[0], (dict, list)):
                break
            node = node[0]
        else:
            kids = [k for k in _children(node) if isinstance(k, (dict, list)) and k]
            if not kids or sizer.size(max(kids, key=sizer.size)) < 0.5 * sizer.size(node):
                break
            node = max(kids, key=sizer.size)
        chain.append(id(node))
    return None, frozenset()


def _index_key(rows: list[Any] | None) -> str:
    taken = {k for r in rows or () if isinstance(r, dict) for k in r}
    return next(k for k in ("_index", "_headroom_index", "__index") if k not in taken)


@dataclass(frozen=True)
class SmartCrusher:
    """Compress JSON objects and arrays; see the module docstring.

    Attributes:
        budget_ratio: the lossy form aims at this share of the compact input's size...
        min_budget: ...but at least this many characters...
        max_budget: ...and at most this many (rows that match the task or failed may exceed it).
        lossless_ratio: the lossless form is used when it fits the budget, or when it is at most
            this share of the input and no longer than twice the budget or ``lossless_max``.
        lossless_max: see ``lossless_ratio`` (characters).
        limits: size limits of the lossy form.
    """

    name: str = "smart_crusher"
    budget_ratio: float = 0.15
    min_budget: int = 1500
    max_budget: int = 40_000
    lossless_ratio: float = 0.5
    lossless_max: int = 8000
    limits: PruneLimits = field(default_factory=PruneLimits)

    def scaled(self, factor: float) -> SmartCrusher:
        """This compressor with its budgets scaled by ``factor`` (see `headroom.CompressOptions.level`)."""
        return dataclasses.replace(
            self,
            budget_ratio=min(self.budget_ratio * factor, 0.9),
            min_budget=round(self.min_budget * factor),
            max_budget=round(self.max_budget * factor),
            lossless_max=round(self.lossless_max * factor),
        )

    def compress(self, text: str, *, ref: str, task: TaskContext, detection: Detection) -> str | None:
        """The JSON, smaller and still valid, or None when it is not JSON or cannot shrink."""
        if SENTINEL in text or "\\u0000headroom" in text:
            return None
        literals = FloatLiterals()  # numbers go back out as the input wrote them
        value = _parse(text, literals)
        try:
            if value is _FAILED:
                rows = parse_lines(text, literals)
                if rows:
                    return _restored(self._compress_lines(rows, text, ref, task), literals, text)
                repaired = repair_truncated(text)
                return self._compress_value(*repaired, text=text, ref=ref, task=task) if repaired else None
            if not isinstance(value, (dict, list)) or not value:
                return None
            return _restored(self._compress_value(value, 0, text=text, ref=ref, task=task), literals, text)
        except ValueError:  # NaN or Infinity were parsed; they are not JSON and cannot be written back
            return None
        except RecursionError:  # nested deeper than this process can walk: leave it as it is
            return None

    def _budget(self, size: int) -> int:
        return int(min(max(self.budget_ratio * size, self.min_budget), self.max_budget))

    def _compress_value(self, value: Any, cut: int, *, text: str, ref: str, task: TaskContext) -> str | None:
        """``value`` parsed from ``text`` (whose last ``cut`` characters were an incomplete item)."""
        sizer = Sizer()
        size = sizer.size(value)
        budget = self._budget(size)
        wanted = max(2 * budget, self.lossless_max)
        # The table form saves the repeated keys; far above what it may be, it is not worth building.
        lossless = render(tabularize(value, sizer)) if size <= 8 * wanted else render(value)
        small = len(lossless) <= wanted
        fits = len(lossless) <= budget or (small and len(lossless) <= self.lossless_ratio * len(text))
        if fits and not cut:
            return lossless if len(lossless) < len(text) else None
        pruned = self._prune(value, budget, ref, task, sizer, cut=cut)
        if pruned is None:
            return lossless if len(lossless) < len(text) else None
        out, marker, placed = pruned
        out = tabularize(out, Sizer())
        lossy = render(out if placed else _with_marker(out)).replace(dumps(SENTINEL), dumps(marker), 1)
        best = lossy if cut else min((lossy, lossless), key=len)  # a cut input always needs its marker
        return best if len(best) < len(text) else None

    def _compress_lines(self, rows: list[Any], text: str, ref: str, task: TaskContext) -> str | None:
        """JSON Lines in, JSON Lines out: kept rows one per line, the marker as a first line."""
        sizer = Sizer()
        pruned = self._prune(rows, self._budget(sizer.size(rows)), ref, task, sizer)
        if pruned is None:
            out = "\n".join(dumps(r) for r in rows)
            return out if len(out) < len(text) else None
        kept, marker, placed = pruned
        note = dumps({MARKER_KEY: marker})
        lines = [note if r == SENTINEL else dumps(r) for r in kept]
        out = "\n".join(lines if placed else [note, *lines])
        return out if len(out) < len(text) else None

    def _prune(
        self, value: Any, budget: int, ref: str, task: TaskContext, sizer: Sizer, *, cut: int = 0
    ) -> tuple[Any, str, bool] | None:
        """The lossy value, its marker, and whether the marker's place (`SENTINEL`) is already in it."""
        main, chain = main_array(value, sizer)
        # Words that name fields ("id", "status") select fields, by key; values select rows.
        docs = global_docs(value, sizer, main)
        matcher = Matcher(task.terms - key_vocabulary(value), task_phrases(task)).common_in(docs)
        standalone = standalone_terms(task, task_phrases(task))
        weights: Weights = weigh([matcher.hits(d) for d in docs]).phrase_led(standalone)
        matcher = matcher.only(weights)
        index_key = _index_key(main)
        phrases = frozenset(task_phrases(task))

        limits = self.limits
        if SetQuestion.of(task.query) is not None:  # the question asks for every matching row
            rows = dataclasses.replace(limits.rows, max_relevant=10 * limits.rows.max_relevant, relevant_share=0.0)
            limits = dataclasses.replace(limits, rows=rows)

        def pruned(linked: frozenset[str]) -> tuple[Any, Pruner]:
            pruner = Pruner(
                weights,
                matcher,
                limits,
                sizer,
                terms=task.terms,
                phrases=phrases,
                main=main,
                chain=chain,
                index_key=index_key,
                linked=linked,
                holders=holders(value, linked) if linked else frozenset(),
            )
            return pruner.value(value, budget, "", 0), pruner

        out, pruner = pruned(frozenset())
        # Values the kept part (or the question) names may key other parts: keep those too.
        linked = links(out, value, phrases)
        if linked:
            out, pruner = pruned(linked)
        note = summary(pruner.notes, index_key, _mentions(main, pruner.notes.main_indices, matcher, task))
        if cut:
            note = f"input cut off: its last {cut} characters (an incomplete item) left out" + (note and f"; {note}")
        if not note:
            return None
        return out, format_marker(ref, note), pruner.notes.main is not None


def _mentions(main: list[Any] | None, kept: frozenset[int], matcher: Matcher, task: TaskContext) -> str:
    """How many omitted rows of the main array hold terms of the question (see `Mentions`)."""
    asked = terms_of(task.query) & set(matcher.terms)
    if main is None or not asked:
        return ""
    found = [tuple(sorted(matcher.hits(r) & asked)) for i, r in enumerate(main) if i not in kept]
    return mention_note([f for f in found if f])


def _restored(out: str | None, literals: FloatLiterals, text: str) -> str | None:
    out = None if out is None else literals.restore(out)
    return out if out is not None and len(out) < len(text) else None


def _with_marker(value: Any) -> Any:
    if isinstance(value, dict):
        key = MARKER_KEY if MARKER_KEY not in value else MARKER_KEY + "_marker"
        return {key: SENTINEL, **value}
    return [SENTINEL, *value]
