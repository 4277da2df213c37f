"""From tool calls to learnings: a failure (or a loop of the same failure), and what worked after it.

A failed call opens a streak; identical failed calls right after it make it a loop. The fix is the
first of the next few successful calls of the same tool that resembles the failed one (shared
character trigrams), and differs from it: the same call succeeding later is flakiness, not a
lesson. A streak without a fix becomes a learning only when it looped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from headroom.learn._sources import Call, Session

__all__ = ["Learning", "find_learnings"]

FIX_WINDOW = 3
"""How many later successful calls of the same tool are considered as the fix of a failure."""

MIN_RESEMBLANCE = 0.1
"""Trigram overlap a fix needs with the failed call (so an unrelated ``ls`` is never taken as one)."""

_ERROR_WORDS = re.compile(r"error|not found|no such|denied|fail|exception|cannot|invalid|refused|missing", re.I)
_NOISE = re.compile(r"^(Exit code \d+|Error: Exit code \d+|Traceback \(most recent call last\):)$")


@dataclass(frozen=True)
class Learning:
    """One lesson from past sessions.

    Attributes:
        text: the line written into CLAUDE.md / AGENTS.md.
        failed: the call that failed (its intent).
        fix: the call that worked instead, or None for an unresolved loop.
        error: the failure's telling line.
        times: how many failures it is drawn from (across sessions and repeats).
    """

    text: str
    failed: str
    fix: str | None
    error: str
    times: int


def error_line(output: str) -> str:
    """The line of a failure's output that says what went wrong (short)."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip() and not _NOISE.match(ln.strip())]
    telling = [ln for ln in lines if _ERROR_WORDS.search(ln)]
    line = (telling or lines or ["(no output)"])[-1]
    line = re.sub(r"^/bin/\w+: line \d+: ", "", line)
    return line if len(line) <= 120 else line[:117] + "..."


def _trigrams(text: str) -> set[str]:
    t = " ".join(text.lower().split())
    return {t[i : i + 3] for i in range(max(1, len(t) - 2))}


def resemblance(a: str, b: str) -> float:
    """Character-trigram overlap of two calls' intents, 0..1."""
    ta, tb = _trigrams(a), _trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def _fix(calls: list[Call], start: int, failed: Call) -> Call | None:
    seen = 0
    for call in calls[start:]:
        if call.tool != failed.tool or call.failed:
            continue
        seen += 1
        if call.intent != failed.intent and resemblance(call.intent, failed.intent) >= MIN_RESEMBLANCE:
            return call
        if seen >= FIX_WINDOW:
            break
    return None


def _pairs(session: Session) -> Iterable[tuple[Call, int, Call | None]]:
    """(failed call, times in a row, fix or None) for each failure streak of a session."""
    calls, i = session.calls, 0
    while i < len(calls):
        call = calls[i]
        if not call.failed:
            i += 1
            continue
        j = i + 1
        while j < len(calls) and calls[j].failed and calls[j].tool == call.tool and calls[j].intent == call.intent:
            j += 1
        yield call, j - i, _fix(calls, j, call)
        i = j


def _code(s: str) -> str:
    s = " ".join(s.split())
    s = s if len(s) <= 160 else s[:157] + "..."
    return f"``{s}``" if "`" in s else f"`{s}`"


def _text(failed: Call, fix: Call | None, error: str, loops: int) -> str:
    looped = f"; it was retried unchanged {loops} times in a row" if loops > 1 else ""
    if failed.tool == "model":
        return (
            f"Model {_code(failed.intent)} fails through the proxy ({error}); {_code(fix.intent)} works." if fix else ""
        )
    what = "Run" if failed.shell else f"Call {failed.tool} with"
    if fix is None:
        return f"Do not retry {_code(failed.intent)} unchanged: it fails with {_code(error)}{looped}."
    return f"{what} {_code(fix.intent)}, not {_code(failed.intent)}: that fails with {_code(error)}{looped}."


@dataclass
class _Tally:
    failed: Call
    fix: Call | None
    times: int = 0
    loops: int = 0


def find_learnings(sessions: Iterable[Session]) -> list[Learning]:
    """Learnings from ``sessions``: one per distinct failure→fix pair (or unresolved loop), sorted."""
    found: dict[tuple[str, str, str | None], _Tally] = {}
    for session in sessions:
        for failed, streak, fix in _pairs(session):
            if fix is None and streak < 2:
                continue
            tool = "shell" if failed.shell else failed.tool  # Claude's Bash and Codex's exec_command alike
            tally = found.setdefault((tool, failed.intent, fix.intent if fix else None), _Tally(failed, fix))
            tally.times += streak
            tally.loops = max(tally.loops, streak)
    out = []
    for t in found.values():
        error = error_line(t.failed.output)
        text = _text(t.failed, t.fix, error, t.loops)
        if text:
            out.append(Learning(text, t.failed.intent, t.fix.intent if t.fix else None, error, t.times))
    return sorted(out, key=lambda learning: learning.text)
