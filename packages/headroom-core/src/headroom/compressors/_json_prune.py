"""Cutting a parsed JSON value down to a size budget without rewriting what it keeps.

Objects keep their fields in priority order (fields that match the task, failures, identifiers,
short scalars, then nested values; links last) and in their original order. Arrays keep the rows
`select_rows` picks. Long strings keep their head and say how much was cut. What is left out is
tallied in `Notes` for the marker.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from headroom.compressors._json_links import with_links
from headroom.compressors._json_render import SENTINEL, Sizer
from headroom.compressors._json_rows import Pick, RowLimits, Selection, select_rows, with_samples
from headroom.compressors._json_signals import field_failure
from headroom.compressors._json_text import Matcher, Weights, key_words, weigh

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://\S*$", re.IGNORECASE)
_IDENTITY = frozenset(
    {"id", "uuid", "guid", "key", "name", "title", "login", "username", "email", "number", "status", "state"}
    | {"type", "kind", "message", "path", "method", "code", "version", "slug", "label", "ref", "sha", "tag"}
)
_KEY_TAIL = re.compile(r"[/.:@]")
TIER_TASK, TIER_FAILURE, TIER_NAMED, TIER_ID, TIER_LINK = 100.0, 90.0, 70.0, 60.0, 5.0
KEY_MATCH = 1.5


@dataclass(frozen=True)
class PruneLimits:
    """Size limits of the lossy form (characters of compact JSON).

    Attributes:
        str_cap: strings longer than this keep their head only.
        str_cap_relevant: the same for strings that match the task.
        brief_row: budget of a kept row that is not among the best matches or failures.
        full_row: least budget of a best-matching or failing row.
        full_row_max: most budget of one such row.
        min_sub: a nested value given less room than this is left out rather than cut.
        large: a nested value the task does not touch and larger than this is cut to a skeleton
            (objects) or left out (arrays) even when it would fit.
        relevant_share: a field matches the task when its score reaches this share of the best field's.
        sample_share: when no row of the main array matches the task, evenly spaced rows fill up
            to this share of the budget.
        rows: how many rows of each kind an array keeps.
    """

    str_cap: int = 160
    str_cap_relevant: int = 2000
    brief_row: int = 360
    full_row: int = 1500
    full_row_max: int = 3000
    min_sub: int = 60
    large: int = 500
    relevant_share: float = 0.35
    sample_share: float = 0.5
    rows: RowLimits = field(default_factory=RowLimits)


@dataclass
class Notes:
    """What the lossy form left out, for the marker's summary."""

    fields: Counter[str] = field(default_factory=Counter)
    cut_strings: int = 0
    cut_lists: int = 0
    main: Selection | None = None
    main_kept: int = 0
    main_ranked: bool = True
    main_indices: frozenset[int] = frozenset()  # the main array's rows that were kept


def _label(d: dict[str, Any], keys: list[str]) -> int | None:
    """The field that names a row: a short value leading it (rows lead with their name or id), else
    its first short identity field."""
    if keys and _short(d[keys[0]]) and not _URL.match(str(d[keys[0]])):
        return 0
    return next((i for i, k in enumerate(keys) if str(k).lower() in _IDENTITY and _short(d[k])), None)


def _short(v: Any) -> bool:
    return isinstance(v, (str, int)) and not isinstance(v, bool) and len(str(v)) <= 100


