"""The marked section of CLAUDE.md / AGENTS.md that `headroom learn` owns, and nothing outside it.

The section is found by its two marker comments and rewritten whole; text before and after it is
kept byte for byte. Learnings already in the section stay (users may have edited them), new ones
are appended in a stable order, so a second run with the same sessions changes nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

__all__ = ["BEGIN", "END", "diff", "updated"]

BEGIN = "<!-- headroom learn: begin (this section is rewritten by `headroom learn`) -->"
END = "<!-- headroom learn: end -->"
HEADING = "## Learned from past sessions"


def _bullets(section: str) -> list[str]:
    return [line[2:] for line in section.splitlines() if line.startswith("- ")]


def updated(document: str, learnings: Sequence[str]) -> str:
    """``document`` with its learn section holding its old learnings plus ``learnings``.

    Raises:
        ValueError: the document has one marker without the other, or the end before the begin.
    """
    begin, end = document.find(BEGIN), document.find(END)
    if (begin < 0) != (end < 0) or (begin >= 0 and end < begin):
        raise ValueError(f"the learn section's markers are broken: expected {BEGIN!r} … {END!r}")
    old = _bullets(document[begin:end]) if begin >= 0 else []
    lines = [*old, *(text for text in learnings if text not in old)]
    if not lines:
        return document
    section = "\n".join([BEGIN, HEADING, "", *(f"- {text}" for text in lines), END])
    if begin >= 0:
        return document[:begin] + section + document[end + len(END) :]
    if not document:
        return section + "\n"
    return (document if document.endswith("\n") else document + "\n") + "\n" + section + "\n"


def diff(name: str, before: str, after: str) -> str:
    """A unified diff of one file's change (empty when nothing changes)."""
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), f"a/{name}", f"b/{name}"))
