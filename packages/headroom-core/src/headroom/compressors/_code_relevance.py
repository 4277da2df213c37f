"""Which function bodies and comments the task needs verbatim.

A body is relevant when its function's name is a word of the task (the user's text and the tool
call's arguments), when it is the constructor of a type the task names, when it calls or is called
by such a function (one hop, functions of the same file only), or when it mentions a rare
identifier of the user's text (one in backticks, or shaped like code: ``snake_case``,
``camelCase``). Relevant bodies are kept up to a budget of lines, in that order of preference and
in file order within each tier. Comments that mention a rare identifier are kept whole.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from typing import Any

from headroom.compressors._base import STOPWORDS
from headroom.compressors._code_plan import Plan, Unit
from headroom.compressors._terms import terms_of

_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
# A call of a function of this file: a bare name, or a method called on self/this (a method
# called on another object is as likely to be another type's method of the same name).
_CALLER = rb"(?:(?<![\w$.>:])|(?<=self\.)|(?<=this\.)|(?<=cls\.)|(?<=Self::)|(?<=this->)|(?<=\)\.))"
_CALL = re.compile(_CALLER + rb"([A-Za-z_$][\w$]*)\s*(?:<[\w\s,<>\[\]?]*>\s*)?\(")
_TICKED = re.compile(r"`([^`\n]{1,200})`")
_CODE_SHAPED = re.compile(r"\b(?:[a-z]+[A-Z]\w*|[A-Z]\w*[a-z]\w*[A-Z]\w*|\w*[a-zA-Z]_\w+|_\w+)\b")
_CONSTRUCTORS = frozenset({"__init__", "__new__", "constructor", "initialize", "new"})
RARE_MAX = 4


_PATHLIKE = re.compile(r"^[\w.~-]*[/\\][\w./\\~-]*$|^[\w.-]+\.\w{1,5}$")


def _arg_strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _arg_strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _arg_strings(v)


def task_terms(query: str, tool_args: Mapping[str, Any]) -> frozenset[str]:
    """Lower-cased words of the query and of the tool arguments' values.

    Argument names and file paths are left out: a path names the file (often after its main
    type), not the part of it the task is about.
    """
    texts = [query]
    for value in _arg_strings(tool_args):
        texts.extend(tok for tok in value.split() if not _PATHLIKE.match(tok.strip("'\"")))
    return frozenset(t for text in texts for t in terms_of(text))


def key(name: str) -> str:
    """The name a task would use for a unit: its last identifier, lower-cased."""
    idents = _IDENT.findall(name)
    return idents[-1].lower() if idents else ""


def asked_identifiers(query: str) -> re.Pattern[str] | None:
    """A pattern for the identifiers the question names: code-shaped words and backticked names."""
    words = set(_CODE_SHAPED.findall(query))
    for span in _TICKED.findall(query):
        words.update(_IDENT.findall(span))
    words = {w for w in words if len(w) > 2 and w.lower() not in STOPWORDS}
    if not words:
        return None
    return re.compile(rf"(?<![\w$])(?:{'|'.join(re.escape(w) for w in sorted(words))})(?![\w$])")


def rare_identifiers(query: str, source: str) -> re.Pattern[str] | None:
    """A pattern for identifiers of ``query`` that occur in ``source`` at most a few times."""
    words = set(_CODE_SHAPED.findall(query))
    for span in _TICKED.findall(query):
        words.update(_IDENT.findall(span))
    rare = []
    for word in sorted(w for w in words if len(w) > 2 and w.lower() not in STOPWORDS):
        pattern = re.compile(rf"(?<![\w$]){re.escape(word)}(?![\w$])", re.IGNORECASE)
        hits = 0
        for _ in pattern.finditer(source):
            hits += 1
            if hits > RARE_MAX:
                break
        if 0 < hits <= RARE_MAX:
            rare.append(re.escape(word))
    if not rare:
        return None
    return re.compile(rf"(?<![\w$])(?:{'|'.join(rare)})(?![\w$])", re.IGNORECASE)


def _rows(unit: Unit) -> int:
    return unit.end - unit.start + 1


def _calls(source: bytes, unit: Unit) -> set[str]:
    a, b = unit.body
    return {m.decode("utf-8", "replace").lower() for m in _CALL.findall(source, a, b)}


def _callers(source: bytes, units: list[Unit], names: set[str]) -> list[int]:
    """Units whose bodies call one of ``names``: one scan of the source, then a lookup per unit."""
    if not names:
        return []
    alternatives = b"|".join(re.escape(n.encode()) for n in sorted(names))
    pattern = re.compile(rb"(?<![\w$])(?:" + alternatives + rb")\s*(?:<[\w\s,<>\[\]?]*>\s*)?\(", re.IGNORECASE)
    hits = [m.start() for m in pattern.finditer(source) if _own_call(source, m.start())]
    out = []
    for i, u in enumerate(units):
        k = bisect.bisect_left(hits, u.body[0])
        if k < len(hits) and hits[k] < u.body[1]:
            out.append(i)
    return out


_RECEIVERS = (b"self.", b"this.", b"cls.", b"Self::", b"this->", b").")


def _own_call(source: bytes, at: int) -> bool:
    """A bare call, or a call on self/this (a call on another object may be another type's method)."""
    before = source[max(at - 8, 0) : at]
    if not before or before[-1:] not in b".>:":
        return True
    for receiver in _RECEIVERS:
        if before.endswith(receiver):
            lead = before[: -len(receiver)][-1:]
            return not lead or not (lead.isalnum() or lead in b"_$")
    return False


def _direct(plan: Plan, keys: list[str], terms: frozenset[str]) -> list[int]:
    types = {t.lower() for t in plan.types if key(t) in terms}
    out = []
    for i, u in enumerate(plan.units):
        owner = (u.owner or "").lower()
        if keys[i] in terms or (owner in types and keys[i] in _CONSTRUCTORS | {owner}):
            out.append(i)
    return out


def relevant_units(
    plan: Plan, source: bytes, terms: frozenset[str], budget_rows: int, rare: re.Pattern[str] | None = None
) -> list[int]:
    """Indices of the units whose bodies stay verbatim, sorted."""
    units = plan.units
    if not units or not terms:
        return []
    keys = [key(u.name) for u in units]
    direct = _direct(plan, keys, terms)
    names = {keys[i] for i in direct}
    called: set[str] = set()
    for i in direct:
        called |= _calls(source, units[i])
    callees = [i for i, k in enumerate(keys) if k in called]
    callers = _callers(source, units, names)
    mentions = []
    if rare is not None:
        for i, u in enumerate(units):
            if rare.search(source[u.body[0] : u.body[1]].decode("utf-8", "replace")):
                mentions.append(i)
    return _within_budget(units, (direct, callees, callers, mentions), budget_rows)


def _within_budget(units: list[Unit], tiers: Iterable[list[int]], budget_rows: int) -> list[int]:
    chosen: dict[int, None] = {}
    used = 0
    for rank, tier in enumerate(tiers):
        for i in tier:
            if i in chosen:
                continue
            rows = _rows(units[i])
            if used + rows > budget_rows and (chosen or rank > 0):  # the first direct match always fits
                continue
            chosen[i] = None
            used += rows
    return sorted(chosen)
