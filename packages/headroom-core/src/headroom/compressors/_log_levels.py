"""How alarming each log line is, across log dialects.

Two signals, combined:

* the level, found where the log's own dialect puts it. Instead of one regex per format, the column
  that holds a level word (``INFO``, ``[error]``, ``Warning``, ``<warn>``, logcat's ``D/I/W/E``)
  in most lines is learned from the log itself; structured ``level=...`` / ``"level": "..."`` fields
  are read too;
* alert words in the message (``failed``, ``exception``, ``refused``, ``timed out`` ...), which is what
  marks events in logs without levels (syslog, HPC, proxies) and failures logged at INFO.
"""

from __future__ import annotations

import re
from collections import Counter

# Severity scale: 0 debug/trace, 1 info/notice (or unknown), 2 warning, 3 error and worse.
DEBUG, INFO, WARN, ERROR = 0, 1, 2, 3

_LEVEL_WORDS = {
    **dict.fromkeys(("trace", "debug", "dbg", "fine", "finer", "finest", "verbose", "verb"), DEBUG),
    **dict.fromkeys(("info", "inf", "information", "informational", "notice", "note"), INFO),
    **dict.fromkeys(("warn", "warning", "wrn"), WARN),
    **dict.fromkeys(
        ("error", "err", "eror", "fatal", "critical", "crit", "severe", "emerg", "emergency", "alert", "panic"),
        ERROR,
    ),
}
_LETTER_LEVELS = {"V": DEBUG, "D": DEBUG, "I": INFO, "W": WARN, "E": ERROR, "F": ERROR, "A": ERROR}
_STRIP = "[]()<>{}:,|;*\"'="
_LEVEL_COLUMNS = 10
_FIELD_LEVEL = re.compile(
    r"""(?:["']?(?:level|severity|lvl|loglevel|log_level)["']?\s*[:=]\s*["']?)([A-Za-z]+)""", re.IGNORECASE
)
_FIELD_HINT = re.compile(r"level|severity|lvl", re.IGNORECASE)
_LOGCAT_BRIEF = re.compile(r"^([VDIWEFA])/[\w.$-]+\s*\(\s*\d+\)")

_STRONG_WORDS = frozenset(
    "error errors errno fail fails failed failure failures failing fatal exception exceptions "  # noqa: SIM905 (a word list reads best as words)
    "traceback panic panicked abort aborts aborted aborting crash crashed crashes denied refused "
    "timeout timeouts timedout unable cannot can't couldn't segfault corrupt corrupted corruption "
    "killed oom invalid illegal violation critical severe unreachable deadlock".split()
)
_STRONG_PHRASES = (
    "timed out",
    "time out",
    "could not",
    "not found",
    "segmentation fault",
    "out of memory",
    "not responding",
)
_WEAK_WORDS = frozenset(
    "warn warning warnings unknown unexpected unexpectedly unrecognized lost broken missing bad "  # noqa: SIM905 (a word list reads best as words)
    "mismatch reject rejected unavailable expire expired interrupt interrupted retry retrying retries "
    "disconnect disconnected closed down offline dropped overflow exceed exceeds exceeded conflict".split()
)
_HTTP_STATUS = re.compile(r"""(?:http/\d(?:\.\d)?"?\s+|\bstatus(?:[_ ]?code)?["']?\s*[:=]\s*["']?)([45])\d\d\b""")
_WEAK_PHRASES = ("not allowed", "not permitted", "not supported", "no such")
WORD = re.compile(r"[a-z_][a-z0-9_']*|\d+")
"""Words of a lower-cased line, as `alert_weight` expects them."""
_MAX_SCAN = 4000  # characters of a line searched for alert words


def _token_level(token: str, letters: bool) -> int | None:
    word = token.strip(_STRIP)
    if letters and len(word) == 1:
        return _LETTER_LEVELS.get(word)
    return _LEVEL_WORDS.get(word.lower()) if 3 <= len(word) <= 13 else None


def _first_level_column(tokens: list[str]) -> int | None:
    for pos, token in enumerate(tokens):
        if _token_level(token, letters=len(token) == 1) is not None:
            return pos
    return None


def level_column(lines: list[str], *, sample: int = 300) -> int | None:
    """The whitespace-token position holding the level in most lines, or None when there is none.

    A position qualifies when at least 30% of the sampled non-blank lines have a level word (or a
    logcat level letter) there.
    """
    seen: Counter[int] = Counter()
    nonblank = 0
    for line in lines[:sample]:
        tokens = line.split(None, _LEVEL_COLUMNS)[:_LEVEL_COLUMNS]
        if not tokens:
            continue
        nonblank += 1
        pos = _first_level_column(tokens)
        if pos is not None:
            seen[pos] += 1
    if not seen:
        return None
    pos, hits = min(seen.items(), key=lambda kv: (-kv[1], kv[0]))
    return pos if hits >= 0.3 * nonblank else None


def line_level(line: str, column: int | None) -> int | None:
    """The level a line declares (see the scale above), or None when it declares none."""
    if column is not None:
        tokens = line.split(None, column + 1)
        if len(tokens) > column:
            level = _token_level(tokens[column], letters=True)
            if level is not None:
                return level
    m = _LOGCAT_BRIEF.match(line)
    if m:
        return _LETTER_LEVELS[m[1]]
    m = _FIELD_LEVEL.search(line, 0, 400) if _FIELD_HINT.search(line, 0, 400) else None
    if m:
        return _LEVEL_WORDS.get(m[1].lower())
    return None


def alert_weight(low: str, words: list[str]) -> float:
    """0 for a routine line, 1 for a weak alert word (``unknown``, ``lost``) or an HTTP 4xx status,
    2 for a strong one or an HTTP 5xx status.

    Args:
        low: the line, lower-cased.
        words: ``WORD.findall(low)``.
    """
    status = _HTTP_STATUS.search(low)
    if status:
        return 2.0 if status[1] == "5" else 1.0
    if not _STRONG_WORDS.isdisjoint(words) or any(p in low for p in _STRONG_PHRASES):
        return 2.0
    if not _WEAK_WORDS.isdisjoint(words) or any(p in low for p in _WEAK_PHRASES):
        return 1.0
    return 0.0


def severities(lines: list[str]) -> list[float]:
    """How alarming each line is on its own, on a 0..3 scale.

    The declared level decides when there is one; alert words raise a line above its level (an INFO
    line saying "Failed to ..." is an event), and decide alone when the line declares no level.
    """
    column = level_column(lines)
    out: list[float] = []
    for line in lines:
        low = line[:_MAX_SCAN].lower()
        level = line_level(line, column)
        alert = alert_weight(low, WORD.findall(low))
        if level is None:
            out.append(min(3.0, 1.0 + alert))
        elif level >= WARN:
            out.append(float(level))
        else:
            out.append(min(2.5, level + 0.75 * alert))
    return out
