"""JSON cut off at the end (a tool that truncates its output): the complete part, closed again.

The text is read token by token (strings whole); the cut goes after the last complete row (a
value at the level where most containers close, so a row is never kept half) and is closed with
the brackets still open there. The partial last row is left out, never guessed.
"""

from __future__ import annotations

import json
import re
from typing import Any

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]|[^\s\[\]{},:"]+|\s+|.', re.DOTALL)
_CLOSER = {"[": "]", "{": "}"}
MAX_DEPTH = 200


def _cut_point(text: str) -> tuple[int, str] | None:
    """Where to cut: after the last complete row (the level where most containers close; commas
    between scalars when none do), and the brackets still open there."""
    stack: list[str] = []
    closes: dict[int, int] = {}
    last: dict[int, tuple[int, str]] = {}  # depth → last cut point there
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok in _CLOSER:
            stack.append(_CLOSER[tok])
            if len(stack) > MAX_DEPTH:  # deeper than the parser goes anyway; also bounds the cost
                return None
            continue
        if tok in ("]", "}"):
            if not stack or stack.pop() != tok:
                break
            if stack:
                closes[len(stack)] = closes.get(len(stack), 0) + 1
                last[len(stack)] = (m.end(), "".join(reversed(stack)))
        elif tok == ",":
            if not stack:
                break
            last[len(stack)] = (m.start(), "".join(reversed(stack)))
        elif tok == '"':
            break  # a string that never closes
    if not last:
        return None
    rows = min(closes, key=lambda d: (-closes[d], d)) if closes else max(last)
    cuts = [cut for depth, cut in last.items() if depth <= rows]
    return max(cuts) if cuts else None


def repair_truncated(text: str) -> tuple[Any, int] | None:
    """The value of the complete part of ``text`` and how many characters of it were left out,
    or None when ``text`` does not start a JSON array or object or nothing complete is in it."""
    head = text.lstrip()
    if not head or head[0] not in "[{":
        return None
    cut = _cut_point(text)
    if cut is None:
        return None
    end, closers = cut
    try:
        value = json.loads(text[:end] + closers)
    except (ValueError, RecursionError):
        return None
    return value, len(text) - end
