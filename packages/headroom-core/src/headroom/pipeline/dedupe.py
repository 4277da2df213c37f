"""Repeated content across a conversation: a file read twice, a test run re-run unchanged.

A block whose content already appeared earlier in the conversation becomes a marker naming the
earlier occurrence, plus a unified diff of what differs when it is not identical. A block that
repeats only part of what came before (an overlapping window of the same file, the same warnings
above a new test result) keeps its new lines and replaces each long repeated run of lines with a
marker naming where the model already saw it. The decision uses only earlier messages, so once a
block has been sent its bytes never change and the provider's prompt cache keeps hitting. The
block's own original is stored under its ref like any other.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field

from headroom.compressors._json_render import MARKER_KEY
from headroom.markers import find_refs, format_marker
from headroom.pipeline.detect import looks_json

MIN_LINES = 8
"""Blocks shorter than this are not diffed against earlier ones (exact repeats of any size are spotted)."""

MAX_DIFF_LINES = 6000
"""difflib is quadratic in the worst case: larger blocks are only checked for exact repeats."""

MIN_SIMILARITY = 0.5
"""Share of distinct lines two blocks must have in common to be diffed."""

MAX_DIFF_SHARE = 0.5
"""A diff longer than this share of the block is not worth it; the block is compressed normally."""

MIN_RUN_LINES = 4
"""A repeated run shorter than this many lines stays (too likely a coincidence, and cheap)."""

MIN_RUN_CHARS = 240
"""A repeated run must be at least this long to be worth a marker (one costs about 110 characters)."""

MIN_ANCHOR_CHARS = 8
"""Only lines at least this long (stripped) start a repeated run; blank and brace lines only extend one."""

MAX_CANDIDATES = 8
"""Earlier places a line is matched against, most recent first; bounds the work on common lines."""


@dataclass(frozen=True)
class _Seen:
    message: int
    ref: str
    lines: tuple[str, ...]
    distinct: frozenset[str]
    label: str


@dataclass(frozen=True)
class _Shown:
    message: int
    label: str
    lines: tuple[str, ...]


@dataclass
class Deduper:
    """Remembers the blocks of one conversation, in order, and spots repeats of them."""

    seen: list[_Seen] = field(default_factory=list)
    refs: dict[str, tuple[int, str]] = field(default_factory=dict)  # ref -> (message, label) of its first occurrence
    shown: list[_Shown] = field(default_factory=list)
    where: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # anchor line -> (shown, line)

    def add(self, message: int, ref: str, text: str, label: str, shown: str | None = None) -> None:
        """Remember a block (call for every block, compressed or not, in message order).

        Args:
            message: the block's message index.
            ref: the block's ref.
            text: its original content.
            label: how a marker names it ("output of read_file").
            shown: what the model sees of it, when compressed (repeated runs are matched against
                this, so a marker only ever points at lines the model can read).
        """
        self.refs.setdefault(ref, (message, label))
        lines = text.split("\n")
        if len(lines) >= MIN_LINES:
            self.seen.append(_Seen(message, ref, tuple(lines), frozenset(lines), label))
        visible = tuple((text if shown is None else shown).split("\n"))
        k = len(self.shown)
        self.shown.append(_Shown(message, label, visible))
        for i, line in enumerate(visible):
            if len(line.strip()) >= MIN_ANCHOR_CHARS and not find_refs(line):
                self.where.setdefault(line, []).append((k, i))

    def runs(self, ref: str, text: str) -> str | None:
        """The block with each long run of lines the model already saw replaced by a marker, or None."""
        lines = text.split("\n")
        if len(lines) < MIN_RUN_LINES or not self.where:
            return None
        out: list[str] = []
        i, found = 0, False
        while i < len(lines):
            best = self._longest_run(lines, i)
            if best is None:
                out.append(lines[i])
                i += 1
                continue
            k, j, size = best
            earlier = self.shown[k]
            summary = (
                f"{size} lines identical to lines {j + 1}-{j + size} of the {earlier.label} "
                f"in message {earlier.message + 1}"
            )
            out.append(format_marker(ref, summary, lines=(i + 1, i + size)))
            i += size
            found = True
        if not found or looks_json(text):  # JSON stays JSON: its own compressor handles it
            return None
        return "\n".join(out)

    def _longest_run(self, lines: list[str], i: int) -> tuple[int, int, int] | None:
        """(shown block, its first line, length) of the longest earlier run starting at ``lines[i]``."""
        best: tuple[int, int, int] | None = None
        for k, j in reversed(self.where.get(lines[i], ())[-MAX_CANDIDATES:]):
            seen = self.shown[k].lines
            size = 0
            while i + size < len(lines) and j + size < len(seen) and lines[i + size] == seen[j + size]:
                size += 1
            if best is None or size > best[2]:
                best = (k, j, size)
        if best is None or best[2] < MIN_RUN_LINES:
            return None
        if sum(len(x) + 1 for x in lines[i : i + best[2]]) < MIN_RUN_CHARS:
            return None
        return best

    def render(self, ref: str, text: str) -> str | None:
        """The repeat of an earlier block as a marker (+ diff), or None when it repeats nothing.

        JSON stays JSON: an exact repeat of a JSON block becomes ``{"_headroom": marker}``, and a
        near repeat of one is not diffed (its compressor handles it).
        """
        earlier = self.refs.get(ref)
        if earlier is not None:
            message, label = earlier
            marker = format_marker(ref, f"identical to the {label} in message {message + 1}")
            return json.dumps({MARKER_KEY: marker}) if looks_json(text) else marker
        lines = text.split("\n")
        if len(lines) < MIN_LINES or len(lines) > MAX_DIFF_LINES:
            return None
        return self._diff(ref, text, lines)

    def _diff(self, ref: str, text: str, lines: list[str]) -> str | None:
        distinct = frozenset(lines)
        best, best_sim = None, 0.0
        for earlier in reversed(self.seen):
            if len(earlier.lines) > MAX_DIFF_LINES:
                continue
            sim = len(distinct & earlier.distinct) / max(len(distinct | earlier.distinct), 1)
            if sim > best_sim:
                best, best_sim = earlier, sim
        if best is None or best_sim < MIN_SIMILARITY:
            return None
        diff = list(difflib.unified_diff(best.lines, lines, n=1, lineterm=""))[2:]  # drop the ---/+++ header
        if not diff or len(diff) > MAX_DIFF_SHARE * len(lines) or looks_json(text):
            return None
        summary = (
            f"same as the {best.label} in message {best.message + 1} except for the changes below "
            f"(unified diff, 1 line of context; the full {len(lines)} lines via retrieve)"
        )
        return "\n".join([format_marker(ref, summary), *diff])
