"""Scoring text units by relevance to the task: the `SentenceScorer` protocol and its BM25 default.

`BM25Scorer` computes Okapi BM25 with real IDF over the document's own units (a term in every
sentence tells nothing; a rare one tells a lot), on lightly stemmed words so that "killed" meets
"killing". Query terms that look like entities or numbers (capitalised names, digits) weigh more,
and the question's form adds a small bonus for the kind of answer it asks for (a year for "when",
a number for "how many", a name for "who"). Other backends (embeddings, a token classifier) plug in
through `SentenceScorer`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from headroom.compressors._base import STOPWORDS, TaskContext
from headroom.compressors._terms import is_code_like, term_pattern, terms_of

_TOKEN = re.compile(r"\w+", re.UNICODE)
_QUERY_TOKEN = re.compile(r"\w+(?:[.'’-]\w+)*", re.UNICODE)
EXACT = "\u0001"  # prefix of a code-like term in the weights (a stem never starts with it)
_SUFFIXES = ("ing", "edly", "ed", "es", "s", "ly")
_EXTRA_STOPWORDS = frozenset(
    "about after also any been before being both could each had here him his her hers how many more "  # noqa: SIM905 (a word list reads best as words)
    "most much other our out over same she some such than them they those through too under until "
    "up very were while whom whose within without yet one two does did done".split()
)
_STOP = STOPWORDS | _EXTRA_STOPWORDS
_YEAR = re.compile(r"\b(?:1[0-9]{3}|20[0-9]{2})s?\b|\b\d{1,2}(?:st|nd|rd|th)? century\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d")
_NAME = re.compile(r"\s[A-Z][a-z]")  # a capitalised word inside a sentence
_ANSWER_KINDS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (re.compile(r"^\s*(?:when|what year|in what year|which year|what century)\b", re.I), _YEAR),
    (re.compile(r"\b(?:how many|how much|how long|how old|what percentage|how far)\b", re.I), _NUMBER),
    (re.compile(r"^\s*(?:who|whom|whose)\b", re.I), _NAME),
)


def stem(word: str) -> str:
    """A light, language-agnostic stem: lower-case, common English suffixes off, at most 7 chars."""
    w = word.lower()
    for suffix in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            break
    return w[:7]


def _arg_values(value: Any) -> Iterator[str]:
    """String and number values of tool arguments, at any depth (the keys are schema, not intent)."""
    if isinstance(value, Mapping):
        for v in value.values():
            yield from _arg_values(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _arg_values(v)
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
        yield str(value)


@dataclass(frozen=True)
class QueryTerms:
    """The task's query as weighted stems, plus the kind of answer its question form asks for."""

    weights: Mapping[str, float]
    answer: re.Pattern[str] | None = None

    @classmethod
    def of(cls, task: TaskContext, *, entity_boost: float = 1.5) -> QueryTerms:
        """Weighted stems of the query and the tool arguments' values."""
        text = " ".join([task.query, *_arg_values(task.tool_args)])
        weights: dict[str, float] = {}
        for i, word in enumerate(_QUERY_TOKEN.findall(text)):
            for part in _TOKEN.findall(word):
                if len(part) < 2 or part.lower() in _STOP:
                    continue
                entity = any(c.isdigit() for c in part) or (i > 0 and part[0].isupper()) or part.isupper()
                s = stem(part)
                weights[s] = max(weights.get(s, 0.0), entity_boost if entity else 1.0)
        # Flags, versions and dotted names count as themselves too, found as exact substrings.
        for term in terms_of(text):
            if is_code_like(term):
                weights[EXACT + term] = entity_boost
        answer = next((kind for form, kind in _ANSWER_KINDS if form.search(task.query)), None)
        return cls(weights=dict(sorted(weights.items())), answer=answer)


