"""What changed in one block, line by line: shared by the dashboard's explain view and ``headroom explain``."""

from __future__ import annotations

import difflib
from typing import Literal

from headroom.markers import MARKER_RE

__all__ = ["DiffRow", "diff_rows", "marker_spans"]

DiffTag = Literal[" ", "-", "+", "…"]
DiffRow = tuple[DiffTag, str]


def diff_rows(original: str, sent: str, *, context: int = 2, run: int = 6) -> list[DiffRow]:
    """A unified diff of ``original`` and ``sent`` by lines.

    Runs of more than ``run`` removed lines are shown by their first and last ``run // 2`` lines
    around a ``…`` row that says how many were left out of the view (the whole original is one
    click away); unchanged stretches keep ``context`` lines on each side of a change.
    """
    a, b = original.splitlines(), sent.splitlines()
    out: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if out:
            out.append(("…", "unchanged lines"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [(" ", line) for line in a[i1:i2]]
                continue
            if tag in ("replace", "delete"):
                out += _folded(a[i1:i2], run)
            if tag in ("replace", "insert"):
                out += [("+", line) for line in b[j1:j2]]
    return out


def _folded(lines: list[str], run: int) -> list[DiffRow]:
    if len(lines) <= run:
        return [("-", line) for line in lines]
    half = run // 2
    hidden = len(lines) - 2 * half
    return [
        *[("-", line) for line in lines[:half]],
        ("…", f"{hidden:,} more removed lines"),
        *[("-", line) for line in lines[-half:]],
    ]


def marker_spans(line: str) -> list[tuple[str, bool]]:
    """``line`` cut into pieces, each flagged True when it is a Headroom marker."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in MARKER_RE.finditer(line):
        if m.start() > pos:
            out.append((line[pos : m.start()], False))
        out.append((m.group(0), True))
        pos = m.end()
    if pos < len(line) or not out:
        out.append((line[pos:], False))
    return out
