"""Which rows of a JSON array stand out: failures judged by field values, and statistical anomalies.

Failures: HTTP-like status codes ≥ 400, non-zero exit codes, ``"status": "failed"``-like values,
``success: false``-like flags and non-empty error fields (an ``error`` that is null, empty or false
is no error). Anomalies: fields present in only a few rows, rare values of a categorical field,
robust numeric outliers (median/MAD) and the largest shift in a numeric field's level.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

from headroom.compressors._json_text import key_words, scalar_text

_STATUS_WORDS = frozenset(
    {"status", "state", "phase", "result", "outcome", "conclusion", "level", "severity", "health", "verdict"}
)
_FAIL_PREFIXES = (
    "fail",
    "error",
    "err",
    "fatal",
    "crash",
    "abort",
    "reject",
    "denied",
    "timeout",
    "timed_out",
    "timed out",
    "panic",
    "critical",
    "emerg",
    "alert",
    "unhealthy",
    "exception",
    "broken",
    "invalid",
)
_OK_FLAGS = frozenset({"success", "successful", "succeeded", "ok", "passed", "healthy", "valid"})
_ERROR_WORDS = frozenset({"error", "errors", "exception", "traceback", "stacktrace", "failure", "failures", "fault"})
_EXIT_KEYS = frozenset({"exit_code", "exitcode", "returncode", "return_code", "exit_status", "exitstatus"})
_HTTP_KEYS = frozenset({"code", "http_code", "httpcode", "response_code", "responsecode"})
ALERT = re.compile(
    r"\b(?:error|errors|exception|traceback|fail(?:ed|ure|s)?|fatal|panic|critical|denied|refused|timeout|timed out)\b",
    re.IGNORECASE,
)


def _short(v: Any, n: int = 40) -> str:
    s = scalar_text(v) if not isinstance(v, (dict, list)) else ("{…}" if isinstance(v, dict) else "[…]")
    return s if len(s) <= n else s[: n - 1] + "…"


def _truthy(v: Any) -> bool:
    return v not in (None, "", False, 0) and v != [] and v != {}


def field_failure(key: str, value: Any) -> str | None:
    """Why ``key: value`` says something failed, or None."""
    kw = key_words(key)
    low = key.lower()
    if isinstance(value, bool):
        return f"{key} false" if value is False and kw & _OK_FLAGS and "not" not in kw else None
    if isinstance(value, int) and value and (low in _EXIT_KEYS or (low == "rc")):
        return f"{key} {value}"
    if isinstance(value, int) and 400 <= value <= 599 and ("status" in kw or low in _HTTP_KEYS):
        return f"{key} {value}"
    if isinstance(value, str) and kw & _STATUS_WORDS and value.strip().lower().startswith(_FAIL_PREFIXES):
        return f"{key} {_short(value)}"
    if kw & _ERROR_WORDS and not kw & {"count", "rate", "ratio", "total", "percent"} and _truthy(value):
        return f"{key}: {_short(value)}"
    return None


def row_failure(row: Any, depth: int = 2) -> str | None:
    """The first failure found in a row's fields (and one nested level), or None."""
    if isinstance(row, str):
        m = ALERT.search(row[:2000])
        return f"“{m.group(0).lower()}”" if m else None
    if not isinstance(row, dict):
        return None
    for k, v in row.items():
        why = field_failure(str(k), v)
        if why:
            return why
    if depth > 1:
        for k, v in row.items():
            if isinstance(v, dict):
                why = row_failure(v, depth - 1)
                if why:
                    return f"{k}.{why}"
    return None


def flat_scalars(row: dict[str, Any], prefix: str = "", depth: int = 2) -> Iterator[tuple[str, Any]]:
    """``(dotted path, scalar)`` pairs of a row, down to ``depth`` levels of nested objects."""
    for k, v in row.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict):
            if depth > 1:
                yield from flat_scalars(v, path + ".", depth - 1)
        elif not isinstance(v, list):
            yield path, v


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _monotonic(xs: list[float]) -> bool:
    return all(a <= b for a, b in pairwise(xs)) or all(a >= b for a, b in pairwise(xs))


