"""Task matching for JSON values: which task terms and phrases a value holds, and IDF weights.

A term or phrase that occurs in most of the documents it is compared across (rows of an array,
fields of an object) carries no signal and weighs 0; a rare one weighs ``log(N / df)``.
`Matcher` finds the terms and phrases of every container once, bottom-up, so matching costs
linear time however deep the pruning goes.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from headroom.compressors._base import TaskContext
from headroom.compressors._terms import term_pattern, terms_of

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_QUOTED = re.compile(r"`([^`\n]{3,200})`|\"([^\"\n]{3,200})\"|“([^”\n]{3,200})”")
_SPECIFIC = re.compile(r"\d|\w[/.:@#=_-]\w|^/\w")
_EDGE = "\"'`.,;:!?()[]{}<>"
PHRASE = "\u0001"  # prefix of a phrase in a set of hits (a term never starts with it)
Hits = frozenset[str]
_NONE: Hits = frozenset()


@lru_cache(maxsize=8192)  # keys repeat in every row; a pure function of its argument
def key_words(key: str) -> frozenset[str]:
    """The lower-cased words of a key: ``"statusCode"`` → {status, code, statuscode}."""
    spaced = _CAMEL.sub("_", key).lower()
    parts = {p for p in re.split(r"[^a-z0-9]+", spaced) if p}
    return frozenset(parts | {key.lower()})


def words(text: str) -> set[str]:
    """The terms of ``text`` (see `headroom.compressors._terms`), with ``a_b`` split too."""
    out = terms_of(text, stopwords=frozenset())
    out.update(p for w in list(out) if "_" in w for p in w.split("_") if p)
    return out


def key_vocabulary(value: Any, limit: int = 20_000) -> frozenset[str]:
    """The words of every key in ``value`` (up to ``limit`` containers visited)."""
    seen: set[str] = set()
    stack: list[Any] = [value]
    visited = 0
    while stack and visited < limit:
        v = stack.pop()
        visited += 1
        if isinstance(v, dict):
            for k, x in v.items():
                if k not in seen:
                    seen.add(k)
                if isinstance(x, (dict, list)):
                    stack.append(x)
        elif isinstance(v, list):
            stack.extend(x for x in v if isinstance(x, (dict, list)))
    return frozenset(w for k in seen for w in key_words(str(k)))


def scalar_text(v: Any) -> str:
    """How a scalar reads in JSON, without quotes (``None`` → ``null``)."""
    if isinstance(v, str):
        return v
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _phrase_parts(chunk: str) -> Iterable[str]:
    for raw in chunk.split():
        tok = raw.strip(_EDGE).lower()
        if len(tok) < 4 or not _SPECIFIC.search(tok):
            continue
        yield tok
        if "://" in tok:  # a URL: its path also matches values that omit scheme and host
            path = tok.split("://", 1)[1].partition("/")[2]
            if len(path) >= 4:
                yield "/" + path
                tok = "/" + path
        if "?" in tok and len(tok.split("?", 1)[0]) >= 4:
            yield tok.split("?", 1)[0]


def _arg_strings(value: Any) -> Iterable[str]:
    if isinstance(value, Mapping):
        for v in value.values():
            yield from _arg_strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _arg_strings(v)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def standalone_terms(task: TaskContext, phrases: Iterable[str]) -> frozenset[str]:
    """The task's terms that occur outside its phrases (the query with the phrases blanked out)."""
    text = task.query.lower()
    for p in sorted(phrases, key=len, reverse=True):
        text = text.replace(p, " ")
    return frozenset(terms_of(text))


def task_phrases(task: TaskContext) -> tuple[str, ...]:
    """Specific strings of the task: ids, paths, URLs, dotted names, quoted multi-word text."""
    chunks = [task.query, *_arg_strings(task.tool_args)]
    found: set[str] = set()
    for chunk in chunks:
        chunk = chunk[:4000]
        for m in _QUOTED.finditer(chunk):
            quoted = next(g for g in m.groups() if g is not None).strip().lower()
            if " " in quoted and len(quoted) >= 6:
                found.add(quoted)
        found.update(_phrase_parts(chunk))
    return tuple(sorted(found))


