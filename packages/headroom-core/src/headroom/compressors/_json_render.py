"""Writing JSON back out: compact values, one row per line, and the lossless table form.

The table form of an array of objects that all have the same keys is
``{"columns": [k1, k2, ...], "rows": [[v1, v2, ...], ...]}``: every value kept, each key written once.
"""

from __future__ import annotations

import json
from typing import Any

# Stands where the marker goes until the marker's summary is known; never occurs in parsed data
# (a parsed string holding it would be caught by `has_sentinel` before any output is written).
SENTINEL = "\u0000headroom-marker\u0000"
MARKER_KEY = "_headroom"


def dumps(value: Any) -> str:
    """Compact JSON; raises ValueError for NaN or infinite numbers (they are not JSON)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class Sizer:
    """The compact-JSON length of values, memoised per container.

    Containers are measured by the C encoder (``len(dumps(v))``), so measuring is fast even for
    large documents; each memo entry holds its value, since an id is only unique while its
    object lives.
    """

    def __init__(self) -> None:
        self._memo: dict[int, tuple[Any, int]] = {}

    def size(self, value: Any) -> int:
        """The length of ``dumps(value)`` (strings: without escapes)."""
        if isinstance(value, str):
            return len(value) + 2
        if not isinstance(value, (dict, list)):
            return len(dumps(value))
        key = id(value)
        known = self._memo.get(key)
        if known is not None:
            return known[1]
        n = len(dumps(value))
        self._memo[key] = (value, n)
        return n


def _table(items: list[Any], sizer: Sizer, gain: float) -> dict[str, Any] | None:
    note = items[0] if items and items[0] == SENTINEL else None
    rows = items[1:] if note is not None else items
    if len(rows) < 3 or not all(isinstance(r, dict) for r in rows):
        return None
    columns = list(rows[0])
    keyset = set(columns)
    if len(columns) < 2 or any(len(r) != len(columns) or set(r) != keyset for r in rows):
        return None
    saved = (len(rows) - 1) * sum(len(str(k)) + 4 for k in columns) - 24
    if saved < gain * sum(sizer.size(r) for r in rows):
        return None
    table: dict[str, Any] = {MARKER_KEY: note} if note is not None else {}
    table["columns"] = columns
    table["rows"] = [[r[k] for k in columns] for r in rows]
    return table


def tabularize(value: Any, sizer: Sizer, gain: float = 0.2) -> Any:
    """``value`` with every array of same-keyed objects in table form where that saves ``gain``."""
    if isinstance(value, dict):
        return {k: tabularize(v, sizer, gain) for k, v in value.items()}
    if isinstance(value, list):
        items = [tabularize(v, sizer, gain) for v in value]
        return _table(items, sizer, gain) or items
    return value


def _is_rows(value: Any) -> bool:
    return isinstance(value, list) and len(value) > 1 and any(isinstance(x, (dict, list)) for x in value)


def _has_rows(value: Any, depth: int) -> bool:
    if _is_rows(value):
        return True
    return isinstance(value, dict) and depth < 3 and any(_has_rows(v, depth + 1) for v in value.values())


def render(value: Any, depth: int = 0) -> str:
    """JSON text with each element of a row array on its own line, everything else compact."""
    if _is_rows(value):
        return "[\n" + ",\n".join(dumps(x) for x in value) + "\n]"
    if isinstance(value, dict) and depth < 3 and _has_rows(value, depth):
        body = ",\n".join(f"{dumps(str(k))}:{render(v, depth + 1)}" for k, v in value.items())
        return "{\n" + body + "\n}"
    return dumps(value)