def numeric_outliers(xs: list[float], limit: int = 5, z: float = 4.0) -> list[int]:
    """Positions of values far from the median (robust z-score), strongest first."""
    n = len(xs)
    if n < 8 or _monotonic(xs):
        return []
    s = sorted(xs)
    med = s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    dev = sorted(abs(x - med) for x in xs)
    mad = dev[n // 2]
    if mad == 0:
        off = [i for i, x in enumerate(xs) if x != med]
        return off[:limit] if len(off) <= max(1, n // 20) else []
    scored = [(0.6745 * abs(x - med) / mad, i) for i, x in enumerate(xs)]
    return [i for sc, i in sorted(scored, key=lambda t: (-t[0], t[1])) if sc > z][:limit]


def change_point(xs: list[float], min_seg: int = 3, effect: float = 2.5) -> int | None:
    """Where the level of ``xs`` shifts most (the first index of the new level), if it clearly does."""
    n = len(xs)
    if n < 4 * min_seg or _monotonic(xs):
        return None
    pre, pre2 = [0.0], [0.0]
    for x in xs:
        pre.append(pre[-1] + x)
        pre2.append(pre2[-1] + x * x)
    best, best_k = 0.0, None
    for k in range(min_seg, n - min_seg + 1):
        m1, m2 = pre[k] / k, (pre[n] - pre[k]) / (n - k)
        ss = (pre2[k] - k * m1 * m1) + (pre2[n] - pre2[k] - (n - k) * m2 * m2)
        sd = math.sqrt(max(ss, 0.0) / (n - 2)) or 1e-12
        d = abs(m1 - m2) / sd
        if d > best:
            best, best_k = d, k
    return best_k if best >= effect else None


def _rare_keys(rows: list[dict[str, Any]], flagged: dict[int, str]) -> None:
    n = len(rows)
    counts: Counter[str] = Counter(k for r in rows for k in r)
    rare = sorted(k for k, c in counts.items() if c <= max(1, n // 20))
    for k in rare[:20]:
        for i, r in enumerate(rows):
            if k in r and i not in flagged:
                flagged[i] = f"only rows with {k}"


def _rare_values(path: str, vals: list[tuple[int, Any]], n: int, flagged: dict[int, str]) -> None:
    cats = Counter(scalar_text(v) for _, v in vals)
    if len(cats) < 2 or len(cats) > max(2, min(20, n // 5)):
        return
    top_n = cats.most_common(1)[0][1]
    if top_n < 0.6 * len(vals):
        return
    for i, v in vals:
        s = scalar_text(v)
        if cats[s] <= max(1, n // 20) and i not in flagged:
            flagged[i] = f"rare {path}={_short(s, 24)}"


def anomalies(rows: list[Any]) -> dict[int, str]:
    """Rows that stand out statistically (index → why), for arrays of 10 or more objects."""
    n = len(rows)
    dicts = [r if isinstance(r, dict) else {} for r in rows]
    if n < 10 or sum(1 for r in rows if isinstance(r, dict)) < 0.8 * n:
        return {}
    flagged: dict[int, str] = {}
    _rare_keys(dicts, flagged)
    columns: dict[str, list[tuple[int, Any]]] = {}
    for i, r in enumerate(dicts):
        for path, v in flat_scalars(r):
            columns.setdefault(path, []).append((i, v))
    for path in sorted(columns):
        vals = columns[path]
        nums = [(i, v) for i, v in vals if _is_number(v)]
        if len(nums) >= 0.8 * len(vals) and len(nums) >= 8:
            xs = [float(x) for _, x in nums]
            for j in numeric_outliers(xs):
                flagged.setdefault(nums[j][0], f"outlier {path}={_short(nums[j][1], 24)}")
            k = change_point(xs)
            if k is not None:
                flagged.setdefault(nums[k - 1][0], f"before shift in {path}")
                flagged.setdefault(nums[k][0], f"shift in {path}")
        elif all(isinstance(v, (str, bool)) or v is None for _, v in vals):
            _rare_values(path, vals, n, flagged)
    return dict(sorted(flagged.items()))
