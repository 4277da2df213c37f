"""Questions that ask for a set: "which packages were installed", "list each warning", "every error".

Keeping a few instances of each repeated template loses the answer to such a question, whose answer
is every instance. `SetQuestion` says whether a question asks for a set and which lines it points
at: lines holding its distinctive terms, and lines of the severity it names ("errors", "warnings").
A compressor then keeps every line of the templates those lines belong to, up to a budget; past it,
an even spread, and the marker says how many were kept of how many.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from headroom.compressors._terms import PHRASING, terms_of

_SET_WORDS = re.compile(r"\b(?:list|lists|listing|enumerate|each|every|all)\b", re.IGNORECASE)
# "which orders ...", "what warnings ...": which/what, then a plural noun within two words.
_WHICH_PLURAL = re.compile(r"\b(?:which|what)\s+(?:[\w-]+\s+){0,2}?([a-z][\w-]*[^s\W]s)\b", re.IGNORECASE)
# "what makes it fail", "which means the": a verb, not a plural noun, when an object follows it.
_OBJECT_AFTER = re.compile(r"\s+(?:it|its|the|a|an|this|that|these|those|them|us|me|you|him|her)\b", re.IGNORECASE)
_NOT_PLURAL = frozenset(
    "does has was is its this thus always perhaps unless less process access address class status success "  # noqa: SIM905 (a word list reads best as words)
    "progress alias analysis basis bus canvas gas plus previous various versus series news".split()
)
_ERROR_WORDS = frozenset("error errors failure failures failed fail fails exception exceptions crash crashes".split())  # noqa: SIM905
_WARNING_WORDS = frozenset("warning warnings warn warns".split())  # noqa: SIM905
_LEVEL_WORDS = _ERROR_WORDS | _WARNING_WORDS | frozenset(("event", "events", "line", "lines", "message", "messages"))
_ASKING = PHRASING | frozenset(("list", "lists", "listing", "enumerate"))


@dataclass(frozen=True)
class SetQuestion:
    """What a set question points at.

    Attributes:
        terms: its distinctive terms (lines holding one belong to the set).
        min_severity: lines at least this severe belong to the set (2 warning, 3 error); None when
            the question names no severity.
    """

    terms: frozenset[str]
    min_severity: int | None

    @classmethod
    def of(cls, query: str) -> SetQuestion | None:
        """The set ``query`` asks for, or None when it asks for something else."""
        if not _asks_for_set(query):
            return None
        words = terms_of(query)
        severity = 2 if words & _WARNING_WORDS else 3 if words & _ERROR_WORDS else None
        return cls(frozenset(words - _LEVEL_WORDS - _ASKING), severity)


def _asks_for_set(query: str) -> bool:
    if _SET_WORDS.search(query):
        return True
    return any(
        m[1].lower() not in _NOT_PLURAL and not _OBJECT_AFTER.match(query, m.end())
        for m in _WHICH_PLURAL.finditer(query)
    )
