"""Linked facts in a JSON document: values in the kept part that key other parts of it.

A document often says a thing once and links to it by value elsewhere: ``dist-tags.latest`` names
the version whose details sit under ``versions["4.17.21"]``; an order's ``customer_id`` is the ``id``
of a row of ``customers``. When the kept part (or the question) holds such a value, what it keys is
part of the answer. `links` finds, after a first cut, the values of the kept part that key entries
of maps (objects keyed by data) or rows of arrays (by an identity field), so a second cut keeps
those too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from headroom.compressors._json_rows import Pick, Selection

_MAX_NODES = 20_000
_MAP_MIN_KEYS = 8  # an object with this many keys, all holding the same kind of value, is a map
# Fields that refer to another record: customer_id, parentId, head_sha, depends_on, ref ...
_REFERENCE = re.compile(
    r"(?:^|[_\-.]|(?<=[a-z]))(?:id|ids|ref|refs|sha|key|parent|uuid)$|^(?:depends_on|target|of)$", re.I
)
_ROW_IDENTITY = ("id", "uuid", "key", "name", "sha", "slug", "login", "version", "number")
_SPECIFIC = re.compile(r"\d|\w[./:@#_-]\w")


def _nodes(value: Any) -> Iterator[tuple[str, Any]]:
    """(key, value) of every field and array item (key "" for items), depth first, bounded."""
    stack: list[tuple[str, Any]] = [("", value)]
    seen = 0
    while stack and seen < _MAX_NODES:
        key, v = stack.pop()
        seen += 1
        yield key, v
        if isinstance(v, dict):
            stack.extend((str(k), x) for k, x in reversed(list(v.items())))
        elif isinstance(v, list):
            stack.extend(("", x) for x in reversed(v))


def _scalar(v: Any) -> str | None:
    if isinstance(v, bool) or v is None or isinstance(v, (dict, list)):
        return None
    s = str(v)
    return s if 0 < len(s) <= 120 else None


def is_map(d: dict[str, Any]) -> bool:
    """An object keyed by data (versions, ids, hostnames) rather than by field names."""
    if len(d) < _MAP_MIN_KEYS:
        return False
    kinds = {type(v).__name__ for v in d.values()}
    return len(kinds) == 1 or kinds <= {"int", "float"}


def targets(value: Any) -> tuple[frozenset[str], frozenset[str]]:
    """(keys of the document's maps, identity values of its arrays' rows): what a value can key."""
    keys: set[str] = set()
    ids: set[str] = set()
    for _, v in _nodes(value):
        if isinstance(v, dict) and is_map(v):
            keys.update(str(k) for k in v)
        elif isinstance(v, list) and len(v) >= 2:
            for row in v:
                if isinstance(row, dict):
                    ids.update(s for f in _ROW_IDENTITY if (s := _scalar(row.get(f))) is not None)
    return frozenset(keys), frozenset(ids)


def links(kept: Any, value: Any, asked: frozenset[str]) -> frozenset[str]:
    """Values of the kept part (and phrases of the question, ``asked``) that key a part of ``value``.

    A map's key counts when a kept value or the question names it exactly; an array row counts
    when a kept reference field (``customer_id``, ``parent``) holds its identity value.
    """
    keys, ids = targets(value)
    if not keys and not ids:
        return frozenset()
    found: set[str] = {a for a in asked if a in keys}
    present: set[str] = set()  # what the kept part already holds: map keys, rows' identity values
    for key, v in _nodes(kept):
        if isinstance(v, dict):
            present.update(str(k) for k in v)
            present.update(s for f in _ROW_IDENTITY if (s := _scalar(v.get(f))) is not None)
            continue
        s = _scalar(v)
        if s is None:
            continue
        if s in keys and (_SPECIFIC.search(s) or _REFERENCE.search(key)):
            found.add(s)
        if s in ids and _REFERENCE.search(key):
            found.add(s)
    return frozenset(found - present)


def holders(value: Any, linked: frozenset[str]) -> frozenset[int]:
    """Ids of the containers, from the root down, that hold what ``linked`` keys (a map's entry,
    an array's row): a cut keeps them rather than leaving such a field out whole."""
    out: set[int] = set()
    stack: list[tuple[Any, tuple[int, ...]]] = [(value, ())]
    seen = 0
    while stack and seen < _MAX_NODES:
        v, above = stack.pop()
        seen += 1
        if isinstance(v, dict):
            here = (*above, id(v))
            if is_map(v) and any(str(k) in linked for k in v):
                out.update(here)
            stack.extend((x, here) for x in v.values() if isinstance(x, (dict, list)))
        elif isinstance(v, list):
            here = (*above, id(v))
            rows = [r for r in v if isinstance(r, dict)]
            if any(_scalar(r.get(f)) in linked for r in rows for f in _ROW_IDENTITY):
                out.update(here)
            stack.extend((x, here) for x in v if isinstance(x, (dict, list)))
    return frozenset(out)


def with_links(sel: Selection, rows: list[Any], linked: frozenset[str]) -> Selection:
    """``sel`` plus the rows whose identity field holds a linked value."""
    if not linked or sel.keep_all:
        return sel
    taken = {p.index for p in sel.picks}
    extra = [
        i
        for i, row in enumerate(rows)
        if i not in taken and isinstance(row, dict) and any(_scalar(row.get(f)) in linked for f in _ROW_IDENTITY)
    ]
    if not extra:
        return sel
    return replace(sel, picks=(*sel.picks, *(Pick(i, "task", "linked", full=True) for i in extra)))