def _query_bags(units: Sequence[str], weights: Mapping[str, float]) -> list[Counter[str]]:
    """Counts of the query's stems in each unit.

    One regular expression finds the words that start like a query stem (C speed, whatever the
    text's size); only those few words are stemmed and compared.
    """
    stemmed = sorted((t for t in weights if not t.startswith(EXACT)), key=lambda t: (-len(t), t))
    alternatives = "|".join(re.escape(t) for t in stemmed) or "(?!)"
    candidates = re.compile(rf"\b(?:{alternatives})\w*", re.IGNORECASE)
    exact = term_pattern(t[len(EXACT) :] for t in weights if t.startswith(EXACT))
    stems: dict[str, str] = {}
    bags: list[Counter[str]] = []
    empty: Counter[str] = Counter()
    for unit in units:
        found = candidates.findall(unit)
        codes = exact.findall(unit.lower()) if exact is not None else []
        if not found and not codes:
            bags.append(empty)
            continue
        bag: Counter[str] = Counter(EXACT + c for c in codes)
        for word in found:
            s = stems.get(word)
            if s is None:
                s = stems[word] = stem(word)
            if s in weights:
                bag[s] += 1
        bags.append(bag)
    return bags


class SentenceScorer(Protocol):
    """Scores text units by relevance to the task; higher is more relevant, 0 is unrelated.

    Implementations are deterministic and cost linear time in the total text length.
    """

    def score(self, units: Sequence[str], task: TaskContext) -> list[float]:
        """One non-negative score per unit, in order."""
        ...


@dataclass(frozen=True)
class BM25Scorer:
    """Okapi BM25 of the task's terms against each unit, IDF computed over the units themselves.

    Attributes:
        k1: term-frequency saturation.
        b: length normalisation.
        entity_boost: weight of query terms that look like names or numbers (others weigh 1).
        answer_bonus: added, as a share of the best score, to units holding the kind of answer the
            question asks for (a year for "when", a number for "how many", a name for "who") when
            they also match the query.
    """

    k1: float = 1.2
    b: float = 0.75
    entity_boost: float = 1.5
    answer_bonus: float = 0.15

    def score(self, units: Sequence[str], task: TaskContext) -> list[float]:
        """BM25 per unit (0 for every unit when the task has no terms)."""
        query = QueryTerms.of(task, entity_boost=self.entity_boost)
        if not query.weights or not units:
            return [0.0] * len(units)
        bags = _query_bags(units, query.weights)
        lengths = [u.count(" ") + 1 for u in units]  # words, near enough
        df: Counter[str] = Counter()
        for bag in bags:
            df.update(bag.keys())
        n = len(units)
        avg = sum(lengths) / n or 1.0
        idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in query.weights}
        scores = []
        for bag, length in zip(bags, lengths, strict=True):
            norm = self.k1 * (1 - self.b + self.b * length / avg)
            tf = sorted(bag.items())
            scores.append(sum(query.weights[t] * idf[t] * f * (self.k1 + 1) / (f + norm) for t, f in tf))
        return self._answer_kind(units, scores, query)

    def _answer_kind(self, units: Sequence[str], scores: list[float], query: QueryTerms) -> list[float]:
        best = max(scores)
        if query.answer is None or best <= 0:
            return scores
        bonus = self.answer_bonus * best
        return [s + bonus if s > 0 and query.answer.search(u) else s for u, s in zip(units, scores, strict=True)]


def describe(task: TaskContext, limit: int = 80) -> str:
    """What the task asked, for markers: the query when short, else its most specific words."""
    query = " ".join(task.query.split())
    if query and len(query) <= limit:
        return f'"{query}"'
    text = " ".join([query, *_arg_values(task.tool_args)])
    words: dict[str, bool] = {}
    seen: set[str] = set()
    for w in _QUERY_TOKEN.findall(text):
        if len(w) > 2 and w.lower() not in _STOP and w.lower() not in seen:
            seen.add(w.lower())
            words[w] = any(c.isdigit() or c.isupper() or c == "_" for c in w[1:]) or w[0].isupper()
    ranked = sorted(words, key=lambda w: not words[w])[:6]  # stable: specific words first, then order
    return "the task's terms " + ", ".join(ranked) if ranked else "the task"