class Pruner:
    """Prunes one document; holds the task's weights and the tallies of what it left out."""

    def __init__(
        self,
        weights: Weights,
        matcher: Matcher,
        limits: PruneLimits,
        sizer: Sizer,
        *,
        terms: frozenset[str],
        phrases: frozenset[str] = frozenset(),
        main: Any,
        chain: frozenset[int] = frozenset(),
        index_key: str,
        linked: frozenset[str] = frozenset(),
        holders: frozenset[int] = frozenset(),
    ) -> None:
        self.w = weights
        self.linked = linked  # values the kept part refers to: the map keys and row ids they name
        self.pinned = chain | holders  # containers kept whatever their tier: the way to the main array, links
        self.m = matcher
        self.task_terms = terms
        self.task_phrases = phrases
        self.limits = limits
        self.size = sizer.size
        self.main = main
        self.chain = chain  # ids of the containers from the root down to the main array
        self.full = True  # inside a row that matters (or outside any array): named fields stay whole
        self.index_key = index_key
        self.notes = Notes()

    # -- scalars -------------------------------------------------------------------------------

    def string(self, s: str, cap: int) -> str:
        """``s``, or its head plus a note of how much was cut when it is well over ``cap``."""
        if len(s) <= cap * 1.25 + 24:
            return s
        k = cap
        space = s.rfind(" ", int(cap * 0.8), cap)
        if space > 0:
            k = space
        self.notes.cut_strings += 1
        return f"{s[:k]}…[+{len(s) - k} chars]"

    def value(self, v: Any, budget: int, path: str, depth: int) -> Any:
        """``v`` cut down to about ``budget`` characters."""
        if isinstance(v, str):
            return self.string(v, min(self.limits.str_cap, max(budget, 40)))
        if isinstance(v, dict):
            return self.obj(v, budget, path, depth)
        if isinstance(v, list):
            return self.array(v, budget, path, depth)
        return v

    # -- objects -------------------------------------------------------------------------------

    def _relevance(self, d: dict[str, Any]) -> list[tuple[float, float]]:
        keys = list(d)
        named = [KEY_MATCH if str(k) in self.linked else self._named(str(k)) for k in keys]
        if not self.w and not self.task_phrases:
            return [(n, 0.0) for n in named]
        hits = [self.m.hits(d[k]) for k in keys]
        # A match shared by many fields (an id repeated in every link) does not point at a field.
        w = weigh(hits, share=0.25, only=self.w) if len(keys) >= 3 else self.w
        # A key that is one of the task's phrases ("/orders/{id}", an id) is what the task points at.
        raw = [
            w.score(h) + (3.0 if str(k).lower() in self.task_phrases else 0.0) for k, h in zip(keys, hits, strict=True)
        ]
        best = max(raw, default=0.0)
        return [(n, r if r >= self.limits.relevant_share * best else 0.0) for n, r in zip(named, raw, strict=True)]

    def _named(self, key: str) -> float:
        """How well the task names this key: all of its words (1.5), or only some (0.5 per word)."""
        kw = key_words(key)
        hit = kw & self.task_terms
        if not hit:
            return 0.0
        whole = key.lower() in hit or (len(kw) > 1 and kw - {key.lower()} <= hit)
        return KEY_MATCH if whole else 0.5 * len(hit)

    def _ends_with_term(self, key: str) -> bool:
        """Whether a map key is a path or name ending in a term of the task: ``node_modules/levn``
        for a question about ``levn``, ``refs/heads/main`` for one about ``main``."""
        tail = _KEY_TAIL.split(key.lower())[-1]
        return len(tail) >= 3 and tail != key.lower() and tail in self.task_terms

    def _tier(self, key: str, v: Any, rel: tuple[float, float]) -> float:
        named, matched = rel
        if matched > 0:
            return TIER_TASK + matched + named
        if field_failure(key, v):
            return TIER_FAILURE
        if named >= KEY_MATCH:
            return TIER_NAMED + named
        if named > 0:
            return 50.0 + named
        if isinstance(v, (dict, list)):
            return 30.0 if not v else 20.0
        if key.lower() in _IDENTITY:
            return TIER_ID
        if isinstance(v, bool):
            return 35.0
        if v is None or v == "":
            return 30.0
        if not isinstance(v, str):
            return 40.0
        if _URL.match(v):
            return TIER_LINK
        return 40.0 if len(v) <= 60 else 25.0 if len(v) <= 300 else 10.0

    def obj(self, d: dict[str, Any], budget: int, path: str, depth: int) -> dict[str, Any]:
        """The fields of ``d`` that fit ``budget``, highest priority first, in their original order.

        Fields that match the task or report a failure are always kept (long strings cut); nested
        values that match get a reserved share of the budget, the rest go after the scalars.
        """
        if self.size(d) <= budget:
            return d
        if len(d) >= 10 and sum(1 for v in d.values() if isinstance(v, dict)) >= 0.8 * len(d):
            return self._record_map(d, budget, path, depth)
        keys = list(d)
        rels = self._relevance(d)
        tiers = [self._tier(str(k), d[k], r) for k, r in zip(keys, rels, strict=True)]
        label = _label(d, keys)
        if label is not None and max(tiers) >= TIER_NAMED:  # a kept row that answers says which row it is
            tiers[label] = max(tiers[label], TIER_FAILURE)
        nested = [i for i, k in enumerate(keys) if isinstance(d[k], (dict, list)) and d[k]]
        flat = sorted(set(range(len(keys))) - set(nested), key=lambda i: (-tiers[i], i))
        must = [i for i in nested if tiers[i] >= TIER_FAILURE or id(d[keys[i]]) in self.pinned]
        reserve = min(sum(self.size(d[keys[i]]) for i in must), int(0.6 * budget))
        left = budget - 2 - reserve
        out: dict[str, Any] = {}
        left = self._scalars_of(d, keys, flat, tiers, left, out, path)
        rest = sorted(set(nested) - set(must), key=lambda i: (-(tiers[i] >= TIER_NAMED), self.size(d[keys[i]]), i))
        self._fill(d, keys, must, left + reserve, out, path, depth, keep=True)
        used = sum(len(str(keys[i])) + 4 + self.size(out[keys[i]]) for i in must)
        named = frozenset(i for i in rest if tiers[i] >= TIER_NAMED)
        self._fill(d, keys, rest, left + reserve - used, out, path, depth, keep=False, greedy=named)
        return {k: out[k] for k in keys if k in out}

    def _record_map(self, d: dict[str, Any], budget: int, path: str, depth: int) -> dict[str, Any]:
        """An object whose values are records (keyed by id or name) keeps the entries an array would."""
        keys, rows = list(d), list(d.values())
        sel = select_rows(rows, self.w, self.m, self.limits.rows)
        named = [
            i
            for i, k in enumerate(keys)
            if str(k) in self.linked
            or str(k).lower() in self.task_phrases
            or self._named(str(k)) >= KEY_MATCH
            or self._ends_with_term(str(k))
        ]
        picks = self._picks(sel, len(rows), False)
        picks = sorted(
            {p.index: p for p in [*picks, *(Pick(i, "task", full=True) for i in named)]}.values(), key=lambda p: p.index
        )
        kept = self._rows(rows, picks, budget, f"{path}.*".lstrip("."), depth)
        out = {keys[p.index]: r for p, r in zip(picks, kept, strict=True)}
        for k in keys:
            if k not in out:
                self._omit(path, k)
        return out

    def _scalars_of(
        self,
        d: dict[str, Any],
        keys: list[str],
        order: list[int],
        tiers: list[float],
        left: int,
        out: dict[str, Any],
        path: str,
    ) -> int:
        """Keep the scalar fields ``order`` lists while they fit; returns the budget left."""
        for i in order:
            k, v, tier = keys[i], d[keys[i]], tiers[i]
            # Matches and failures always stay; so do fields the task names, in rows that matter.
            sure = tier >= TIER_FAILURE or (tier >= TIER_NAMED and self.full)
            kept = v
            if isinstance(v, str):
                cap = self.limits.str_cap_relevant if sure else min(self.limits.str_cap, left)
                kept = self.string(v, max(cap, 40))
            cost = len(str(k)) + 4 + self.size(kept)
            # Links (API hypermedia, avatars) rarely answer anything: in a cut object they go first.
            if tier > TIER_LINK and (cost <= left or sure):
                out[k] = kept
                left -= cost
            else:
                self._omit(path, k)
        return left

    def _fill(
        self,
        d: dict[str, Any],
        keys: list[str],
        order: list[int],
        left: int,
        out: dict[str, Any],
        path: str,
        depth: int,
        *,
        keep: bool,
        greedy: frozenset[int] = frozenset(),
    ) -> None:
        for n, i in enumerate(order):
            k, v = keys[i], d[keys[i]]
            cost = len(str(k)) + 4
            share = (int(left * 0.8) if i in greedy else left // (len(order) - n)) - cost
            full = self.size(v)
            if not keep and i not in greedy and full > self.limits.large:
                # A large nested value the task does not touch: a skeleton of an object, no list.
                share = min(share, max(2 * self.limits.min_sub, full // 4)) if isinstance(v, dict) else 0
            if full <= share:
                out[k] = v
            elif keep or (share >= self.limits.min_sub and (isinstance(v, dict) or full <= 4 * share)):
                out[k] = self.value(v, max(share, self.limits.min_sub), f"{path}.{k}", depth + 1)
                if not out[k] and not keep:  # nothing of it fitted: say so instead of an empty {}
                    del out[k]
                    self._omit(path, k)
                    continue
            else:
                self._omit(path, k)
                continue
            left -= cost + self.size(out[k])

    def _omit(self, path: str, key: str) -> None:
        self.notes.fields[f"{path}.{key}".lstrip(".")] += 1

    # -- arrays --------------------------------------------------------------------------------

    def array(self, lst: list[Any], budget: int, path: str, depth: int) -> list[Any]:
        """The rows of ``lst`` worth keeping, within about ``budget`` characters.

        Object rows of the main array are ranked by relevance and carry their original position
        (``index_key``); other arrays keep their order and mark each gap in place.
        """
        if self.size(lst) <= budget:
            return lst
        is_main = lst is self.main
        sel = select_rows(lst, self.w, self.m, self.limits.rows)
        if sum(1 for x in lst if isinstance(x, (dict, list))) < 0.5 * len(lst):
            return self._scalars(lst, sel, budget, is_main)
        ranked = is_main and sum(1 for x in lst if isinstance(x, dict)) >= 0.5 * len(lst)
        if is_main:
            per_row = min(self.size(lst) / len(lst), self.limits.brief_row)
            room = int(self.limits.sample_share * budget / per_row) - len(sel.picks)
            sel = with_samples(sel, room, self.limits.rows.keep_all_share)
        picks = self._picks(with_links(sel, lst, self.linked), len(lst), ranked)
        out = self._rows(lst, picks, budget, path, depth)
        if len(picks) == len(lst):
            return out
        if not is_main:
            self.notes.cut_lists += 1
            return _gapped([p.index for p in picks], out, len(lst))
        self.notes.main, self.notes.main_kept, self.notes.main_ranked = sel, len(picks), ranked
        self.notes.main_indices = frozenset(p.index for p in picks)
        if not ranked:
            return [SENTINEL, *_gapped([p.index for p in picks], out, len(lst))]
        keyed = [{self.index_key: p.index, **r} if isinstance(r, dict) else r for p, r in zip(picks, out, strict=True)]
        return [SENTINEL, *keyed]

    @staticmethod
    def _picks(sel: Selection, n: int, ranked: bool) -> list[Pick]:
        if sel.keep_all:
            given = {p.index: p for p in sel.picks}
            return [given.get(i, Pick(i, "first")) for i in range(n)]
        return list(sel.picks) if ranked else sorted(sel.picks, key=lambda p: p.index)

    def _rows(self, lst: list[Any], picks: list[Pick], budget: int, path: str, depth: int) -> list[Any]:
        full = sum(1 for p in picks if p.full)
        brief = max(1, len(picks) - full)
        fb = min(max(self.limits.full_row, int(0.6 * budget / max(full, 1))), self.limits.full_row_max)
        bb = max(120, min(self.limits.brief_row, int(0.4 * budget / brief)))
        if not full and len(picks) == len(lst):  # every row stays: they share the whole budget
            bb = max(bb, budget // len(picks))
        row_path = "" if lst is self.main else path
        out = []
        outer = self.full
        for p in picks:
            self.full = outer and (p.full or len(picks) == 1)
            out.append(self.value(lst[p.index], fb if p.full else bb, row_path, depth + 1))
        self.full = outer
        return out

    def _scalars(self, lst: list[Any], sel: Selection, budget: int, is_main: bool) -> list[Any]:
        n = len(lst)
        keep = set(range(n)) if sel.keep_all else {p.index for p in sel.picks}
        hot = {p.index for p in sel.picks if p.why in ("task", "failure")}
        used = sum(self.size(lst[i]) + 1 for i in keep)
        for i in range(n):  # spend what is left of the budget on the first items
            if used >= budget:
                break
            if i not in keep:
                keep.add(i)
                used += self.size(lst[i]) + 1
        caps = (self.limits.str_cap_relevant, self.limits.str_cap)
        kept = sorted(keep)
        out = [self.value(lst[i], caps[i not in hot], "", 0) for i in kept]
        if len(kept) == n:
            return out
        if not is_main:
            self.notes.cut_lists += 1
            return _gapped(kept, out, n)
        self.notes.main, self.notes.main_kept, self.notes.main_ranked = sel, len(kept), False
        self.notes.main_indices = frozenset(kept)
        return [SENTINEL, *_gapped(kept, out, n)]


def _gapped(indices: list[int], items: list[Any], n: int) -> list[Any]:
    """``items`` (the elements at ``indices`` of an ``n``-long array) with a note in each gap."""
    order = sorted(range(len(indices)), key=lambda j: indices[j])
    out: list[Any] = []
    at = 0
    for j in order:
        if indices[j] > at:
            out.append(f"…[{indices[j] - at} items omitted]")
        out.append(items[j])
        at = indices[j] + 1
    if at < n:
        out.append(f"…[{n - at} items omitted]")
    return out
