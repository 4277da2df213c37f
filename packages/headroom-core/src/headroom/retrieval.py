"""Redeem refs: the whole original, only what matches a query, or a line range."""

from __future__ import annotations

import json
import re
from typing import Any

from headroom.compressors._json_numbers import FloatLiterals
from headroom.compressors._json_render import Sizer
from headroom.compressors._terms import terms_of
from headroom.compressors.json_crusher import main_array
from headroom.store import Entry

_RANGE = re.compile(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?")


def parse_lines(spec: str) -> tuple[int, int]:
    """``"120-180"`` → (120, 180); ``"42"`` → (42, 42). 1-based and inclusive.

    Raises:
        ValueError: for anything else, or a range whose start is after its end or below 1.
    """
    m = _RANGE.fullmatch(spec)
    if not m:
        raise ValueError(f"lines must look like '120-180' or '42', not {spec!r}")
    start, end = int(m[1]), int(m[2] or m[1])
    if start < 1 or end < start:
        raise ValueError(f"invalid line range {spec!r}: need 1 <= start <= end")
    return start, end


def _terms(query: str) -> list[str]:
    return sorted(terms_of(query)) or sorted(terms_of(query, stopwords=frozenset())) or query.lower().split()


def _matches(text: str, terms: list[str]) -> tuple[bool, bool]:
    low = text.lower()
    hits = [t in low for t in terms]
    return all(hits), any(hits)


def _select(items: list[str], terms: list[str]) -> list[int]:
    """Indices of items containing every term; failing that, any term."""
    flags = [_matches(s, terms) for s in items]
    every = [i for i, (a, _) in enumerate(flags) if a]
    return every or [i for i, (_, b) in enumerate(flags) if b]


def _json_rows(content: str, literals: FloatLiterals) -> list[Any] | None:
    """The rows a query filters: the document itself when it is an array, else the array holding
    most of it (``items`` of a search response, ``data.repository.issues.nodes`` of a GraphQL
    one); else None, and the query filters lines."""
    try:
        value = literals.loads(content)
    except (ValueError, RecursionError):
        return None
    if isinstance(value, list):
        return value
    rows, _ = main_array(value, Sizer(), max_depth=8)
    return rows


def filter_entry(ref: str, entry: Entry, *, query: str | None, lines: str | None) -> str:
    """What `headroom.retrieve` returns for one entry (see its docstring); an image's base64, whole."""
    content = entry.content
    if entry.kind == "image":
        return content
    if lines:
        start, end = parse_lines(lines)
        all_lines = content.split("\n")
        if start > len(all_lines):
            raise ValueError(f"ref {ref} has {len(all_lines)} lines; range {lines!r} starts after the end")
        content = "\n".join(all_lines[start - 1 : end])
    if not query or not query.strip():
        return content
    terms = _terms(query)
    literals = FloatLiterals()
    rows = _json_rows(content, literals) if entry.kind == "json" and not lines else None
    if rows is not None:
        dumped = [json.dumps(r, ensure_ascii=False) for r in rows]
        picked = _select(dumped, terms)
        if picked:
            return literals.restore(json.dumps([rows[i] for i in picked], ensure_ascii=False, indent=1))
        return f"No rows of ref {ref} ({len(rows)} rows) match {query!r}; retrieve without a query for all of it."
    offset = parse_lines(lines)[0] if lines else 1
    all_lines = content.split("\n")
    picked = _select(all_lines, terms)
    if not picked:
        return (
            f"No lines of ref {ref} ({len(all_lines)} lines) match {query!r}; retrieve without a query for all of it."
        )
    return "\n".join(f"{i + offset}: {all_lines[i]}" for i in picked)