class Matcher:
    """The task terms and phrases each value holds.

    A container is matched on its compact JSON text, written by the C encoder: terms never name
    keys (`key_vocabulary` takes those out), so reading the keys along does not change what is
    found. Results are memoised per container, holding it so its id stays unique, for the life
    of the matcher (one compression).
    """

    def __init__(self, terms: Iterable[str], phrases: Iterable[str]) -> None:
        self.terms = tuple(sorted(terms))
        self.phrases = tuple(sorted(phrases))
        self._memo: dict[int, tuple[Any, Hits]] = {}
        # A term counts as a whole word, or as a part of a snake_case word (see `term_pattern`).
        self._words = [(t, p) for t in self.terms if (p := term_pattern([t])) is not None]

    def only(self, weights: Weights) -> Matcher:
        """A matcher for just the terms and phrases that carry weight (the rest cannot change a score)."""
        keep = set(weights.of)
        return Matcher([t for t in self.terms if t in keep], [p for p in self.phrases if PHRASE + p in keep])

    def common_in(self, docs: Sequence[Any], sample: int = 1000) -> Matcher:
        """This matcher without the needles found in most of an even sample of ``docs``: they
        would weigh 0 anyway, and on a large array they are what makes matching slow."""
        if len(docs) <= 2 * sample:
            return self
        picked = docs[:: len(docs) // sample]
        df: dict[str, int] = {}
        for d in picked:
            for h in self.hits(d):
                df[h] = df.get(h, 0) + 1
        common = {h for h, c in df.items() if 2 * c > len(picked)}
        if not common:
            return self
        terms = [t for t in self.terms if t not in common]
        return Matcher(terms, [p for p in self.phrases if PHRASE + p not in common])

    def hits(self, value: Any) -> Hits:
        """The terms and phrases (prefixed with `PHRASE`) found in ``value``."""
        if not self.terms and not self.phrases:
            return _NONE
        if isinstance(value, str):
            return self._text(value)
        if not isinstance(value, (dict, list)):
            return self._text(scalar_text(value))
        known = self._memo.get(id(value))
        if known is not None:
            return known[1]
        found = self._text(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))
        self._memo[id(value)] = (value, found)
        return found

    def _text(self, text: str) -> Hits:
        low = text.lower()
        # A plain substring test first: it is much faster than the word-boundary pattern.
        found = [PHRASE + p for p in self.phrases if p in low]
        found += [t for t, word in self._words if t in low and word.search(low)]
        return frozenset(found) if found else _NONE


@dataclass(frozen=True)
class Weights:
    """Weights of task terms and phrases (keys prefixed with `PHRASE`) over one collection."""

    of: Mapping[str, float]

    def score(self, hits: Hits) -> float:
        """Summed weight of the hits; a phrase counts double."""
        # Summed in sorted order: a set's order changes between processes, float sums with it.
        return sum(w * (2 if h[0] == PHRASE else 1) for h in sorted(hits) if (w := self.of.get(h, 0.0)))

    def matched(self, hits: Hits) -> list[str]:
        """The weighted hits, heaviest first, phrases without their prefix (for summaries)."""
        found = [(self.of[h] * (2 if h[0] == PHRASE else 1), h.lstrip(PHRASE)) for h in hits if h in self.of]
        return [t for _, t in sorted(found, key=lambda f: (-f[0], f[1]))]

    def phrase_led(self, standalone: frozenset[str] = frozenset()) -> Weights:
        """Without the words of matched phrases: where a phrase matches, its words alone are noise,
        unless the task also names them on their own (``standalone``: "pydantic and pydantic-core")."""
        covered = {w for h in self.of if h[0] == PHRASE for w in words(h[1:])} - standalone
        return Weights({h: w for h, w in self.of.items() if h not in covered})

    def cap(self, other: Weights) -> Weights:
        """Each weight is the smaller of this one's and ``other``'s: signal must hold in both."""
        capped = {h: min(w, other.of.get(h, 0.0)) for h, w in self.of.items()}
        return Weights({h: w for h, w in capped.items() if w > 0})

    def __bool__(self) -> bool:
        return bool(self.of)


def _idf(n: int, df: int, share: float) -> float:
    # A term found in more than ``share`` of the documents says nothing about which one matters.
    return math.log(n / df) if df and (df <= share * n or df == 1) and df < n else 0.0


def weigh(docs: Sequence[Hits], *, share: float = 0.5, only: Weights | None = None) -> Weights:
    """IDF weights of every hit across ``docs`` (the hits of each document).

    Args:
        docs: the documents' hits.
        share: a hit found in more than this share of the documents (and in more than one)
            weighs 0.
        only: when given, weigh only its keys and cap the result by it (see `Weights.cap`).
    """
    df: dict[str, int] = {}
    for hits in docs:
        for h in hits:
            df[h] = df.get(h, 0) + 1
    w = {h: _idf(len(docs), d, share) for h, d in sorted(df.items())}
    out = Weights({h: x for h, x in w.items() if x > 0})
    return out.cap(only) if only is not None else out
