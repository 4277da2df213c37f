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
from functools import lru_cache
from itertools import chain, pairwise
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


@lru_cache(maxsize=8192)  # a pure function of the key; keys repeat in every row
def _key_kind(key: str) -> str:
    """Which failure test applies to values under ``key`` ("" when none does)."""
    kw = key_words(key)
    low = key.lower()
    if kw & _OK_FLAGS and "not" not in kw:
        return "flag"
    if low in _EXIT_KEYS or low == "rc":
        return "exit"
    if "status" in kw or low in _HTTP_KEYS:
        return "status" + ("+word" if kw & _STATUS_WORDS else "")
    if kw & _STATUS_WORDS:
        return "word"
    if kw & _ERROR_WORDS and not kw & {"count", "rate", "ratio", "total", "percent"}:
        return "error"
    return ""


def field_failure(key: str, value: Any) -> str | None:
    """Why ``key: value`` says something failed, or None."""
    kind = _key_kind(key)
    if not kind:
        return None
    if isinstance(value, bool):
        return f"{key} false" if kind == "flag" and value is False else None
    if kind == "error":
        return f"{key}: {_short(value)}" if _truthy(value) else None
    if isinstance(value, int):
        if kind == "exit":
            return f"{key} {value}" if value else None
        return f"{key} {value}" if kind.startswith("status") and 400 <= value <= 599 else None
    if isinstance(value, str) and kind.endswith("word") and value.strip().lower().startswith(_FAIL_PREFIXES):
        return f"{key} {_short(value)}"
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


_MISSING = object()
MAX_COLUMNS = 64


def key_counts(rows: list[Any]) -> Counter[str]:
    """How many of the object rows have each key."""
    return Counter(chain.from_iterable(r for r in rows if isinstance(r, dict)))


def failures(rows: list[Any]) -> list[tuple[int, str]]:
    """``(index, why)`` of every failing row (fields checked: the row's own and one nested level)."""
    keys = sorted(key_counts(rows), key=str)
    # Categorical signals (status codes, states, flags) name a failure better than its message.
    hot = sorted((k for k in keys if _key_kind(str(k))), key=lambda k: (_key_kind(str(k)) == "error", str(k)))
    nested = [k for k in keys if isinstance(_first(rows, k), dict)]
    out = []
    for i, row in enumerate(rows):
        why = _row_failure(row, hot, nested) if isinstance(row, dict) else row_failure(row)
        if why:
            out.append((i, why))
    return out


def _first(rows: list[Any], key: str) -> Any:
    return next((r[key] for r in rows if isinstance(r, dict) and key in r), None)


def _row_failure(row: dict[str, Any], hot: list[str], nested: list[str]) -> str | None:
    for k in hot:
        v = row.get(k, _MISSING)
        if v is not _MISSING:
            why = field_failure(str(k), v)
            if why:
                return why
    for k in nested:
        v = row.get(k)
        if isinstance(v, dict):
            why = row_failure(v, 1)
            if why:
                return f"{k}.{why}"
    return None


def _columns(dicts: list[dict[str, Any]], counts: Counter[str]) -> dict[str, list[Any]]:
    """The scalar fields of the rows (and of their nested objects, one level) as whole columns."""
    cols: dict[str, list[Any]] = {}
    for k in sorted(counts, key=lambda k: (-counts[k], str(k)))[:MAX_COLUMNS]:
        col = [r.get(k, _MISSING) for r in dicts]
        sample = _first(dicts, k)
        if isinstance(sample, dict):
            subs = key_counts([v for v in col if isinstance(v, dict)])
            for sk in sorted(subs, key=lambda x: (-subs[x], str(x)))[: MAX_COLUMNS // 4]:
                cols[f"{k}.{sk}"] = [v.get(sk, _MISSING) if isinstance(v, dict) else _MISSING for v in col]
        elif not isinstance(sample, list):
            cols[str(k)] = col
    return cols


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
    far = z * mad / 0.6745
    scored = [(abs(x - med), i) for i, x in enumerate(xs) if abs(x - med) > far]
    return [i for _, i in sorted(scored, key=lambda t: (-t[0], t[1]))][:limit]


def change_point(xs: list[float], min_seg: int = 3, effect: float = 2.5, buckets: int = 2000) -> int | None:
    """Where the level of ``xs`` shifts most (the first index of the new level), if it clearly does.

    Long series are judged on the means of ``buckets`` equal runs (the shift lands on a run start).
    """
    if len(xs) > 2 * buckets:
        size = -(-len(xs) // buckets)
        means = [sum(xs[i : i + size]) / len(xs[i : i + size]) for i in range(0, len(xs), size)]
        k = change_point(means, min_seg, effect, buckets)
        return None if k is None else k * size
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


def _rare_keys(dicts: list[dict[str, Any]], counts: Counter[str], flagged: dict[int, str]) -> None:
    rare = sorted((k for k, c in counts.items() if c <= max(1, len(dicts) // 20)), key=str)
    for k in rare[:20]:
        for i, r in enumerate(dicts):
            if k in r and i not in flagged:
                flagged[i] = f"only rows with {k}"


def _rare_values(path: str, col: list[Any], flagged: dict[int, str]) -> None:
    n = len(col)
    cats = Counter(v for v in col if v is not _MISSING)
    if len(cats) < 2 or len(cats) > max(2, min(20, n // 5)):
        return
    present = sum(cats.values())
    top = max(cats.values())
    if top < 0.6 * present:
        return
    rare = {v for v, c in cats.items() if c <= max(1, n // 20)}
    for i, v in enumerate(col):
        if v is not _MISSING and v in rare and i not in flagged:
            flagged[i] = f"rare {path}={_short(v, 24)}"


def _numeric(path: str, col: list[Any], flagged: dict[int, str]) -> bool:
    idx = [i for i, v in enumerate(col) if type(v) in (int, float) and math.isfinite(v)]
    present = sum(1 for v in col if v is not _MISSING)
    if len(idx) < 8 or len(idx) < 0.8 * present:
        return False
    xs = [float(col[i]) for i in idx]
    for j in numeric_outliers(xs):
        flagged.setdefault(idx[j], f"outlier {path}={_short(col[idx[j]], 24)}")
    k = change_point(xs)
    if k is not None:
        flagged.setdefault(idx[k - 1], f"before shift in {path}")
        flagged.setdefault(idx[k], f"shift in {path}")
    return True


def anomalies(rows: list[Any]) -> dict[int, str]:
    """Rows that stand out statistically (index → why), for arrays of 10 or more objects."""
    n = len(rows)
    if n < 10 or sum(1 for r in rows if isinstance(r, dict)) < 0.8 * n:
        return {}
    dicts = [r if isinstance(r, dict) else {} for r in rows]
    counts = key_counts(dicts)
    flagged: dict[int, str] = {}
    _rare_keys(dicts, counts, flagged)
    for path, col in sorted(_columns(dicts, counts).items()):
        kinds = {type(v) for v in col if v is not _MISSING}
        if not _numeric(path, col, flagged) and kinds <= {str, bool, type(None)}:
            _rare_values(path, col, flagged)
    return dict(sorted(flagged.items()))
