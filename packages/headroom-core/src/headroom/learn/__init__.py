"""Failure learning: find failed tool calls in past sessions, what worked instead, and write it down.

Reads Claude Code transcripts, Codex session logs and the proxy's request log (`read_claude`,
`read_codex`, `read_proxy_log`); `find_learnings` pairs each failure (or loop of one) with the
later call that succeeded; `headroom learn` writes them into a marked section of CLAUDE.md /
AGENTS.md.
"""

from headroom.learn._analyze import Learning, find_learnings
from headroom.learn._section import updated
from headroom.learn._sources import (
    Call,
    Session,
    claude_sessions,
    codex_sessions,
    read_claude,
    read_codex,
    read_proxy_log,
)

__all__ = [
    "Call",
    "Learning",
    "Session",
    "claude_sessions",
    "codex_sessions",
    "find_learnings",
    "read_claude",
    "read_codex",
    "read_proxy_log",
    "updated",
]
